/**
 * The rest of the public API (contract §3.5-§3.9): drop_vectorizer, enable/disable,
 * vectorizer_queue_pending, vectorizer_status, the worker-tracking functions, grant_vectorizer_usage
 * and the functions that need the ai extension or TimescaleDB.
 */
import assert from "node:assert/strict";
import { adminSql } from "../support/pg.ts";
import { catalogDatabase, pgFailure, uniqueRole } from "./helpers.ts";

const db = await catalogDatabase("catalog_lifecycle");
Deno.test.afterAll(() => db.drop());

async function vectorizer(table: string, extra = ""): Promise<number> {
  await db.sql.unsafe(`create table if not exists ${table} (id int primary key, body text)`);
  const [row] = await db.sql.unsafe(`select ai.create_vectorizer('${table}', name => '${table}_vec',
    loading => ai.loading_column('body'), embedding => ai.embedding_openai('m', 3)${extra}) as id`);
  return row?.id as number;
}

async function exists(relation: string): Promise<boolean> {
  const [row] = await db.sql`select to_regclass(${relation}) is not null as e`;
  return row?.e as boolean;
}

async function triggerCount(table: string): Promise<number> {
  const [row] = await db.sql`select count(*)::int as n from pg_trigger
    where tgrelid = ${table}::regclass and not tgisinternal`;
  return row?.n as number;
}

Deno.test("drop_vectorizer keeps target and view by default and removes everything else", async () => {
  const id = await vectorizer("d_keep");
  await db.sql`insert into ai._vectorizer_errors (id, message) values (${id}, 'boom')`;
  await db.sql`select ai.drop_vectorizer(${id}::int4)`;
  assert.equal(await triggerCount("d_keep"), 0);
  assert.equal(await exists(`ai._vectorizer_q_${id}`), false);
  assert.equal(await exists(`ai._vectorizer_q_failed_${id}`), false);
  assert.equal(await exists("d_keep_embedding_store"), true);
  assert.equal(await exists("d_keep_embedding"), true);
  const fn = await db.sql`select to_regprocedure(${`ai._vectorizer_src_trg_${id}()`}) as f`;
  assert.equal(fn[0]?.f, null);
  const rows = await db.sql`select (select count(*) from ai.vectorizer where id = ${id})::int as v,
    (select count(*) from ai._vectorizer_errors where id = ${id})::int as e`;
  assert.deepEqual({ ...rows[0] }, { v: 0, e: 0 });
});

Deno.test("drop_vectorizer by name with drop_all removes target and view; unknown names are a no-op", async () => {
  const id = await vectorizer("d_all");
  await db.sql`select ai.drop_vectorizer('nonexistent')`;
  await db.sql`select ai.drop_vectorizer('d_all_vec', drop_all => true)`;
  assert.equal(await exists("d_all_embedding_store"), false);
  assert.equal(await exists("d_all_embedding"), false);
  assert.equal(await exists(`ai._vectorizer_q_${id}`), false);
});

Deno.test("drop_vectorizer with drop_all never drops a column destination's column", async () => {
  const id = await vectorizer(
    "d_col",
    ", destination => ai.destination_column('emb'), chunking => ai.chunking_none()",
  );
  await db.sql`select ai.drop_vectorizer(${id}::int4, drop_all => true)`;
  const [col] = await db.sql`select count(*)::int as n from pg_attribute
    where attrelid = 'd_col'::regclass and attname = 'emb' and not attisdropped`;
  assert.equal(col?.n, 1);
  assert.equal(await triggerCount("d_col"), 0);
});

Deno.test("drop_vectorizer cleans up after the source table was dropped", async () => {
  const id = await vectorizer("d_gone");
  await db.sql`drop table d_gone cascade`;
  await db.sql`select ai.drop_vectorizer(${id}::int4, drop_all => true)`;
  const fn = await db.sql`select to_regprocedure(${`ai._vectorizer_src_trg_${id}()`}) as f`;
  assert.equal(fn[0]?.f, null);
  assert.equal(await exists(`ai._vectorizer_q_${id}`), false);
  assert.equal(await exists("d_gone_embedding_store"), false);
});

Deno.test("drop_vectorizer of an unknown id raises plpgsql's no-rows error", async () => {
  const failure = await pgFailure(() => db.sql`select ai.drop_vectorizer(999999)`);
  assert.deepEqual(failure, { code: "P0002", message: "query returned no rows" });
});

