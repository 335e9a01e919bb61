/**
 * The catalog serves the real pgai 0.12.1 worker (contract §5): a role holding exactly the worker
 * privileges of §1.7 detects the installation and every feature through information_schema and
 * pg_proc, and can run one batch's statements (tracking, fetch with locks, delete, write, retry
 * bookkeeping, failed queue, error rows).
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { adminSql } from "../support/pg.ts";
import { catalogDatabase, uniqueRole } from "./helpers.ts";

const db = await catalogDatabase("catalog_consumer");
const role = uniqueRole("catalog_worker");
{
  const admin = await adminSql();
  await admin.unsafe(`create role ${role} login`);
  await admin.end();
}
await db.sql.unsafe(`
  create table public.docs (id int primary key, title text, body text);
  insert into public.docs values (1, 't1', 'one'), (2, 't2', 'two'), (3, 't3', 'three');
  create table public.notes (id int primary key, body text);
  insert into public.notes values (1, 'n');
  select ai.create_vectorizer('public.docs', name => 'docs_vec', loading => ai.loading_column('body'),
    embedding => ai.embedding_openai('m', 3));
  select ai.create_vectorizer('public.notes', name => 'notes_vec', loading => ai.loading_column('body'),
    embedding => ai.embedding_openai('m', 3), destination => ai.destination_column('emb'),
    chunking => ai.chunking_none());
  -- the worker privileges of contract §1.7
  grant usage on schema ai, public to ${role};
  grant select on ai.pgai_lib_version, ai.vectorizer to ${role};
  grant select, insert, update on ai.vectorizer_worker_process, ai.vectorizer_worker_progress to ${role};
  grant insert on ai._vectorizer_errors to ${role};
  grant select on ai.vectorizer_errors to ${role};
  grant select, update, insert, delete on ai._vectorizer_q_1, ai._vectorizer_q_2 to ${role};
  grant insert on ai._vectorizer_q_failed_1, ai._vectorizer_q_failed_2 to ${role};
  grant select on public.docs to ${role};
  -- §1.7 lists DELETE and INSERT; a DELETE ... WHERE also reads the key columns, so SELECT too
  grant select, delete, insert on public.docs_embedding_store to ${role};
  grant select, update on public.notes to ${role};
`);
const worker = postgres(db.url, { max: 1, user: role, onnotice: () => {} });

Deno.test.afterAll(async () => {
  await worker.end();
  await db.drop();
  const admin = await adminSql();
  await admin.unsafe(`drop role ${role}`);
  await admin.end();
});

Deno.test("the worker role sees the library version and every worker feature", async () => {
  const ext = await worker`select extversion from pg_catalog.pg_extension where extname = 'ai'`;
  assert.equal(ext.length, 0);
  const [features] = await worker`select
    exists (select 1 from information_schema.tables
            where table_schema = 'ai' and table_name = 'pgai_lib_version') as lib_version_table,
    exists (select 1 from information_schema.columns
            where table_schema = 'ai' and table_name = 'vectorizer' and column_name = 'disabled') as disabled,
    exists (select 1 from information_schema.tables
            where table_schema = 'ai' and table_name = 'vectorizer_worker_process') as tracking,
    exists (select 1 from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
            where n.nspname = 'ai' and p.proname = '_vectorizer_create_queue_failed_table') as retries,
    exists (select 1 from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
            where n.nspname = 'ai' and p.proname = 'reveal_secret') as reveal_secret,
    exists (select 1 from information_schema.views
            where table_schema = 'ai' and table_name = 'vectorizer_errors') as errors_view`;
  assert.deepEqual({ ...features }, {
    lib_version_table: true,
    disabled: true,
    tracking: true,
    retries: true,
    reveal_secret: false,
    errors_view: true,
  });
  const [version] = await worker`select version from ai.pgai_lib_version where name = 'ai'`;
  assert.match(version?.version, /^\d+\.\d+\.\d+$/);
  assert.equal(version?.version, "0.12.1");
});

Deno.test("the worker role lists vectorizers, reads them as jsonb and checks disabled", async () => {
  const ids = await worker`select id from ai.vectorizer order by id`;
  assert.deepEqual(ids.map((r) => r.id), [1, 2]);
  const [row] =
    await worker`select pg_catalog.to_jsonb(v) as v from ai.vectorizer v where v.id = ${1}`;
  const v = row?.v;
  for (
    const key of ["id", "config", "queue_schema", "queue_table", "source_schema", "source_table"]
  ) {
    assert.ok(key in v, key);
  }
  assert.deepEqual(
    v.source_pk.map((k: Record<string, unknown>) => [k.attname, k.pknum, k.attnum]),
    [["id", 1, 1]],
  );
  assert.equal(v.queue_failed_table, "_vectorizer_q_failed_1");
  assert.equal(v.config.version, "0.12.1");
  const [disabled] = await worker`select disabled from ai.vectorizer where id = ${1}`;
  assert.equal(disabled?.disabled, false);
});

Deno.test("the worker role runs tracking, one table batch, retries, the failed queue and error rows", async () => {
  const [start] =
    await worker`select ai._worker_start(${"0.12.1"}::text, ${"300 seconds"}::interval) as id`;
  const workerId = start?.id as string;
  await worker`select ai._worker_heartbeat(${workerId}::uuid, 0, 0, null)`;

  const processed = await worker.begin(async (tx) => {
    const items = await tx`
      select id, loading_retries from ai._vectorizer_q_1
      where loading_retry_after is null or loading_retry_after < now()
      limit 50 for update skip locked`;
    const locked: number[] = [];
    for (const item of items) {
      const [lock] = await tx`select pg_try_advisory_xact_lock(${1}::int4,
        hashtext(concat_ws('|', 'id', ${item.id}::int4))) as ok`;
      if (lock?.ok) locked.push(item.id);
    }
    await tx`delete from ai._vectorizer_q_1 where id = any(${locked}::int4[])`;
    const rows = await tx`
      select s.* from unnest(${locked}::int4[]) q(id)
      left join lateral (select * from public.docs d where d.id = q.id limit 1) s on true
      order by q.id`;
    await tx`delete from public.docs_embedding_store where id = any(${locked}::int4[])`;
    for (const r of rows.filter((r) => r.id !== 3)) {
      await tx`insert into public.docs_embedding_store (id, chunk_seq, chunk, embedding)
        values (${r.id}, 0, ${`${r.title}: ${r.body}`}, '[1,2,3]')`;
    }
    // item 3 "fails to load": once retried, once parked
    await tx`insert into ai._vectorizer_q_1 (id, loading_retries, loading_retry_after)
      values (3, 1, now() + interval '3 minutes')`;
    await tx`insert into ai._vectorizer_q_failed_1 (id, failure_step) values (3, 'loading')`;
    await tx`insert into ai._vectorizer_errors (id, message, details) values (${1}, 'loading failed',
      ${
      JSON.stringify({ loader: "column", error_reason: "boom", is_retryable: true })
    }::text::jsonb)`;
    return rows.length;
  });
  assert.equal(processed, 3);
  await worker`select ai._worker_progress(${workerId}::uuid, ${1}, ${processed}, null)`;
  await worker`select ai._worker_progress(${workerId}::uuid, ${1}, 0, 'vectorizer failed')`;

  const [state] = await db.sql`select
    (select count(*) from public.docs_embedding_store)::int as stored,
    (select count(*) from ai._vectorizer_q_1 where loading_retry_after > now())::int as retrying,
    (select count(*) from ai._vectorizer_q_failed_1)::int as failed,
    (select count(*) from ai.vectorizer_errors where name = 'docs_vec')::int as errors,
    (select success_count from ai.vectorizer_worker_progress where vectorizer_id = 1) as successes,
    (select heartbeat_count from ai.vectorizer_worker_process where id = ${workerId}) as beats`;
  assert.deepEqual({ ...state }, {
    stored: 2,
    retrying: 1,
    failed: 1,
    errors: 1,
    successes: 3,
    beats: 1,
  });
});

Deno.test("the worker role writes a column destination without re-enqueueing the row", async () => {
  await worker.begin(async (tx) => {
    const items = await tx`select id from ai._vectorizer_q_2 for update skip locked`;
    await tx`delete from ai._vectorizer_q_2 where id = any(${items.map((i) => i.id)}::int4[])`;
    for (const item of items) {
      await tx`update public.notes set emb = '[3,2,1]' where id = ${item.id}`;
    }
  });
  const [state] = await db.sql`select (select count(*) from ai._vectorizer_q_2)::int as queued,
    (select emb::text from public.notes where id = 1) as emb`;
  assert.deepEqual({ ...state }, { queued: 0, emb: "[3,2,1]" });
});
