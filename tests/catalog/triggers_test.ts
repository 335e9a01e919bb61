/**
 * The source-table triggers behave as pgai 0.12.1's (contract §4): what is enqueued or deleted on
 * insert, update (changed, unchanged, primary key), delete and truncate, for table and column
 * destinations, and that plain writers need no privileges on queue or target.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { adminSql } from "../support/pg.ts";
import { catalogDatabase, uniqueRole } from "./helpers.ts";

const db = await catalogDatabase("catalog_triggers");
Deno.test.afterAll(() => db.drop());

const VEC = "'[0.1,0.2,0.3]'";

/** A table-destination vectorizer on a fresh source table; returns its queue and target names. */
async function tableVectorizer(table: string, pk = "id int primary key") {
  await db.sql.unsafe(`create table ${table} (${pk}, title text, body text)`);
  const [row] = await db.sql.unsafe(`select ai.create_vectorizer('${table}',
    loading => ai.loading_column('body'), embedding => ai.embedding_openai('m', 3),
    enqueue_existing => false) as id`);
  return {
    id: row?.id as number,
    queue: `ai._vectorizer_q_${row?.id}`,
    target: `${table}_embedding_store`,
  };
}

async function queued(queue: string, columns = "id"): Promise<unknown[]> {
  const rows = await db.sql.unsafe(
    `select ${columns} from ${queue} order by queued_at, ${columns}`,
  );
  return rows.map((r) => columns.includes(",") ? { ...r } : r[columns]);
}

async function count(table: string): Promise<number> {
  const [row] = await db.sql.unsafe(`select count(*)::int as n from ${table}`);
  return row?.n as number;
}

Deno.test("table destination: insert enqueues the new primary key", async () => {
  const v = await tableVectorizer("t_insert");
  await db.sql`insert into t_insert values (1, 'a', 'x'), (2, 'b', 'y')`;
  assert.deepEqual(await queued(v.queue), [1, 2]);
});

Deno.test("table destination: any column change enqueues, a same-value update does not", async () => {
  const v = await tableVectorizer("t_update");
  await db.sql`insert into t_update values (1, 'a', 'x')`;
  await db.sql.unsafe(`delete from ${v.queue}`);
  await db.sql`update t_update set title = 'a', body = 'x' where id = 1`;
  assert.deepEqual(await queued(v.queue), [], "no-op update enqueues nothing");
  await db.sql`update t_update set title = 'changed' where id = 1`;
  assert.deepEqual(await queued(v.queue), [1], "a column the vectorizer never reads still counts");
  await db.sql`update t_update set body = null where id = 1`;
  assert.deepEqual(await queued(v.queue), [1, 1], "duplicates are normal");
});

Deno.test("table destination: a primary key change deletes the old embeddings and enqueues the new key", async () => {
  const v = await tableVectorizer("t_pk");
  await db.sql`insert into t_pk values (1, 'a', 'x'), (2, 'b', 'y')`;
  await db.sql.unsafe(`delete from ${v.queue};
    insert into ${v.target} (id, chunk_seq, chunk, embedding) values
      (1, 0, 'c', ${VEC}), (1, 1, 'c', ${VEC}), (2, 0, 'c', ${VEC})`);
  await db.sql`update t_pk set id = 10 where id = 1`;
  assert.deepEqual(await queued(v.queue), [10]);
  const left = await db.sql.unsafe(`select id from ${v.target} order by id`);
  assert.deepEqual(left.map((r) => r.id), [2]);
});

Deno.test("table destination: delete removes the row's embeddings at once and enqueues nothing", async () => {
  const v = await tableVectorizer("t_delete");
  await db.sql`insert into t_delete values (1, 'a', 'x'), (2, 'b', 'y')`;
  await db.sql.unsafe(`delete from ${v.queue};
    insert into ${v.target} (id, chunk_seq, chunk, embedding) values (1, 0, 'c', ${VEC}), (2, 0, 'c', ${VEC})`);
  await db.sql`delete from t_delete where id = 1`;
  assert.deepEqual(await queued(v.queue), []);
  const left = await db.sql.unsafe(`select id from ${v.target}`);
  assert.deepEqual(left.map((r) => r.id), [2]);
});

Deno.test("table destination: truncate empties target and queue, not the failed queue", async () => {
  const v = await tableVectorizer("t_truncate");
  await db.sql`insert into t_truncate values (1, 'a', 'x'), (2, 'b', 'y')`;
  await db.sql.unsafe(
    `insert into ${v.target} (id, chunk_seq, chunk, embedding) values (1, 0, 'c', ${VEC});
    insert into ai._vectorizer_q_failed_${v.id} (id, failure_step) values (2, 'loading')`,
  );
  await db.sql`truncate t_truncate`;
  assert.equal(await count(v.queue), 0);
  assert.equal(await count(v.target), 0);
  assert.equal(await count(`ai._vectorizer_q_failed_${v.id}`), 1);
});

