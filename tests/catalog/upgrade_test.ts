/**
 * Upgrading catalogs left by older pgai versions (fixtures reconstructed from the contract's
 * migration descriptions) to the 0.12.1 end state in place, keeping vectorizers, queues,
 * embeddings and grants.
 */
import assert from "node:assert/strict";
import { adminSql, testDatabase } from "../support/pg.ts";
import { install, InstallError } from "../../src/catalog/install.ts";
import { MIGRATION_NAMES, TABLES, VIEWS } from "./contract.ts";
import { recordingClient, uniqueRole } from "./helpers.ts";
import lib0101 from "./fixtures/lib-0.10.1.sql" with { type: "text" };
import ext09 from "./fixtures/ext-0.9-divested.sql" with { type: "text" };
import type { TestDatabase } from "../support/pg.ts";
import { contractVectorizerRow } from "../support/contract_row.ts";

const reader = uniqueRole("catalog_reader");
{
  const admin = await adminSql();
  await admin.unsafe(`create role ${reader}`);
  await admin.end();
}
const databases: TestDatabase[] = [];
Deno.test.afterAll(async () => {
  for (const db of databases) await db.drop();
  const admin = await adminSql();
  await admin.unsafe(`drop role ${reader}`);
  await admin.end();
});

async function fromFixture(label: string, fixture: string): Promise<TestDatabase> {
  const db = await testDatabase(label);
  databases.push(db);
  await db.sql.unsafe(fixture.replaceAll(":reader", reader)).simple();
  return db;
}

async function columnsOf(db: TestDatabase, relation: string): Promise<string[]> {
  const rows = await db.sql<{ attname: string }[]>`select attname from pg_attribute
    where attrelid = ${relation}::regclass and attnum > 0 and not attisdropped order by attnum`;
  return rows.map((r) => r.attname);
}

async function hasSelect(db: TestDatabase, relation: string): Promise<boolean> {
  const [row] = await db.sql`select has_table_privilege(${reader}, ${relation}, 'SELECT') as ok`;
  return row?.ok as boolean;
}

async function queueIds(db: TestDatabase, queue: string): Promise<unknown[]> {
  const rows = await db.sql.unsafe(`select id from ${queue} order by queued_at, id`);
  return rows.map((r) => r.id);
}

Deno.test("a pgai 0.10.1 catalog is upgraded in place, status view column change included", async () => {
  const db = await fromFixture("catalog_up_0101", lib0101);
  const vectorizersBefore = await db
    .sql`select id, name, config, source_pk from ai.vectorizer order by id`;
  const client = recordingClient(db.url);
  let result;
  try {
    result = await install(client.sql);
  } finally {
    await client.sql.end();
  }
  assert.equal(result.status, "upgraded");
  assert.equal(result.previousVersion, "0.10.1");
  assert.equal(result.message, "pgai 0.12.1 installed (upgraded from 0.10.1)");

  const [version] = await db.sql`select version, installed_at from ai.pgai_lib_version`;
  assert.equal(version?.version, "0.12.1");
  assert.equal(
    (version?.installed_at as Date).toISOString(),
    "2025-04-01T00:00:00.000Z",
    "installed_at keeps the first install time",
  );
  const migrations = await db.sql`select name, applied_at_version, body from ai.pgai_lib_migration
    order by name`;
  assert.deepEqual(migrations.map((m) => m.name), MIGRATION_NAMES);
  for (const m of migrations.slice(0, -1)) {
    assert.equal(m.applied_at_version, "0.10.1", `${m.name} stays as recorded`);
    assert.equal(m.body, "-- body of pgai 0.10.1");
  }
  assert.equal(migrations.at(-1)?.applied_at_version, "0.12.1");

  // 030: errors moved behind a view, grants carried over
  assert.deepEqual(
    await columnsOf(db, "ai._vectorizer_errors"),
    TABLES._vectorizer_errors!.map((c) => c.name),
  );
  const [ix] = await db
    .sql`select to_regclass('ai._vectorizer_errors_id_recorded_idx') is not null as ok`;
  assert.equal(ix?.ok, true);
  const errors = await db.sql`select id, message, name from ai.vectorizer_errors`;
  assert.deepEqual([...errors].map((r) => ({ ...r })), [
    { id: 1, message: "embedding provider failed", name: "blog_vec" },
  ]);
  assert.equal(await hasSelect(db, "ai.vectorizer_errors"), true);

  // the status view got its new columns and kept its grant
  assert.deepEqual(
    await columnsOf(db, "ai.vectorizer_status"),
    VIEWS.vectorizer_status!.map((c) => c.name),
  );
  assert.equal(await hasSelect(db, "ai.vectorizer_status"), true);
  const status = await db.sql`select id, name, pending_items, embedding_column, disabled
    from ai.vectorizer_status order by id`;
  assert.deepEqual([...status].map((r) => ({ ...r })), [
    { id: 1, name: "blog_vec", pending_items: "1", embedding_column: "embedding", disabled: false },
    { id: 2, name: "notes_vec", pending_items: "0", embedding_column: "emb", disabled: true },
  ]);

  // vectorizers, queues and embeddings untouched
  const vectorizersAfter = await db
    .sql`select id, name, config, source_pk from ai.vectorizer order by id`;
  assert.deepEqual([...vectorizersAfter], [...vectorizersBefore]);
  const [store] = await db.sql`select count(*)::int as n from blog_embedding_store`;
  assert.equal(store?.n, 3);
  assert.deepEqual(await queueIds(db, "ai._vectorizer_q_1"), [3]);

  // superseded overload gone, the signature-compatible helper replaced in place
  const overloads = await db.sql`select pg_get_function_identity_arguments(oid) as a from pg_proc
    where proname = 'create_vectorizer'`;
  assert.equal(overloads.length, 1);
  const [helper] = await db.sql`select ai.destination_table('docs') as d`;
  assert.deepEqual(helper?.d, {
    config_type: "destination",
    destination: "docs",
    implementation: "table",
  });

  // trigger functions carry the current logic: a no-op update enqueues nothing, truncate empties target
  await db.sql`update blog set title = title where id = 1`;
  assert.deepEqual(await queueIds(db, "ai._vectorizer_q_1"), [3]);
  await db.sql`update blog set title = 'new' where id = 1`;
  assert.deepEqual(await queueIds(db, "ai._vectorizer_q_1"), [3, 1]);
  await db.sql`update notes set emb = '[0,0,1]' where id = 1`;
  assert.deepEqual(await queueIds(db, "ai._vectorizer_q_2"), []);
  await db.sql`truncate blog`;
  const [emptied] = await db.sql`select count(*)::int as n from blog_embedding_store`;
  assert.equal(emptied?.n, 0);

  // the catalog works for new vectorizers, and a second run is a no-op
  await db.sql`create table fresh (id int primary key, body text)`;
  await db.sql`select ai.create_vectorizer('fresh', loading => ai.loading_column('body'),
    embedding => ai.embedding_ollama('m', 3))`;
  assert.equal((await install(db.sql)).status, "already-installed");
});

