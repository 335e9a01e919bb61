import assert from "node:assert/strict";
import type postgres from "postgres";
import { testDatabase } from "../support/pg.ts";
import { install } from "../../src/catalog/install.ts";
import { probeCatalog } from "../../src/db/catalog.ts";
import { QueueStatements } from "../../src/db/queue.ts";
import { tableColumns } from "../../src/db/relations.ts";
import { ColumnStore, TableStore } from "../../src/db/store.ts";
import { EmbeddingCopyEncoder } from "../../src/db/wire.ts";
import { connect } from "../../src/db/connect.ts";
import { migrateVectorizerRow, parseVectorizer, type Vectorizer } from "../../src/worker/config.ts";

const db = await testDatabase("db_queue");
await install(db.sql);
await db.sql.unsafe(`
  create table docs (a int, b text, title text, body text, loading_retries text, primary key (b, a));
  insert into docs select g, 'k' || (g % 3), 'title ' || g, 'body ' || g, 'shadowed' from generate_series(1, 10) g;
  select ai.create_vectorizer('docs'::regclass,
    loading => ai.loading_column('body'),
    embedding => ai.embedding_openai('text-embedding-3-small', 3),
    chunking => ai.chunking_none(),
    formatting => ai.formatting_python_template('$title: $chunk'));
  create table notes (id int primary key, body text);
  insert into notes values (1, 'one'), (2, 'two');
  select ai.create_vectorizer('notes'::regclass,
    name => 'notes_col',
    loading => ai.loading_column('body'),
    embedding => ai.embedding_openai('text-embedding-3-small', 3),
    chunking => ai.chunking_none(),
    destination => ai.destination_column('emb'));
`);
const features = (await probeCatalog(db.sql)).features;
// Array order of source_pk is not guaranteed; store it in pknum order (b, a), the reverse of
// attnum order, so the lock key must follow the array and not the column order.
await db.sql`update ai.vectorizer set source_pk = (
  select jsonb_agg(x order by (x->>'pknum')::int) from jsonb_array_elements(source_pk) x) where id = 1`;

async function loadVectorizer(id: number): Promise<Vectorizer> {
  const [row] = await db.sql`select to_jsonb(v) as v from ai.vectorizer v where id = ${id}`;
  return parseVectorizer(migrateVectorizerRow(row!.v).row);
}
const docs = await loadVectorizer(1);
const notes = await loadVectorizer(2);

async function statementsFor(v: Vectorizer, sql: postgres.Sql = db.sql): Promise<QueueStatements> {
  const queueColumns = await tableColumns(sql, v.queueSchema, v.queueTable);
  if (v.config.destination.implementation !== "table") {
    return new QueueStatements({
      vectorizer: v,
      retries: features.loadingRetries,
      disabledColumn: features.disabledColumn,
      queueColumns,
    });
  }
  const { target_schema: schema, target_table: table } = v.config.destination;
  const columns = await tableColumns(sql, schema, table);
  return new QueueStatements({
    vectorizer: v,
    retries: features.loadingRetries,
    disabledColumn: features.disabledColumn,
    queueColumns,
    target: { schema, table, columns },
  });
}
const q = await statementsFor(docs);

Deno.test("queue: the PK is locked with pgai's advisory key in source_pk order", async () => {
  const pkOrder = docs.sourcePk.map((p) => p.attname);
  assert.deepEqual(pkOrder, ["b", "a"]);
  await db.sql.begin(async (tx) => {
    const batch = await q.fetch(tx, 4);
    assert.equal(batch.selected, 4);
    assert.equal(batch.items.length, 4);
    const locks = await tx`
      select objid::bigint as key from pg_locks
       where locktype = 'advisory' and pid = pg_backend_pid() and classid = 1 and objsubid = 2
       order by 1`;
    const expected = await tx`
      select ((hashtext(concat_ws('|', 'b', b, 'a', a))::bigint + 4294967296) % 4294967296) as key
        from docs where (b, a) in (select (x->>0), (x->>1)::int from json_array_elements(${
      JSON.stringify(batch.items.map((i) => [i.pk[1], Number(i.pk[0])]))
    }::text::json) x)
       order by 1`;
    assert.deepEqual(locks.map((r) => String(r.key)), expected.map((r) => String(r.key)));
    // PK text values come in attnum order (a, b), rows ordered by PK.
    for (const item of batch.items) {
      assert.ok(item.row);
      const a = item.row.values[item.row.columns.findIndex((c) => c.name === "a")];
      const b = item.row.values[item.row.columns.findIndex((c) => c.name === "b")];
      assert.deepEqual(item.pk, [a, b]);
    }
    throw new Rollback();
  }).catch(ignoreRollback);
});