Deno.test("disable/enable_vectorizer_schedule flip the disabled flag by id and by name", async () => {
  const id = await vectorizer("sched");
  const disabled = async () =>
    (await db.sql`select disabled from ai.vectorizer where id = ${id}`)[0]?.disabled;
  await db.sql`select ai.disable_vectorizer_schedule(${id}::int4)`;
  assert.equal(await disabled(), true);
  await db.sql`select ai.enable_vectorizer_schedule('sched_vec')`;
  assert.equal(await disabled(), false);
  await db.sql`select ai.disable_vectorizer_schedule('sched_vec')`;
  assert.equal(await disabled(), true);
  const [status] = await db.sql`select disabled from ai.vectorizer_status where id = ${id}`;
  assert.equal(status?.disabled, true);
  await db.sql`insert into sched values (1, 'x')`;
  const [pending] = await db.sql`select ai.vectorizer_queue_pending(${id}::int4) as n`;
  assert.equal(pending?.n, "1", "triggers keep enqueuing while disabled");
  await db.sql`select ai.enable_vectorizer_schedule('unknown')`;
  const failure = await pgFailure(() => db.sql`select ai.enable_vectorizer_schedule(999999)`);
  assert.deepEqual(failure, { code: "P0002", message: "query returned no rows" });
});

Deno.test("vectorizer_queue_pending counts duplicates, caps at 10000 unless exact", async () => {
  const id = await vectorizer("pending", ", enqueue_existing => false");
  await db.sql.unsafe(`insert into ai._vectorizer_q_${id} (id, loading_retry_after)
    select g % 5000, case when g % 2 = 0 then now() + interval '1 hour' end
    from generate_series(1, 10002) g`);
  const [row] = await db.sql`select ai.vectorizer_queue_pending(${id}::int4) as approx,
    ai.vectorizer_queue_pending(${id}::int4, exact_count => true) as exact,
    ai.vectorizer_queue_pending('pending_vec', true) as by_name,
    ai.vectorizer_queue_pending('unknown') as unknown`;
  assert.deepEqual({ ...row }, {
    approx: "9223372036854775807",
    exact: "10002",
    by_name: "10002",
    unknown: null,
  });
  await db.sql.unsafe(`delete from ai._vectorizer_q_${id} where id > 2`);
  const [small] = await db.sql`select ai.vectorizer_queue_pending(${id}::int4) as n`;
  assert.equal(small?.n, "8");
  const failure = await pgFailure(() => db.sql`select ai.vectorizer_queue_pending(999999)`);
  assert.equal(failure.message, "vectorizer has no queue table");
});

Deno.test("vectorizer_status hides pending_items from roles that cannot read the queue", async () => {
  const id = await vectorizer("status_src");
  const role = uniqueRole("catalog_status");
  const admin = await adminSql();
  await admin.unsafe(`create role ${role}`);
  try {
    await db.sql.unsafe(`select ai.grant_vectorizer_usage('${role}')`);
    const rows = await db.sql.begin(async (tx) => {
      await tx.unsafe(`set local role ${role}`);
      return await tx`select pending_items, source_table from ai.vectorizer_status where id = ${id}`;
    });
    assert.deepEqual({ ...rows[0] }, { pending_items: null, source_table: "public.status_src" });
  } finally {
    await db.sql.unsafe(
      `revoke all on schema ai from ${role}; revoke all on ai.vectorizer from ${role};
      revoke all on ai._vectorizer_errors from ${role}; revoke all on ai.vectorizer_errors from ${role};
      revoke all on ai.vectorizer_status from ${role}; revoke all on sequence ai.vectorizer_id_seq from ${role}`,
    );
    await admin.unsafe(`drop role ${role}`);
    await admin.end();
  }
});

