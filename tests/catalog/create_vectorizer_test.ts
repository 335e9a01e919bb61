/**
 * What ai.create_vectorizer builds (contract §2.1, §2.7-§2.10, §3.4): the stored row and config,
 * names, queue/failed-queue/target tables, view, embedding column, triggers and grants.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { adminSql } from "../support/pg.ts";
import { catalogDatabase, recordingClient, uniqueRole } from "./helpers.ts";
import { contractVectorizerRow } from "../support/contract_row.ts";

const db = await catalogDatabase("catalog_create");
Deno.test.afterAll(() => db.drop());

async function columns(table: string): Promise<string[]> {
  const rows = await db.sql<{ c: string }[]>`
    select a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
           || case when a.attnotnull then ' not null' else '' end
           || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '') as c
    from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where a.attrelid = ${table}::regclass and a.attnum > 0 and not a.attisdropped
    order by a.attnum`;
  return rows.map((r) => r.c);
}

async function indexes(table: string): Promise<string[]> {
  const rows = await db.sql<{ d: string }[]>`
    select pg_get_indexdef(indexrelid) as d from pg_index where indrelid = ${table}::regclass
    order by 1`;
  return rows.map((r) => r.d);
}

Deno.test("the contract's example vectorizer row is reproduced exactly", async () => {
  await db.sql`create table blog (id int primary key, title text, contents text)`;
  await db.sql`insert into blog values (1, 'a', 'x'), (2, 'b', 'y')`;
  const [created] = await db.sql`select ai.create_vectorizer('blog'::regclass, name => 'blog_vec',
    loading => ai.loading_column('contents'),
    embedding => ai.embedding_openai('text-embedding-3-small', 768),
    formatting => ai.formatting_python_template('$title: $chunk')) as id`;
  const [row] = await db
    .sql`select to_jsonb(v) as v from ai.vectorizer v where id = ${created?.id}`;
  assert.deepEqual(row?.v, contractVectorizerRow(created?.id));
  const status = await db.sql`select * from ai.vectorizer_status where id = ${created?.id}`;
  assert.deepEqual([...status], [{
    id: created?.id,
    name: "blog_vec",
    source_table: "public.blog",
    target_table: "public.blog_embedding_store",
    view: "public.blog_embedding",
    embedding_column: "embedding",
    pending_items: "2",
    disabled: false,
  }]);
});

const HELPER_VARIANTS: [key: string, call: string][] = [
  [
    "embedding",
    "ai.embedding_ollama('nomic-embed-text', 768, base_url=>'http://o:11434', options=>'{\"num_ctx\":1024}', keep_alive=>'10m')",
  ],
  ["embedding", "ai.embedding_voyageai('voyage-3-lite', 512)"],
  ["embedding", "ai.embedding_litellm('cohere/embed-english-v3.0', 1024)"],
  [
    "embedding",
    "ai.embedding_openai('m', 1536, chat_user=>'bob', api_key_name=>'MY_KEY', base_url=>'http://x/v1')",
  ],
  ["chunking", "ai.chunking_character_text_splitter(128, 10, ';', true)"],
  ["chunking", "ai.chunking_none()"],
  ["loading", "ai.loading_uri('body', 3, 'arn:aws:iam::123456789012:role/r')"],
  ["parsing", "ai.parsing_none()"],
  ["processing", "ai.processing_default(100, 4)"],
  ["formatting", "ai.formatting_python_template('$id: $chunk')"],
];

for (const [key, call] of HELPER_VARIANTS) {
  Deno.test(`create_vectorizer stores ${call} unchanged as config.${key}`, async () => {
    await db.sql`create table if not exists helpers_src (id int primary key, body text)`;
    const args: Record<string, string> = {
      loading: "ai.loading_column('body')",
      embedding: "ai.embedding_openai('m', 4)",
      [key]: call,
    };
    const named = Object.entries(args).map(([k, v]) => `${k} => ${v}`).join(", ");
    const [created] = await db.sql.unsafe(`
      select ai.create_vectorizer('helpers_src', ${named}, enqueue_existing => false,
        destination => ai.destination_table(target_table => 'hv_store', view_name => 'hv')) as id`);
    const [row] = await db.sql.unsafe(
      `select v.config -> '${key}' = ${call} as same, v.id from ai.vectorizer v where v.id = $1`,
      [created?.id],
    );
    assert.equal(row?.same, true);
    await db.sql`select ai.drop_vectorizer(${row?.id}::int4, drop_all => true)`;
  });
}

Deno.test("composite and typed primary keys: source_pk, queue, failed queue, target, view", async () => {
  await db.sql.unsafe(`
    create type mood as enum ('ok', 'sad');
    create table comp (a text, b int, c varchar(20), d numeric(10,2), e timestamptz, m mood,
      body text, primary key (b, a));
    create table typed (c varchar(20), d numeric(10,2), e timestamptz, m mood, body text,
      primary key (c, d, e, m));`);
  const [{ id }] = await db
    .sql`select ai.create_vectorizer('comp', loading => ai.loading_column('body'),
    embedding => ai.embedding_openai('m', 3)) as id` as [{ id: number }];
  const [pk] = await db.sql`select source_pk from ai.vectorizer where id = ${id}`;
  assert.deepEqual(pk?.source_pk, [
    { pknum: 2, attnum: 1, attname: "a", typname: "text" },
    { pknum: 1, attnum: 2, attname: "b", typname: "integer" },
  ]);
  assert.deepEqual(await columns(`ai._vectorizer_q_${id}`), [
    "a text not null",
    "b integer not null",
    "queued_at timestamp with time zone not null default now()",
    "loading_retries integer not null default 0",
    "loading_retry_after timestamp with time zone",
  ]);
  assert.deepEqual(await indexes(`ai._vectorizer_q_${id}`), [
    `CREATE INDEX _vectorizer_q_${id}_b_a_idx ON ai._vectorizer_q_${id} USING btree (b, a)`,
  ]);
  assert.deepEqual(await columns(`ai._vectorizer_q_failed_${id}`), [
    "a text not null",
    "b integer not null",
    "created_at timestamp with time zone not null default now()",
    "failure_step text not null default ''::text",
  ]);
  assert.deepEqual(await indexes(`ai._vectorizer_q_failed_${id}`), [
    `CREATE INDEX _vectorizer_q_failed_${id}_b_a_idx ON ai._vectorizer_q_failed_${id} USING btree (b, a)`,
  ]);
  assert.deepEqual(await columns("comp_embedding_store"), [
    "embedding_uuid uuid not null default gen_random_uuid()",
    "a text not null",
    "b integer not null",
    "chunk_seq integer not null",
    "chunk text not null",
    "embedding vector(3) not null",
  ]);
  const constraints = await db.sql<{ c: string }[]>`
    select conname || ' ' || pg_get_constraintdef(oid) as c from pg_constraint
    where conrelid = 'comp_embedding_store'::regclass order by conname`;
  assert.deepEqual(constraints.map((r) => r.c), [
    "comp_embedding_store_b_a_chunk_seq_key UNIQUE (b, a, chunk_seq)",
    "comp_embedding_store_pkey PRIMARY KEY (embedding_uuid)",
  ]);
  const [storage] = await db.sql`select attstorage from pg_attribute
    where attrelid = 'comp_embedding_store'::regclass and attname = 'embedding'`;
  assert.equal(storage?.attstorage, "m", "embedding uses storage MAIN");
  assert.deepEqual(
    (await columns("comp_embedding")).map((c) => c.split(" ")[0]),
    ["embedding_uuid", "chunk_seq", "chunk", "embedding", "a", "b", "c", "d", "e", "m", "body"],
  );
  const [view] = await db.sql`select pg_get_viewdef('comp_embedding'::regclass) as d`;
  assert.match(view?.d, /t\.a,\s+t\.b,\s+s\.c,/);
  assert.match(view?.d, /LEFT JOIN comp s ON \(\(\(t\.b = s\.b\) AND \(t\.a = s\.a\)\)\)/);

  const [{ id: typedId }] = await db.sql`select ai.create_vectorizer('typed',
    loading => ai.loading_column('body'), embedding => ai.embedding_openai('m', 3)) as id` as [
    { id: number },
  ];
  const [typedPk] = await db.sql`select source_pk from ai.vectorizer where id = ${typedId}`;
  assert.deepEqual(typedPk?.source_pk.map((k: { typname: string }) => k.typname), [
    "character varying(20)",
    "numeric(10,2)",
    "timestamp with time zone",
    "public.mood",
  ]);
  assert.deepEqual((await columns(`ai._vectorizer_q_${typedId}`)).slice(0, 4), [
    "c character varying(20) not null",
    "d numeric(10,2) not null",
    "e timestamp with time zone not null",
    "m mood not null",
  ]);
});

Deno.test("destination naming: shorthand, explicit names, view_schema ignored as in pgai", async () => {
  await db.sql`create table named_src (id int primary key, body text)`;
  await db.sql`create schema s`;
  const base = "loading => ai.loading_column('body'), embedding => ai.embedding_openai('m', 3)";
  const [a] = await db.sql.unsafe(`select ai.create_vectorizer('named_src', ${base},
    destination => ai.destination_table('docs')) as id`);
  const [b] = await db.sql.unsafe(`select ai.create_vectorizer('named_src', ${base},
    destination => ai.destination_table(target_schema => 's', target_table => 't',
      view_schema => 's', view_name => 'v')) as id`);
  const rows = await db.sql`select id, name, config -> 'destination' as d from ai.vectorizer
    where id in (${a?.id}, ${b?.id}) order by id`;
  assert.deepEqual(rows[0]?.d, {
    implementation: "table",
    config_type: "destination",
    target_schema: "public",
    target_table: "docs_store",
    view_schema: "public",
    view_name: "docs",
  });
  assert.equal(rows[0]?.name, "public_docs_store");
  assert.deepEqual(rows[1]?.d, {
    implementation: "table",
    config_type: "destination",
    target_schema: "s",
    target_table: "t",
    view_schema: "public",
    view_name: "v",
  });
  assert.equal(rows[1]?.name, "s_t");
  const rels = await db.sql`select to_regclass('public.docs_store') is not null as ts,
    to_regclass('public.docs') is not null as v1, to_regclass('s.t') is not null as t2,
    to_regclass('public.v') is not null as v2`;
  assert.deepEqual({ ...rels[0] }, { ts: true, v1: true, t2: true, v2: true });
});

Deno.test("explicit queue schema and table; the failed queue is always _vectorizer_q_failed_<id>", async () => {
  await db.sql`create table q_src (id int primary key, body text)`;
  await db.sql`create schema queues`;
  const [{ id }] = await db
    .sql`select ai.create_vectorizer('q_src', loading => ai.loading_column('body'),
    embedding => ai.embedding_openai('m', 3), queue_schema => 'queues', queue_table => 'work',
    enqueue_existing => false) as id` as [{ id: number }];
  const [row] = await db.sql`select queue_schema, queue_table, queue_failed_table, trigger_name
    from ai.vectorizer where id = ${id}`;
  assert.deepEqual({ ...row }, {
    queue_schema: "queues",
    queue_table: "work",
    queue_failed_table: `_vectorizer_q_failed_${id}`,
    trigger_name: `_vectorizer_src_trg_${id}`,
  });
  const [fn] = await db.sql`select p.prosecdef, p.proconfig, p.proparallel, p.proacl::text as acl,
    pg_get_userbyid(p.proowner) as owner
    from pg_proc p where p.oid = ${`queues._vectorizer_src_trg_${id}()`}::regprocedure`;
  assert.deepEqual({ ...fn }, {
    prosecdef: true,
    proconfig: ["search_path=pg_catalog, pg_temp"],
    proparallel: "s",
    acl: "{postgres=X/postgres}",
    owner: "postgres",
  });
  const triggers = await db.sql`select tgname, pg_get_triggerdef(oid) as d from pg_trigger
    where tgrelid = 'q_src'::regclass order by tgname`;
  assert.deepEqual(triggers.map((t) => t.d), [
    `CREATE TRIGGER _vectorizer_src_trg_${id} AFTER INSERT OR DELETE OR UPDATE ON public.q_src FOR EACH ROW EXECUTE FUNCTION queues._vectorizer_src_trg_${id}()`,
    `CREATE TRIGGER _vectorizer_src_trg_${id}_truncate AFTER TRUNCATE ON public.q_src FOR EACH STATEMENT EXECUTE FUNCTION queues._vectorizer_src_trg_${id}()`,
  ]);
  const [empty] = await db.sql.unsafe(`select count(*)::int as n from queues.work`);
  assert.equal(empty?.n, 0, "enqueue_existing => false leaves the queue empty");
});

Deno.test("column destination adds a vector column with storage MAIN; an existing one is kept", async () => {
  await db.sql`create table col_src (id int primary key, body text)`;
  await db.sql`insert into col_src values (1, 'x')`;
  const [{ id }] = await db
    .sql`select ai.create_vectorizer('col_src', loading => ai.loading_column('body'),
    embedding => ai.embedding_openai('m', 5), destination => ai.destination_column('emb'),
    chunking => ai.chunking_none()) as id` as [{ id: number }];
  const [row] = await db
    .sql`select name, config -> 'destination' as d from ai.vectorizer where id = ${id}`;
  assert.equal(row?.name, "public_col_src_emb");
  assert.deepEqual(row?.d, {
    config_type: "destination",
    implementation: "column",
    embedding_column: "emb",
  });
  const [att] = await db
    .sql`select format_type(atttypid, atttypmod) as t, attstorage from pg_attribute
    where attrelid = 'col_src'::regclass and attname = 'emb'`;
  assert.deepEqual({ ...att }, { t: "vector(5)", attstorage: "m" });
  const [status] = await db
    .sql`select target_table, view, embedding_column from ai.vectorizer_status
    where id = ${id}`;
  assert.deepEqual({ ...status }, { target_table: null, view: null, embedding_column: "emb" });

  await db.sql`create table col_src2 (id int primary key, body text, emb vector(3))`;
  const client = recordingClient(db.url);
  try {
    await client.sql`set client_min_messages = notice`;
    await client.sql`select ai.create_vectorizer('col_src2', loading => ai.loading_column('body'),
      embedding => ai.embedding_openai('m', 5), destination => ai.destination_column('emb'),
      chunking => ai.chunking_none())`;
    assert.ok(
      client.messages.some((m) =>
        m.message === "embedding column embI already exists in publicI.col_src2I skipping creation"
      ),
      JSON.stringify(client.messages),
    );
  } finally {
    await client.sql.end();
  }
  const [kept] = await db.sql`select format_type(atttypid, atttypmod) as t from pg_attribute
    where attrelid = 'col_src2'::regclass and attname = 'emb'`;
  assert.equal(kept?.t, "vector(3)");
});

Deno.test("a mixed-case primary key column works for table destinations", async () => {
  await db.sql`create table mixed ("Id" int primary key, body text)`;
  await db.sql`insert into mixed values (7, 'x')`;
  const [{ id }] = await db
    .sql`select ai.create_vectorizer('mixed', loading => ai.loading_column('body'),
    embedding => ai.embedding_openai('m', 3)) as id` as [{ id: number }];
  const queued = await db.sql.unsafe(`select "Id" from ai._vectorizer_q_${id}`);
  assert.deepEqual([...queued], [{ Id: 7 }]);
  await db.sql`delete from mixed`;
  const view = await db.sql`select count(*)::int as n from mixed_embedding`;
  assert.equal(view[0]?.n, 0);
});

Deno.test("grant_to gives the grantees exactly pgai's privileges", async () => {
  const role = uniqueRole("catalog_grantee");
  const admin = await adminSql();
  await admin.unsafe(`create role ${role}`);
  await db.sql`create table g_src (id int primary key, body text)`;
  let id = 0;
  try {
    [{ id }] = await db.sql.unsafe(`select ai.create_vectorizer('g_src',
      loading => ai.loading_column('body'), embedding => ai.embedding_openai('m', 3),
      grant_to => ai.grant_to('${role}')) as id`) as unknown as [{ id: number }];
    const check = async (object: string, kind: "table" | "schema", privileges: string[]) => {
      const rows = await db.sql.unsafe(
        kind === "table"
          ? `select p, has_table_privilege('${role}', '${object}', p) as ok
             from unnest(array['SELECT','INSERT','UPDATE','DELETE']) p`
          : `select p, has_schema_privilege('${role}', '${object}', p) as ok
             from unnest(array['USAGE','CREATE']) p`,
      );
      const granted = rows.filter((r) => r.ok).map((r) => r.p);
      assert.deepEqual(granted, privileges, `${role} on ${object}`);
    };
    await check("public", "schema", ["USAGE"]);
    await check("g_src", "table", ["SELECT"]);
    await check("g_src_embedding_store", "table", ["SELECT", "INSERT", "UPDATE"]);
    await check("g_src_embedding", "table", ["SELECT"]);
    await check(`ai._vectorizer_q_${id}`, "table", ["SELECT", "INSERT", "UPDATE", "DELETE"]);
    await check(`ai._vectorizer_q_failed_${id}`, "table", ["SELECT", "INSERT", "UPDATE", "DELETE"]);
    await check("ai", "schema", ["USAGE"]);
    await check("ai.vectorizer", "table", ["SELECT"]);
    await check("ai._vectorizer_errors", "table", []);
  } finally {
    await db.sql`select ai.drop_vectorizer(${id}::int4, drop_all => true)`;
    await db.sql.unsafe(
      `revoke all on schema ai from ${role}; revoke all on ai.vectorizer from ${role};
      revoke all on g_src from ${role}; revoke all on schema public from ${role}`,
    );
    await admin.unsafe(`drop role ${role}`);
    await admin.end();
  }
});

Deno.test("only the source table's owner (or a superuser) may create a vectorizer on it", async () => {
  const role = uniqueRole("catalog_user");
  const admin = await adminSql();
  await admin.unsafe(`create role ${role} login`);
  const user = postgres(db.url, { max: 1, user: role, onnotice: () => {} });
  try {
    await db.sql`create table owned_by_admin (id int primary key, body text)`;
    await db.sql.unsafe(`select ai.grant_vectorizer_usage('${role}')`);
    await db.sql.unsafe(`grant usage, create on schema public to ${role};
      grant select on owned_by_admin to ${role}`);
    const refused = await user`select ai.create_vectorizer('owned_by_admin',
      loading => ai.loading_column('body'), embedding => ai.embedding_openai('m', 3))`
      .then(() => undefined, (e: Error) => e.message);
    assert.equal(
      refused,
      "only a superuser or the owner of the source table may create a vectorizer on it",
    );
    await user`create table own_table (id int primary key, body text)`;
    await user`insert into own_table values (1, 'x')`;
    const [created] = await user`select ai.create_vectorizer('own_table',
      loading => ai.loading_column('body'), embedding => ai.embedding_openai('m', 3)) as id`;
    const [owner] = await db.sql.unsafe(`select pg_get_userbyid(relowner) as o
      from pg_class where oid = 'ai._vectorizer_q_${created?.id}'::regclass`);
    assert.equal(owner?.o, role, "per-vectorizer objects belong to the creator");
    await user`insert into own_table values (2, 'y')`;
    const [pending] = await user`select ai.vectorizer_queue_pending(${created?.id}::int4) as n`;
    assert.equal(pending?.n, "2");
    await user`select ai.drop_vectorizer(${created?.id}::int4, drop_all => true)`;
    await user`drop table own_table`;
  } finally {
    await user.end();
    await db.sql.unsafe(
      `revoke all on schema public from ${role}; revoke all on owned_by_admin from ${role};
      revoke all on schema ai from ${role}; revoke all on ai.vectorizer from ${role};
      revoke all on ai._vectorizer_errors from ${role}; revoke all on ai.vectorizer_errors from ${role};
      revoke all on ai.vectorizer_status from ${role}; revoke all on sequence ai.vectorizer_id_seq from ${role}`,
    );
    await admin.unsafe(`drop role ${role}`);
    await admin.end();
  }
});