Deno.test("queue: duplicates of one key come back once, with the highest loading_retries", async () => {
  await db.sql`delete from ai._vectorizer_q_1`;
  await db
    .sql`insert into ai._vectorizer_q_1 (a, b, loading_retries) values (1, 'k1', 0), (1, 'k1', 2), (1, 'k1', 1), (2, 'k2', 0)`;
  await db.sql.begin(async (tx) => {
    const batch = await q.fetch(tx, 10);
    assert.equal(batch.selected, 4);
    assert.equal(batch.items.length, 2);
    assert.deepEqual(batch.items.map((i) => [i.pk, i.retries]), [[["1", "k1"], 2], [
      ["2", "k2"],
      0,
    ]]);
    const row = batch.items[0]!.row!;
    // The queue's loading_retries shadows the source column of that name (pgai's row dict).
    assert.deepEqual(row.columns.map((c) => c.name), [
      "a",
      "b",
      "title",
      "body",
      "loading_retries",
    ]);
    assert.deepEqual(row.values, ["1", "k1", "title 1", "body 1", "2"]);
    assert.equal(row.columns[4]!.typeOid, 23);
    const [left] = await tx`select count(*)::int as n from ai._vectorizer_q_1`;
    assert.equal(left!.n, 0, "all queue rows of the locked keys are deleted");
    throw new Rollback();
  }).catch(ignoreRollback);
});

Deno.test("queue: rows waiting for a retry, and keys locked elsewhere, are left alone", async () => {
  await db.sql`delete from ai._vectorizer_q_1`;
  await db.sql`insert into ai._vectorizer_q_1 (a, b, loading_retries, loading_retry_after)
               values (1, 'k1', 1, now() + interval '1 hour'), (2, 'k2', 0, null), (3, 'k0', 0, null)`;
  const other = connect(db.url);
  try {
    await other.begin(async (otx) => {
      await otx`select pg_advisory_xact_lock(1, hashtext(concat_ws('|', 'b', 'k2'::text, 'a', 2)))`;
      await db.sql.begin(async (tx) => {
        const batch = await q.fetch(tx, 10);
        assert.equal(batch.selected, 2, "the future retry row is not selected");
        assert.deepEqual(batch.items.map((i) => i.pk), [["3", "k0"]]);
        throw new Rollback();
      }).catch(ignoreRollback);
    });
  } finally {
    await other.end();
  }
});

Deno.test("queue: a deleted source row is reported as missing and consumed", async () => {
  await db.sql`delete from ai._vectorizer_q_1`;
  await db.sql`insert into ai._vectorizer_q_1 (a, b) values (99, 'gone')`;
  await db.sql.begin(async (tx) => {
    const batch = await q.fetch(tx, 10);
    assert.equal(batch.items.length, 1);
    assert.equal(batch.items[0]!.row, null);
    throw new Rollback();
  }).catch(ignoreRollback);
});

Deno.test("queue: an empty queue yields nothing", async () => {
  await db.sql`delete from ai._vectorizer_q_1`;
  await db.sql.begin(async (tx) => {
    assert.deepEqual(await q.fetch(tx, 10), { selected: 0, disabled: false, items: [] });
  });
});

Deno.test("queue: a disabled vectorizer takes nothing and says so", async () => {
  await db.sql`delete from ai._vectorizer_q_1`;
  await db.sql`insert into ai._vectorizer_q_1 (a, b) values (1, 'k1')`;
  await db.sql`update ai.vectorizer set disabled = true where id = 1`;
  try {
    await db.sql.begin(async (tx) => {
      assert.deepEqual(await q.fetch(tx, 10), { selected: 0, disabled: true, items: [] });
    });
    const [n] = await db.sql`select count(*)::int as n from ai._vectorizer_q_1`;
    assert.equal(n!.n, 1);
  } finally {
    await db.sql`update ai.vectorizer set disabled = false where id = 1`;
  }
});