Deno.test("table destination: insert ... on conflict do update enqueues twice", async () => {
  const v = await tableVectorizer("t_upsert");
  await db.sql`insert into t_upsert values (1, 'a', 'x')`;
  await db
    .sql`insert into t_upsert values (1, 'a', 'new') on conflict (id) do update set body = excluded.body`;
  assert.deepEqual(await queued(v.queue), [1, 1]);
});

Deno.test("composite keys are enqueued in attnum order and matched on every key column", async () => {
  const v = await tableVectorizer("t_comp", "a text, b int, primary key (b, a)");
  await db.sql`insert into t_comp values ('x', 1, 't', 'body'), ('y', 1, 't', 'body')`;
  assert.deepEqual(await queued(v.queue, "a, b"), [{ a: "x", b: 1 }, { a: "y", b: 1 }]);
  await db.sql.unsafe(`insert into ${v.target} (a, b, chunk_seq, chunk, embedding) values
    ('x', 1, 0, 'c', ${VEC}), ('y', 1, 0, 'c', ${VEC})`);
  await db.sql`delete from t_comp where a = 'x'`;
  const left = await db.sql.unsafe(`select a from ${v.target}`);
  assert.deepEqual(left.map((r) => r.a), ["y"]);
});

Deno.test("column destination: insert and relevant updates enqueue; writing the embedding, delete and truncate do not", async () => {
  await db.sql`create table c_src (id int primary key, body text)`;
  const [row] = await db
    .sql`select ai.create_vectorizer('c_src', loading => ai.loading_column('body'),
    embedding => ai.embedding_openai('m', 3), destination => ai.destination_column('emb'),
    chunking => ai.chunking_none(), enqueue_existing => false) as id`;
  const queue = `ai._vectorizer_q_${row?.id}`;
  await db.sql`insert into c_src (id, body) values (1, 'x'), (2, 'y')`;
  assert.deepEqual(await queued(queue), [1, 2]);
  await db.sql.unsafe(`delete from ${queue}`);
  await db.sql.unsafe(`update c_src set emb = ${VEC} where id = 1`);
  assert.deepEqual(await queued(queue), [], "the worker writing the embedding does not re-enqueue");
  await db.sql`update c_src set body = 'changed' where id = 1`;
  assert.deepEqual(await queued(queue), [1]);
  await db.sql`update c_src set id = 5 where id = 2`;
  assert.deepEqual(await queued(queue), [1, 5], "a key change simply enqueues the new key");
  await db.sql`delete from c_src where id = 1`;
  assert.deepEqual(await queued(queue), [1, 5]);
  await db.sql`truncate c_src`;
  assert.deepEqual(await queued(queue), [1, 5], "queue rows survive a truncate");
});

Deno.test("a table vectorizer ignores updates of another vectorizer's embedding column on the same table", async () => {
  await db.sql`create table both_src (id int primary key, body text)`;
  const [tableVec] = await db.sql`select ai.create_vectorizer('both_src',
    loading => ai.loading_column('body'), embedding => ai.embedding_openai('m', 3),
    enqueue_existing => false) as id`;
  await db.sql`select ai.create_vectorizer('both_src', loading => ai.loading_column('body'),
    embedding => ai.embedding_openai('m', 3), destination => ai.destination_column('emb'),
    chunking => ai.chunking_none(), enqueue_existing => false)`;
  await db.sql`insert into both_src (id, body) values (1, 'x')`;
  const queue = `ai._vectorizer_q_${tableVec?.id}`;
  await db.sql.unsafe(`delete from ${queue}`);
  await db.sql.unsafe(`update both_src set emb = ${VEC}`);
  assert.deepEqual(await queued(queue), []);
  await db.sql`update both_src set body = 'y'`;
  assert.deepEqual(await queued(queue), [1]);
});

Deno.test("writers without privileges on queue or target still fire the trigger (security definer)", async () => {
  const v = await tableVectorizer("t_writer");
  const role = uniqueRole("catalog_writer");
  const admin = await adminSql();
  await admin.unsafe(`create role ${role} login`);
  await db.sql.unsafe(`grant select, insert, update, delete on t_writer to ${role}`);
  const writer = postgres(db.url, { max: 1, user: role, onnotice: () => {} });
  try {
    await writer`insert into t_writer values (1, 'a', 'x')`;
    await db.sql.unsafe(
      `insert into ${v.target} (id, chunk_seq, chunk, embedding) values (1, 0, 'c', ${VEC})`,
    );
    await writer`delete from t_writer where id = 1`;
    assert.deepEqual(await queued(v.queue), [1]);
    assert.equal(await count(v.target), 0);
    const [execute] = await db.sql.unsafe(
      `select has_function_privilege('${role}', 'ai._vectorizer_src_trg_${v.id}()', 'execute') as ok`,
    );
    assert.equal(execute?.ok, false, "EXECUTE on the trigger function is revoked from PUBLIC");
  } finally {
    await writer.end();
    await db.sql.unsafe(`revoke all on t_writer from ${role}`);
    await admin.unsafe(`drop role ${role}`);
    await admin.end();
  }
});