Deno.test("grant_vectorizer_usage grants pgai's user and admin privileges", async () => {
  const user = uniqueRole("catalog_usage");
  const adminRole = uniqueRole("catalog_admin");
  const admin = await adminSql();
  await admin.unsafe(`create role ${user}; create role ${adminRole}`);
  try {
    await db.sql.unsafe(`select ai.grant_vectorizer_usage('${user}');
      select ai.grant_vectorizer_usage('${adminRole}', admin => true)`);
    const [p] = await db.sql.unsafe(`select
      has_schema_privilege('${user}', 'ai', 'USAGE') and has_schema_privilege('${user}', 'ai', 'CREATE') as schema_ok,
      has_table_privilege('${user}', 'ai.vectorizer', 'SELECT,INSERT,UPDATE,DELETE') as vectorizer_ok,
      has_table_privilege('${user}', 'ai.vectorizer', 'TRUNCATE') as vectorizer_truncate,
      has_table_privilege('${user}', 'ai._vectorizer_errors', 'SELECT') as errors_ok,
      has_table_privilege('${user}', 'ai._vectorizer_errors', 'INSERT') as errors_insert,
      has_table_privilege('${user}', 'ai.vectorizer_errors', 'SELECT') as view_ok,
      has_table_privilege('${user}', 'ai.vectorizer_status', 'SELECT') as status_ok,
      has_sequence_privilege('${user}', 'ai.vectorizer_id_seq', 'SELECT,USAGE') as seq_ok,
      has_table_privilege('${user}', 'ai.pgai_lib_version', 'SELECT') as version_read,
      has_table_privilege('${user}', 'ai.vectorizer_worker_process', 'SELECT') as tracking_read,
      has_table_privilege('${adminRole}', 'ai.pgai_lib_migration', 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE') as admin_migration,
      has_table_privilege('${adminRole}', 'ai.vectorizer', 'TRUNCATE') as admin_vectorizer,
      has_table_privilege('${adminRole}', 'ai.vectorizer_worker_process', 'SELECT') as admin_tracking`);
    assert.deepEqual({ ...p }, {
      schema_ok: true,
      vectorizer_ok: true,
      vectorizer_truncate: false,
      errors_ok: true,
      errors_insert: false,
      view_ok: true,
      status_ok: true,
      seq_ok: true,
      version_read: false,
      tracking_read: false,
      admin_migration: true,
      admin_vectorizer: true,
      admin_tracking: false,
    });
  } finally {
    await db.sql.unsafe(`drop owned by ${user}, ${adminRole}`);
    await admin.unsafe(`drop role ${user}; drop role ${adminRole}`);
    await admin.end();
  }
});

Deno.test("worker tracking: start, heartbeats and progress follow the contract's example", async () => {
  const id = await vectorizer("tracked");
  const [started] = await db.sql`select ai._worker_start('0.12.1', interval '5 minutes') as w`;
  const worker = started?.w as string;
  await db.sql`select ai._worker_heartbeat(${worker}::uuid, 3, 1, 'boom')`;
  await db.sql`select ai._worker_heartbeat(${worker}::uuid, 2, 0, null)`;
  await db.sql`select ai._worker_heartbeat('00000000-0000-0000-0000-000000000000', 1, 1, 'x')`;
  const [p] = await db.sql`select version, expected_heartbeat_interval::text as i, heartbeat_count,
    error_count, success_count, last_error_message, last_error_at is not null as has_error_at,
    last_heartbeat >= started as beat from ai.vectorizer_worker_process where id = ${worker}`;
  assert.deepEqual({ ...p }, {
    version: "0.12.1",
    i: "00:05:00",
    heartbeat_count: 2,
    error_count: 1,
    success_count: 5,
    last_error_message: "boom",
    has_error_at: true,
    beat: true,
  });
  const [{ n }] = await db.sql`select count(*)::int as n from ai.vectorizer_worker_process` as [
    { n: number },
  ];
  assert.equal(n, 1, "an unknown worker id changes nothing");

  await db.sql`select ai._worker_progress(${worker}::uuid, ${id}, 10, null)`;
  await db.sql`select ai._worker_progress(${worker}::uuid, ${id}, 0, 'failed batch')`;
  const [g] = await db.sql`select success_count, error_count, last_error_message,
    last_success_process_id = ${worker}::uuid as success_by, last_error_process_id = ${worker}::uuid as error_by,
    last_success_at is not null as s_at, last_error_at is not null as e_at
    from ai.vectorizer_worker_progress where vectorizer_id = ${id}`;
  assert.deepEqual({ ...g }, {
    success_count: 10,
    error_count: 1,
    last_error_message: "failed batch",
    success_by: true,
    error_by: true,
    s_at: true,
    e_at: true,
  });
  const fk = await pgFailure(() =>
    db.sql`select ai._worker_progress(${worker}::uuid, 999999, 1, null)`
  );
  assert.equal(fk.code, "23503");
  assert.match(fk.message, /vectorizer_worker_progress_vectorizer_id_fkey/);
});