Deno.test("queue: requeue sets pgai's linear backoff, park fills the failed queue", async () => {
  await db.sql`delete from ai._vectorizer_q_1`;
  await db.sql.begin(async (tx) => {
    await q.requeue(tx, [{ pk: ["5", "k2"], retries: 2 }]);
    await q.park(tx, [{ pk: ["6", "k0"], step: "embedding" }]);
    const [row] = await tx`select a, b, loading_retries,
        loading_retry_after - now() as delay from ai._vectorizer_q_1`;
    assert.deepEqual([row!.a, row!.b, row!.loading_retries, row!.delay], [5, "k2", 2, "00:06:00"]);
    const failed = await tx`select a, b, failure_step from ai._vectorizer_q_failed_1`;
    assert.deepEqual([...failed], [{ a: 6, b: "k0", failure_step: "embedding" }]);
    throw new Rollback();
  }).catch(ignoreRollback);
});

Deno.test("store: binary COPY writes exact float4 vectors and reports constraint errors", async () => {
  await db.sql`delete from ai._vectorizer_q_1`;
  await db.sql`insert into ai._vectorizer_q_1 (a, b) values (1, 'k1'), (2, 'k2')`;
  const { target_schema, target_table } = docs.config.destination as {
    target_schema: string;
    target_table: string;
  };
  const store = new TableStore(
    docs,
    target_schema,
    target_table,
    await tableColumns(db.sql, target_schema, target_table),
  );
  const enc = new EmbeddingCopyEncoder();
  const v1 = new Float32Array([0.1, -2.5, 3e-8]);
  await db.sql.begin(async (tx) => {
    const batch = await q.fetch(tx, 10);
    enc.reset();
    for (const item of batch.items) {
      enc.addRow(item.pkBinary, 0, `chunk of ${item.pk.join("/")} ünïcödé 🎉`, v1);
      enc.addRow(item.pkBinary, 1, "", v1);
    }
    await store.copy(tx, enc.finish());
  });
  const rows = await db.sql`select a, b, chunk_seq, chunk, embedding::text as e,
      (embedding::real[])[1] = 0.1::real as exact from public.docs_embedding_store order by a, chunk_seq`;
  assert.equal(rows.length, 4);
  assert.deepEqual(rows[0], {
    a: 1,
    b: "k1",
    chunk_seq: 0,
    chunk: "chunk of 1/k1 ünïcödé 🎉",
    e: "[0.1,-2.5,3e-08]",
    exact: true,
  });
  // A duplicate (pk, chunk_seq) fails the COPY with the server's message instead of hanging.
  await db.sql`insert into ai._vectorizer_q_1 (a, b) values (1, 'k1')`;
  await assert.rejects(
    db.sql.begin(async (tx) => {
      const batch = await q.fetch(tx, 10);
      enc.reset();
      enc.addRow(batch.items[0]!.pkBinary, 0, "x", v1);
      enc.addRow(batch.items[0]!.pkBinary, 0, "x", v1);
      await store.copy(tx, enc.finish());
    }),
    /duplicate key value violates unique constraint/,
  );
  const [n] = await db.sql`select count(*)::int as n from public.docs_embedding_store`;
  assert.equal(n!.n, 4, "the failed batch was rolled back (old embeddings kept)");
});

Deno.test("store: the column destination sets and clears the embedding column", async () => {
  const qn = await statementsFor(notes);
  const store = new ColumnStore(notes, "emb", await tableColumns(db.sql, "public", "notes"));
  await db.sql.begin(async (tx) => {
    const batch = await qn.fetch(tx, 10);
    assert.deepEqual(batch.items.map((i) => i.pk), [["1"], ["2"]]);
    assert.deepEqual(batch.items[0]!.pkBinary, [], "no binary PKs without a target table");
    await store.update(tx, [
      { pk: ["1"], embedding: new Float32Array([1, 2, 3]) },
      { pk: ["2"], embedding: new Float32Array([0.1, 0.2, 0.3]) },
    ]);
  });
  assert.deepEqual(
    [...await db.sql`select id, emb::text as emb from notes order by id`],
    [{ id: 1, emb: "[1,2,3]" }, { id: 2, emb: "[0.1,0.2,0.3]" }],
  );
  const [queued] = await db.sql`select count(*)::int as n from ai._vectorizer_q_2`;
  assert.equal(queued!.n, 0, "writing the embedding column does not re-queue the row");
  await db.sql.begin(async (tx) => {
    await store.update(tx, [{ pk: ["2"], embedding: null }]);
  });
  assert.deepEqual(
    [...await db.sql`select id, emb::text as emb from notes order by id`],
    [{ id: 1, emb: "[1,2,3]" }, { id: 2, emb: null }],
  );
});

Deno.test({
  name: "queue: teardown",
  fn: async () => {
    await db.drop();
  },
});

class Rollback extends Error {}
function ignoreRollback(e: unknown) {
  if (!(e instanceof Rollback)) throw e;
}