Deno.test("an extension-era catalog divested to the library runs migrations 019-030 with its data", async () => {
  const db = await fromFixture("catalog_up_ext", ext09);
  const result = await install(db.sql);
  assert.equal(result.status, "installed");

  const migrations = await db.sql<{ name: string; applied_at_version: string }[]>`
    select name, applied_at_version from ai.pgai_lib_migration order by name`;
  assert.deepEqual(migrations.map((m) => m.name), MIGRATION_NAMES);
  const unpackaged = migrations.filter((m) => m.applied_at_version === "unpackaged").length;
  assert.equal(unpackaged, 7);
  const [extensionBookkeeping] = await db.sql`select count(*)::int as n from ai.migration`;
  assert.equal(extensionBookkeeping?.n, 1, "the extension's own bookkeeping is left alone");

  // registry: columns of 0.12.1 (target/view columns dropped), name backfilled
  assert.deepEqual(await columnsOf(db, "ai.vectorizer"), TABLES.vectorizer!.map((c) => c.name));
  const [v] = await db.sql`select to_jsonb(v) as v from ai.vectorizer v`;
  // The contract's row, but with this fixture's name (backfilled by 029), composite key and size.
  const expected = contractVectorizerRow(1);
  assert.deepEqual(v?.v, {
    ...expected,
    name: "public_blog_embedding_store",
    source_pk: [
      { pknum: 1, attnum: 1, attname: "id", typname: "integer" },
      { pknum: 2, attnum: 2, attname: "lang", typname: "text" },
    ],
    config: { ...expected.config, embedding: { ...expected.config.embedding, dimensions: 3 } },
  });

  // queue gained the retry columns and kept its rows; the failed queue exists with the queue's grantee
  assert.deepEqual(await columnsOf(db, "ai._vectorizer_q_1"), [
    "id",
    "lang",
    "queued_at",
    "loading_retries",
    "loading_retry_after",
  ]);
  const queued = await db.sql`select id, lang, loading_retries from ai._vectorizer_q_1`;
  assert.deepEqual([...queued].map((r) => ({ ...r })), [
    { id: 3, lang: "de", loading_retries: 0 },
    { id: 3, lang: "de", loading_retries: 0 },
  ]);
  assert.deepEqual(await columnsOf(db, "ai._vectorizer_q_failed_1"), [
    "id",
    "lang",
    "created_at",
    "failure_step",
  ]);
  assert.equal(await hasSelect(db, "ai._vectorizer_q_failed_1"), true);

  // both triggers with the current logic
  const triggers = await db.sql`select tgname from pg_trigger where tgrelid = 'blog'::regclass
    and not tgisinternal order by tgname`;
  assert.deepEqual(triggers.map((t) => t.tgname), [
    "_vectorizer_src_trg_1",
    "_vectorizer_src_trg_1_truncate",
  ]);
  await db.sql`update blog set title = title`;
  const [afterNoop] = await db.sql`select count(*)::int as n from ai._vectorizer_q_1`;
  assert.equal(afterNoop?.n, 2);
  await db.sql`delete from blog where id = 1`;
  const [store] = await db.sql`select count(*)::int as n from blog_embedding_store`;
  assert.equal(store?.n, 1);

  // status and errors views, with the status view's grant kept across the drop in 028
  assert.deepEqual(
    await columnsOf(db, "ai.vectorizer_status"),
    VIEWS.vectorizer_status!.map((c) => c.name),
  );
  assert.equal(await hasSelect(db, "ai.vectorizer_status"), true);
  const errors = await db.sql`select message, name from ai.vectorizer_errors`;
  assert.deepEqual([...errors].map((r) => ({ ...r })), [
    { message: "old failure", name: "public_blog_embedding_store" },
  ]);

  // extension-era leftovers are gone
  const [leftovers] = await db.sql`select
    (select count(*) from pg_event_trigger where evtname = '_vectorizer_handle_drops')::int as evt,
    (select count(*) from pg_proc where proname = '_vectorizer_handle_drops')::int as evt_fn,
    (select count(*) from pg_proc where proname = 'chunking_character_text_splitter')::int as chunking,
    (select count(*) from pg_proc where proname = '_validate_chunking')::int as validate,
    (select count(*) from pg_proc where proname = '_vectorizer_create_source_trigger')::int as source_trigger,
    (select count(*) from pg_proc where proname = 'create_vectorizer')::int as create,
    (select count(*) from pg_proc where proname = 'loading_uri')::int as loading_uri`;
  assert.deepEqual({ ...leftovers }, {
    evt: 0,
    evt_fn: 0,
    chunking: 1,
    validate: 1,
    source_trigger: 1,
    create: 1,
    loading_uri: 1,
  });
});