Deno.test("the errors view joins the vectorizer name onto _vectorizer_errors rows", async () => {
  const id = await vectorizer("errs");
  await db.sql`insert into ai._vectorizer_errors (id, message, details)
    values (${id}, 'embedding provider failed', '{"provider":"openai"}')`;
  const rows = await db.sql`select id, message, details, name, recorded is not null as r
    from ai.vectorizer_errors where id = ${id}`;
  assert.deepEqual([...rows].map((r) => ({ ...r })), [{
    id,
    message: "embedding provider failed",
    details: { provider: "openai" },
    name: "errs_vec",
    r: true,
  }]);
});

Deno.test("extension-only functions resolve but fail without the ai extension", async () => {
  const id = await vectorizer("ext_only");
  const embed = await pgFailure(() => db.sql`select ai.vectorizer_embed(${id}::int4, 'hello')`);
  assert.match(embed.message, /^function ai\.openai_embed\(.*\) does not exist$/);
  const byName = await pgFailure(() => db.sql`select ai.vectorizer_embed('ext_only_vec', 'hello')`);
  assert.match(byName.message, /^function ai\.openai_embed/);
  const unsupported = await pgFailure(() =>
    db.sql`select ai.vectorizer_embed(ai.embedding_litellm('m', 3), 'hello')`
  );
  assert.equal(unsupported.message, "unsupported embedding implementation");
  const execute = await pgFailure(() => db.sql`select ai.execute_vectorizer('ext_only_vec')`);
  assert.equal(execute.message, "function ai.execute_vectorizer(integer) does not exist");
  const unknown = await pgFailure(() => db.sql`select ai.execute_vectorizer('unknown')`);
  assert.equal(unknown.message, "query returned no rows");
  const job = await pgFailure(() =>
    db.sql`select ai.set_scheduling(${id}::int4, ai.scheduling_timescaledb(), ai.indexing_none())`
  );
  assert.equal(job.message, "ai extension not found but it is needed for timescaledb scheduling.");
});

Deno.test("set_scheduling validates like create and merges scheduling and indexing into config", async () => {
  const id = await vectorizer("resched");
  const refused = await pgFailure(() =>
    db.sql`select ai.set_scheduling(${id}::int4, ai.scheduling_none(), ai.indexing_hnsw())`
  );
  assert.match(refused.message, /^automatic indexing is not supported without scheduling/);
  const [row] = await db.sql`select ai.set_scheduling(${id}::int4) as c`;
  assert.deepEqual(row?.c.scheduling, { config_type: "scheduling", implementation: "none" });
  assert.deepEqual(row?.c.indexing, { config_type: "indexing", implementation: "none" });
  const [stored] = await db.sql`select config from ai.vectorizer where id = ${id}`;
  assert.deepEqual(stored?.config, row?.c);
});

Deno.test("the index helpers decide and build a vector index as the TimescaleDB job would", async () => {
  const id = await vectorizer("indexed", ", enqueue_existing => false");
  await db.sql`insert into indexed_embedding_store (id, chunk_seq, chunk, embedding)
    select g, 0, 'c', '[1,2,3]' from generate_series(1, 20) g`;
  await db.sql`update ai.vectorizer set config = jsonb_set(config, '{indexing}',
    ai.indexing_hnsw(min_rows => 10, m => 8)) where id = ${id}`;
  const should = async () =>
    (await db.sql`select ai._vectorizer_should_create_vector_index(v) as s from ai.vectorizer v
      where id = ${id}`)[0]?.s;
  assert.equal(await should(), true);
  await db.sql`select ai._vectorizer_create_vector_index('public', 'indexed_embedding_store',
    ai.indexing_hnsw(m => 8))`;
  const [ix] = await db.sql`select pg_get_indexdef(indexrelid) as d from pg_index
    where indrelid = 'indexed_embedding_store'::regclass and pg_get_indexdef(indexrelid) like '%hnsw%'`;
  assert.match(ix?.d, /USING hnsw \(embedding vector_cosine_ops\) WITH \(m='8'\)/);
  assert.equal(await should(), false, "an existing index is not rebuilt");
});