Deno.test("a pgai 0.11 catalog: unknown migrations (031) and semantic-catalog tables are left alone", async () => {
  const db = await testDatabase("catalog_up_011");
  databases.push(db);
  await install(db.sql);
  await db.sql.unsafe(`
    update ai.pgai_lib_version set version = '0.11.0';
    insert into ai.pgai_lib_migration (name, applied_at_version, body)
      values ('031-semantic-catalog.sql', '0.11.0', '--');
    create table ai.semantic_catalog (id int primary key, catalog_name name);
    insert into ai.semantic_catalog values (1, 'default');
    drop function ai.loading_column(name, int4);
    create function ai.loading_column(col name, retries int4 default 6) returns jsonb
      language sql immutable as $$ select '{}'::jsonb $$;`);
  const result = await install(db.sql);
  assert.equal(result.status, "upgraded");
  const [row] = await db.sql`select (select count(*) from ai.semantic_catalog)::int as sc,
    (select count(*) from ai.pgai_lib_migration)::int as migrations,
    ai.loading_column('body') as loading,
    pg_get_function_arguments('ai.loading_column(name,int4)'::regprocedure) as args`;
  assert.deepEqual({ ...row }, {
    sc: 1,
    migrations: MIGRATION_NAMES.length + 1,
    loading: { retries: 6, column_name: "body", config_type: "loading", implementation: "column" },
    args: "column_name name, retries integer DEFAULT 6",
  });
});

Deno.test("an outdated function that user objects depend on stops the upgrade with a clear error", async () => {
  const db = await testDatabase("catalog_up_blocked");
  databases.push(db);
  await install(db.sql);
  await db.sql.unsafe(`
    update ai.pgai_lib_version set version = '0.11.0';
    drop function ai.parsing_none();
    create function ai.parsing_none(flavor text default 'x') returns jsonb
      language sql immutable as $$ select '{}'::jsonb $$;
    create view public.uses_old as select ai.parsing_none() as p;`);
  const failure = await install(db.sql).then(() => undefined, (e: unknown) => e);
  assert.ok(failure instanceof InstallError, String(failure));
  assert.match(
    failure.message,
    /cannot replace the outdated function ai\.parsing_none\(text\): view public\.uses_old depend/,
  );
  const [row] = await db.sql`select version from ai.pgai_lib_version`;
  assert.equal(row?.version, "0.11.0", "the whole upgrade rolled back");
});
