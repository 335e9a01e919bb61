import assert from "node:assert/strict";
import { loadTypeCatalog } from "../../src/db/types.ts";
import { chunkText } from "../../src/pipeline/chunking.ts";
import { formatChunk } from "../../src/pipeline/formatting.ts";
import { Worker } from "../../src/worker/worker.ts";
import { expectedVector, startOllamaServer, startOpenAIServer } from "../support/providers.ts";
import { fetchRows } from "../support/rows.ts";
import {
  count,
  createVectorizer,
  errorRows,
  eventsSince,
  logEvents,
  numbers,
  pgaiDatabase,
  storedChunks,
} from "./fixtures.ts";

const db = await pgaiDatabase("worker");
const sql = db.sql;
const KEY = "sk-test-worker-key";
const openai = startOpenAIServer({ apiKey: KEY });
const env = { OPENAI_API_KEY: KEY };

const SPLITTER = {
  implementation: "recursive_character_text_splitter",
  separators: ["\n\n", "\n", ".", "?", "!", " ", ""],
  chunk_size: 200,
  chunk_overlap: 20,
  is_separator_regex: false,
} as const;

/** The chunks pgai stores for a row of a `$title: $chunk` vectorizer with {@link SPLITTER}. */
function expectedChunks(title: string, body: string | null): string[] {
  if (body === null || body === "") return [];
  return chunkText(SPLITTER, body).map((c) => `${title}: ${c}`);
}

/** Checks that the store holds exactly the expected chunks and vectors of `rows`. */
async function assertStoreMatches(
  store: string,
  rows: { id: number; title: string; body: string | null }[],
  dims = 8,
): Promise<number> {
  const stored = await storedChunks(sql, store);
  const expected = rows.flatMap((r) =>
    expectedChunks(r.title, r.body).map((chunk, seq) => ({
      id: r.id,
      chunk_seq: seq,
      chunk,
      embedding: numbers(expectedVector(chunk, dims)),
    }))
  );
  assert.equal(stored.length, expected.length, `${store}: number of stored chunks`);
  for (let i = 0; i < expected.length; i++) assert.deepEqual(stored[i], expected[i]);
  return expected.length;
}

function variedBody(i: number): string | null {
  switch (i % 10) {
    case 0:
      return null;
    case 1:
      return "";
    case 2:
      return "   \n\t  ";
    case 3:
      return Array.from(
        { length: 8 },
        (_, p) =>
          `Paragraph ${p} of row ${i}. ` + "Lorem ipsum dolor sit amet. ".repeat(3 + (i % 7)),
      ).join("\n\n");
    case 4:
      return `Unicode ${i}: 日本語のテキスト、絵文字 🎉🚀 and ümlauts — ${"ß".repeat(i % 50)}`;
    case 5:
      return `Dollar $signs $$ and {braces} and 'quotes' "double" \\ backslash ${i}`;
    default:
      return `Row ${i} says: ` + "word ".repeat(i % 97);
  }
}

function variedTitle(i: number): string {
  return i % 7 === 0 ? `Title "${i}" with 'quotes'\nand a newline` : `t${i}`;
}

Deno.test("worker embeds 300 varied rows in once mode, exactly as pgai would store them", async () => {
  await sql`create table docs (id int primary key, title text, body text)`;
  const rows = Array.from({ length: 300 }, (_, k) => ({
    id: k + 1,
    title: variedTitle(k + 1),
    body: variedBody(k + 1),
  }));
  await sql`insert into docs ${sql(rows)}`;
  const id = await createVectorizer(sql, {
    table: "docs",
    baseUrl: openai.url,
    batchSize: 17,
    concurrency: 2,
  });
  const mark = logEvents.length;
  const error = await new Worker({ dbUrl: db.url, once: true, vectorizerIds: [id], env }).run();
  assert.equal(error, undefined);
  const chunks = await assertStoreMatches("docs_embedding_store", rows);
  assert.ok(chunks > 300, "long rows were split into several chunks");
  assert.equal(await count(sql, `ai._vectorizer_q_${id}`), 0);
  assert.deepEqual(await errorRows(sql), []);
  const events = eventsSince(mark);
  assert.ok(events.some((e) => e.event === "running vectorizer" && e.vectorizer_id === id));
  assert.ok(
    events.some((e) =>
      e.event === "finished processing vectorizer" && e.items === 300 && e.vectorizer_id === id
    ),
  );
  // Worker tracking: one process row with its successes, one progress row.
  const [proc] = await sql`select version, success_count, error_count, heartbeat_count
    from ai.vectorizer_worker_process order by started desc limit 1`;
  assert.equal(proc!.version, "0.12.1");
  assert.equal(proc!.success_count, 300);
  assert.equal(proc!.error_count, 0);
  assert.ok(proc!.heartbeat_count >= 1);
  const [progress] = await sql`select success_count, error_count, last_success_process_id
    from ai.vectorizer_worker_progress where vectorizer_id = ${id}`;
  assert.equal(progress!.success_count, 300);
  assert.equal(progress!.error_count, 0);
  assert.ok(progress!.last_success_process_id);

  // Updates, deletes and inserts after the first run are reflected exactly.
  await sql`update docs set body = 'rewritten body ' || id where id % 9 = 4`;
  await sql`update docs set body = null where id in (3, 13)`;
  await sql`update docs set title = 'retitled' where id = 6`;
  await sql`delete from docs where id % 11 = 5`;
  await sql`insert into docs select g, 'new' || g, 'fresh text ' || g from generate_series(301, 320) g`;
  const error2 = await new Worker({ dbUrl: db.url, once: true, vectorizerIds: [id], env }).run();
  assert.equal(error2, undefined);
  const now = await sql<{ id: number; title: string; body: string | null }[]>`
    select id, title, body from docs order by id`;
  await assertStoreMatches("docs_embedding_store", [...now]);
  assert.equal(await count(sql, `ai._vectorizer_q_${id}`), 0);
  assert.deepEqual(await errorRows(sql), []);
});

Deno.test("worker writes and clears a column destination", async () => {
  await sql`create table notes (id int primary key, title text, body text)`;
  await sql`insert into notes select g, 'n' || g, 'note number ' || g from generate_series(1, 12) g`;
  const id = await createVectorizer(sql, {
    table: "notes",
    baseUrl: openai.url,
    chunking: "ai.chunking_none()",
    formatting: "ai.formatting_python_template('$chunk')",
    destination: "ai.destination_column('emb')",
    batchSize: 5,
  });
  assert.equal(
    await new Worker({ dbUrl: db.url, once: true, vectorizerIds: [id], env }).run(),
    undefined,
  );
  const read = async () => [
    ...await sql<{ id: number; body: string | null; emb: string | null }[]>`
      select id, body, emb::text as emb from notes order by id`,
  ];
  for (const r of await read()) {
    assert.deepEqual(JSON.parse(r.emb!).map(Math.fround), numbers(expectedVector(r.body!, 8)));
  }
  assert.equal(await count(sql, `ai._vectorizer_q_${id}`), 0, "writing emb does not re-queue");
  await sql`update notes set body = '' where id = 1`;
  await sql`update notes set body = null where id = 2`;
  await sql`update notes set body = 'changed' where id = 3`;
  assert.equal(
    await new Worker({ dbUrl: db.url, once: true, vectorizerIds: [id], env }).run(),
    undefined,
  );
  const after = await read();
  assert.equal(after[0]!.emb, null, "empty content clears the stale embedding");
  assert.equal(after[1]!.emb, null, "NULL content clears the stale embedding");
  assert.deepEqual(
    JSON.parse(after[2]!.emb!).map(Math.fround),
    numbers(expectedVector("changed", 8)),
  );
  assert.deepEqual(await errorRows(sql), []);
});

Deno.test("worker pulls a missing Ollama model before embedding", async () => {
  await using ollama = startOllamaServer({ dimensions: 8 });
  await sql`create table olla (id int primary key, title text, body text)`;
  await sql`insert into olla select g, 'o' || g, 'llama text ' || g from generate_series(1, 5) g`;
  const [row] = await sql.unsafe(`select ai.create_vectorizer('olla'::regclass,
    loading => ai.loading_column('body'),
    embedding => ai.embedding_ollama('nomic-embed-text', 8, base_url => '${ollama.url}'),
    chunking => ai.chunking_none(),
    formatting => ai.formatting_python_template('$title: $chunk')) as id`);
  const id = row!.id as number;
  assert.equal(ollama.models.size, 0);
  assert.equal(
    await new Worker({ dbUrl: db.url, once: true, vectorizerIds: [id], env: {} }).run(),
    undefined,
  );
  assert.ok(ollama.requests.some((r) => r.path === "/api/pull"), "the model was pulled");
  assert.ok(ollama.models.has("nomic-embed-text:latest"));
  const stored = await storedChunks(sql, "olla_embedding_store");
  assert.equal(stored.length, 5);
  for (const s of stored) {
    assert.equal(s.chunk, `o${s.id}: llama text ${s.id}`);
    assert.deepEqual(s.embedding, numbers(expectedVector(s.chunk, 8)));
  }
  // With nothing queued, a poll neither starts executors nor calls the provider.
  const requests = ollama.requests.length;
  assert.equal(
    await new Worker({ dbUrl: db.url, once: true, vectorizerIds: [id], env: {} }).run(),
    undefined,
  );
  assert.equal(ollama.requests.length, requests);
});

Deno.test("a failed Ollama model pull is recorded as pgai records setup errors and keeps the queue", async () => {
  await using ollama = startOllamaServer({ dimensions: 8, pullable: () => false });
  await sql`create table nopull (id int primary key, title text, body text)`;
  await sql`insert into nopull select g, 'p' || g, 'text ' || g from generate_series(1, 3) g`;
  const [row] = await sql.unsafe(`select ai.create_vectorizer('nopull'::regclass,
    loading => ai.loading_column('body'),
    embedding => ai.embedding_ollama('missing-model', 8, base_url => '${ollama.url}'),
    chunking => ai.chunking_none()) as id`);
  const id = row!.id as number;
  const error = await new Worker({ dbUrl: db.url, once: true, vectorizerIds: [id], env: {} }).run();
  assert.ok(error instanceof Error, "once mode returns the error");
  const errors = (await errorRows(sql)).filter((e) => e.id === id);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.message, "vectorizer failed with unexpected error");
  assert.match(String(errors[0]!.details.error_reason), /file does not exist/);
  assert.equal(await count(sql, `ai._vectorizer_q_${id}`), 3, "nothing queued was lost");
});

Deno.test("provider 500s record one error row and keep the queue; 429 with Retry-After is absorbed", async () => {
  await using server = startOpenAIServer({ apiKey: KEY });
  await sql`create table flaky (id int primary key, title text, body text)`;
  await sql`insert into flaky select g, 'f' || g, 'flaky text ' || g from generate_series(1, 6) g`;
  const id = await createVectorizer(sql, { table: "flaky", baseUrl: server.url, batchSize: 3 });
  const before = (await errorRows(sql)).length;
  server.script(
    ...Array.from({ length: 6 }, () => ({
      status: 500,
      body: {
        error: { message: "upstream exploded", type: "server_error", param: null, code: null },
      },
      headers: { "retry-after-ms": "5" },
    })),
  );
  const error = await new Worker({ dbUrl: db.url, once: true, vectorizerIds: [id], env }).run();
  assert.ok(error instanceof Error);
  assert.match(error.message, /vectorizer finished with errors \(1 sub-exception\)/);
  const errors = (await errorRows(sql)).slice(before);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.message, "embedding provider failed");
  assert.equal(errors[0]!.details.provider, "openai");
  assert.match(String(errors[0]!.details.error_reason), /^Error code: 500 - /);
  assert.equal(await count(sql, `ai._vectorizer_q_${id}`), 6, "the queue is intact");
  assert.equal(await count(sql, "flaky_embedding_store"), 0);
  const [progress] = await sql`select error_count, last_error_message
    from ai.vectorizer_worker_progress where vectorizer_id = ${id}`;
  assert.equal(progress!.error_count, 1, "one failure, counted once");
  assert.match(progress!.last_error_message, /^Error code: 500 - /);

  // A 429 with Retry-After is waited out and the batch goes through.
  server.script({
    status: 429,
    body: { error: { message: "slow down", type: "rate_limit", param: null, code: null } },
    headers: { "retry-after": "1" },
  });
  const ok = await new Worker({ dbUrl: db.url, once: true, vectorizerIds: [id], env }).run();
  assert.equal(ok, undefined);
  assert.equal(await count(sql, "flaky_embedding_store"), 6);
  assert.equal(await count(sql, `ai._vectorizer_q_${id}`), 0);
  assert.equal((await errorRows(sql)).length, before + 1, "no new error rows");
});

Deno.test("a poison row (provider 400 for its input) costs only its own row", async () => {
  await using server = startOpenAIServer({ apiKey: KEY, poison: "POISON" });
  await sql`create table poison (id int primary key, title text, body text)`;
  await sql`insert into poison select g, 'p' || g, case when g = 7 then 'this is POISON text' else 'good text ' || g end
    from generate_series(1, 20) g`;
  const id = await createVectorizer(sql, { table: "poison", baseUrl: server.url, batchSize: 10 });
  const before = (await errorRows(sql)).length;
  const error = await new Worker({ dbUrl: db.url, once: true, vectorizerIds: [id], env }).run();
  assert.equal(error, undefined);
  const stored = await storedChunks(sql, "poison_embedding_store");
  assert.deepEqual(
    stored.map((s) => s.id),
    Array.from({ length: 20 }, (_, k) => k + 1).filter((k) => k !== 7),
  );
  const errors = (await errorRows(sql)).slice(before);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.message, "embedding provider failed");
  assert.deepEqual(errors[0]!.details.pk, { id: "7" });
  assert.equal(errors[0]!.details.failure_step, "embedding");
  assert.equal(errors[0]!.details.is_retryable, true);
  assert.match(String(errors[0]!.details.error_reason), /^Error code: 400 - /);
  const queued = await sql`select id, loading_retries,
      loading_retry_after > now() + interval '170 seconds' as later from ai._vectorizer_q_${
    sql.unsafe(String(id))
  }`;
  assert.deepEqual([...queued], [{ id: 7, loading_retries: 1, later: true }]);
  const [progress] = await sql`select success_count from ai.vectorizer_worker_progress
    where vectorizer_id = ${id}`;
  assert.equal(progress!.success_count, 19, "the failed row is not counted as a success");
});

Deno.test("a row rejected in its second API request keeps none of the chunks written from the first", async () => {
  await using server = startOpenAIServer({ apiKey: KEY, poison: "POISON" });
  await sql`create table longdoc (id int primary key, title text, body text)`;
  // Row 2 has 2,101 chunks (more than one request holds), its last one poisoned.
  await sql`insert into longdoc values (1, 'a', 'short one'), (3, 'c', 'short three'),
    (2, 'b', (select string_agg('line' || lpad(g::text, 4, '0'), E'\n') from generate_series(1, 2100) g)
      || E'\nPOISON')`;
  const id = await createVectorizer(sql, {
    table: "longdoc",
    baseUrl: server.url,
    chunking: "ai.chunking_character_text_splitter(10, 0, E'\\n')",
  });
  const before = (await errorRows(sql)).length;
  const error = await new Worker({ dbUrl: db.url, once: true, vectorizerIds: [id], env }).run();
  assert.equal(error, undefined);
  const embeddingRequests = server.requests.filter((r) => r.path.endsWith("/embeddings"));
  assert.ok(embeddingRequests.length >= 3, "row 2 was sent in more than one request");
  const stored = await storedChunks(sql, "longdoc_embedding_store");
  assert.deepEqual(stored.map((s) => [s.id, s.chunk]), [[1, "a: short one"], [
    3,
    "c: short three",
  ]]);
  const errors = (await errorRows(sql)).slice(before);
  assert.equal(errors.length, 1);
  assert.deepEqual(errors[0]!.details.pk, { id: "2" });
  assert.equal(errors[0]!.details.failure_step, "embedding");
});

Deno.test("documents that cannot be parsed yet fail on their own, even when every row of a batch does", async () => {
  await sql`create table pdfs (id int primary key, title text, body bytea)`;
  await sql`insert into pdfs values (1, 'a', '\\x255044462d312e340a'::bytea),
    (2, 'b', '\\x255044462d312e350a'::bytea), (3, 'c', null)`;
  const id = await createVectorizer(sql, { table: "pdfs", baseUrl: openai.url });
  const before = (await errorRows(sql)).length;
  assert.equal(
    await new Worker({ dbUrl: db.url, once: true, vectorizerIds: [id], env }).run(),
    undefined,
  );
  const errors = (await errorRows(sql)).slice(before);
  assert.deepEqual(
    errors.map((e) => [e.message, e.details.failure_step, e.details.pk]),
    [
      ["vectorizer failed with unexpected error", "parsing", { id: "1" }],
      ["vectorizer failed with unexpected error", "parsing", { id: "2" }],
    ],
  );
  assert.match(String(errors[0]!.details.error_reason), /pdf documents .* not supported yet/);
  const queued = await sql`select id, loading_retries from ai._vectorizer_q_${
    sql.unsafe(String(id))
  } order by id`;
  assert.deepEqual([...queued], [{ id: 1, loading_retries: 1 }, { id: 2, loading_retries: 1 }]);
});

Deno.test("executors failing alike (broken store table) leave one error row and the queue", async () => {
  await sql`create table broken (id int primary key, title text, body text)`;
  await sql`insert into broken select g, 'b' || g, 'text ' || g from generate_series(1, 3) g`;
  const id = await createVectorizer(sql, { table: "broken", baseUrl: openai.url, concurrency: 3 });
  await sql`alter table broken_embedding_store rename column chunk to chunk_text`;
  const before = (await errorRows(sql)).length;
  const error = await new Worker({ dbUrl: db.url, once: true, vectorizerIds: [id], env }).run();
  assert.equal(
    error?.message,
    "unexpected error: vectorizer finished with errors (3 sub-exceptions)",
  );
  const errors = (await errorRows(sql)).slice(before);
  assert.deepEqual(errors.map((e) => [e.message, e.details]), [[
    "vectorizer failed with unexpected error",
    { error_reason: 'column "chunk" of "public"."broken_embedding_store" does not exist' },
  ]]);
  assert.equal(await count(sql, `ai._vectorizer_q_${id}`), 3);
});

Deno.test("composite, text, uuid and timestamptz primary keys are stored and locked like pgai's", async () => {
  await sql`create table keyed_docs (
    tenant uuid, slug text, at timestamptz, title text, body text, primary key (slug, tenant, at))`;
  await sql`insert into keyed_docs values
    ('6f1c2c7e-1111-4a5b-9c0d-000000000001', 'a b', '2024-01-02 03:04:05+00', 'x', 'first'),
    ('6f1c2c7e-1111-4a5b-9c0d-000000000002', 'ü"q', '1999-12-31 23:59:59.5+05:30', 'y', 'second')`;
  const id = await createVectorizer(sql, {
    table: "keyed_docs",
    baseUrl: openai.url,
    formatting: "ai.formatting_python_template('$slug @ $at $loading_retries: $chunk')",
  });
  assert.equal(
    await new Worker({ dbUrl: db.url, once: true, vectorizerIds: [id], env }).run(),
    undefined,
  );
  const rows = await sql<{ tenant: string; slug: string; at: Date; chunk: string }[]>`
    select s.tenant::text as tenant, s.slug, s.at, s.chunk from keyed_docs_embedding_store s
     order by s.slug`;
  assert.deepEqual(rows.map((r) => [r.tenant, r.slug, r.at.toISOString(), r.chunk]), [
    [
      "6f1c2c7e-1111-4a5b-9c0d-000000000001",
      "a b",
      "2024-01-02T03:04:05.000Z",
      "a b @ 2024-01-02 03:04:05+00:00 0: first",
    ],
    [
      "6f1c2c7e-1111-4a5b-9c0d-000000000002",
      'ü"q',
      "1999-12-31T18:29:59.500Z",
      'ü"q @ 1999-12-31 18:29:59.500000+00:00 0: second',
    ],
  ]);
  assert.equal(await count(sql, `ai._vectorizer_q_${id}`), 0);
});

Deno.test("batches of deleted rows do not end the run early; keys another worker holds are left to it", async () => {
  await sql`create table churn (id int primary key, title text, body text)`;
  const id = await createVectorizer(sql, { table: "churn", baseUrl: openai.url, batchSize: 10 });
  const queue = `ai._vectorizer_q_${id}`;
  // 30 queued keys whose rows are gone (pgai's executor stops after the first such batch) ...
  await sql.unsafe(`insert into ${queue} (id) select g from generate_series(1001, 1030) g`);
  // ... then real rows, one of them also queued twice and held by another worker.
  await sql`insert into churn select g, 'c' || g, 'churn text ' || g from generate_series(1, 5) g`;
  await sql.unsafe(`insert into ${queue} (id) values (3)`);
  const other = await db.sql.reserve();
  try {
    await other`begin`;
    await other`select pg_advisory_xact_lock(${id}, hashtext(concat_ws('|', 'id', 3)))`;
    const error = await new Worker({ dbUrl: db.url, once: true, vectorizerIds: [id], env }).run();
    assert.equal(error, undefined);
    const stored = await storedChunks(sql, "churn_embedding_store");
    assert.deepEqual(stored.map((s) => s.id), [1, 2, 4, 5]);
    const left = await sql.unsafe(`select id from ${queue} order by id`);
    assert.deepEqual([...left], [{ id: 3 }, { id: 3 }], "the held key stays queued");
  } finally {
    await other`rollback`;
    other.release();
  }
  assert.equal(
    await new Worker({ dbUrl: db.url, once: true, vectorizerIds: [id], env }).run(),
    undefined,
  );
  assert.deepEqual((await storedChunks(sql, "churn_embedding_store")).map((s) => s.id), [
    1,
    2,
    3,
    4,
    5,
  ]);
  assert.equal(await count(sql, queue), 0);
});

Deno.test("a store write that fails (dimension mismatch) rolls the whole batch back", async () => {
  await sql`create table dims (id int primary key, title text, body text)`;
  await sql`insert into dims select g, 'd' || g, 'text ' || g from generate_series(1, 4) g`;
  const id = await createVectorizer(sql, { table: "dims", baseUrl: openai.url });
  await sql`drop view dims_embedding`;
  await sql`alter table dims_embedding_store alter column embedding type vector(4)`;
  const before = (await errorRows(sql)).length;
  const error = await new Worker({ dbUrl: db.url, once: true, vectorizerIds: [id], env }).run();
  assert.ok(error instanceof Error);
  const errors = (await errorRows(sql)).slice(before);
  assert.deepEqual(errors.map((e) => [e.message, e.details]), [[
    "vectorizer failed with unexpected error",
    { error_reason: "expected 4 dimensions, not 8" },
  ]]);
  assert.equal(await count(sql, `ai._vectorizer_q_${id}`), 4, "the queue rows are back");
  assert.equal(await count(sql, "dims_embedding_store"), 0);
  const [progress] = await sql`select success_count from ai.vectorizer_worker_progress
    where vectorizer_id = ${id}`;
  assert.equal(progress!.success_count, 0, "no progress recorded for a rolled-back batch");
});

Deno.test("a bad template fails the batch with pgai's error and keeps the queue", async () => {
  await sql`create table tmpl (id int primary key, title text, body text)`;
  await sql`insert into tmpl select g, 't' || g, 'text ' || g from generate_series(1, 4) g`;
  const id = await createVectorizer(sql, { table: "tmpl", baseUrl: openai.url });
  await sql`update ai.vectorizer set config = jsonb_set(config, '{formatting,template}', '"$nope: $chunk"')
    where id = ${id}`;
  const before = (await errorRows(sql)).length;
  const error = await new Worker({ dbUrl: db.url, once: true, vectorizerIds: [id], env }).run();
  assert.ok(error instanceof Error);
  const errors = (await errorRows(sql)).slice(before);
  assert.deepEqual(errors.map((e) => [e.message, e.details]), [[
    "vectorizer failed with unexpected error",
    { error_reason: "'nope'" },
  ]]);
  assert.equal(await count(sql, `ai._vectorizer_q_${id}`), 4);
  assert.equal(await count(sql, "tmpl_embedding_store"), 0);
  // Also with a single queued row: a template error is never blamed on the row.
  await sql`delete from ai._vectorizer_q_${sql.unsafe(String(id))} where id > 1`;
  await new Worker({ dbUrl: db.url, once: true, vectorizerIds: [id], env }).run();
  const [q] = await sql`select loading_retries from ai._vectorizer_q_${sql.unsafe(String(id))}`;
  assert.equal(q!.loading_retries, 0, "not re-queued as a poison row");
});

Deno.test("batches that take several API responses store exact vectors while response buffers are reused", async () => {
  await sql`create table multi (id int primary key, title text, body text)`;
  const rows = [1, 2, 3, 4].map((id) => ({
    id,
    title: `m${id}`,
    body: Array.from({ length: 1100 }, (_, s) => `Sentence ${s} of row ${id} with some words.`)
      .join("\n\n") + " " + "tail ".repeat(id * 40),
  }));
  for (const r of rows) await sql`insert into multi ${sql(r)}`;
  // 768 dimensions: at most 341 inputs per request, so each 2-row batch takes two responses.
  const id = await createVectorizer(sql, {
    table: "multi",
    baseUrl: openai.url,
    dimensions: 768,
    batchSize: 2,
    concurrency: 2,
  });
  const before = openai.requests.length;
  const error = await new Worker({ dbUrl: db.url, once: true, vectorizerIds: [id], env }).run();
  assert.equal(error, undefined);
  const chunks = await assertStoreMatches("multi_embedding_store", rows, 768);
  assert.ok(chunks > 341 * 2, `${chunks} chunks`);
  assert.ok(openai.requests.length - before >= 4, "several responses per batch");
});

Deno.test("executors render enum, domain and array columns in templates like the formatting stage", async () => {
  await sql.unsafe(`create type mood as enum ('happy', 'sad');
    create domain short_text as text check (length(value) < 50);
    create table typed_src (id int primary key, mood mood, label short_text, tags int[],
      moods mood[], body text)`);
  await sql`insert into typed_src values
    (1, 'happy', 'first', '{1,2,3}', '{happy,sad}', 'one body'),
    (2, null, 'second', '{}', null, 'two body')`;
  const template = "$label|$mood|$tags|$moods: $chunk";
  const id = await createVectorizer(sql, {
    table: "typed_src",
    baseUrl: openai.url,
    formatting: `ai.formatting_python_template('${template}')`,
    concurrency: 2,
    batchSize: 1,
  });
  const error = await new Worker({ dbUrl: db.url, once: true, vectorizerIds: [id], env }).run();
  assert.equal(error, undefined);
  const rows = await fetchRows(sql, "select * from typed_src order by id");
  const context = {
    types: await loadTypeCatalog(sql, rows[0]!.columns.map((c) => c.typeOid)),
    timeZone: "UTC",
  };
  const config = { implementation: "python_template" as const, template };
  const expected = rows.map((row, i) =>
    formatChunk(config, ["one body", "two body"][i]!, row, context)
  );
  // psycopg loads arrays of a custom enum as their text form (no adapter is registered).
  assert.equal(expected[0], "first|happy|[1, 2, 3]|{happy,sad}: one body");
  const stored = await storedChunks(sql, "typed_src_embedding_store");
  assert.deepEqual(stored.map((s) => s.chunk), expected);
});

Deno.test("NULL, empty and 2 MB contents behave as pgai's", async () => {
  await sql`create table sizes (id int primary key, title text, body text)`;
  const big = Array.from({ length: 40_000 }, (_, i) => `w${i % 1000}`).join(" ") + "\n\n" +
    "x".repeat(2 * 1024 * 1024 - 250_000);
  await sql`insert into sizes values (1, 'null', null), (2, 'empty', ''), (3, 'big', ${big}), (4, 'ok', 'small')`;
  const id = await createVectorizer(sql, {
    table: "sizes",
    baseUrl: openai.url,
    chunking: "ai.chunking_recursive_character_text_splitter(4000, 0)",
  });
  const error = await new Worker({ dbUrl: db.url, once: true, vectorizerIds: [id], env }).run();
  assert.equal(error, undefined);
  const stored = await storedChunks(sql, "sizes_embedding_store");
  const expected = chunkText({ ...SPLITTER, chunk_size: 4000, chunk_overlap: 0 }, big);
  assert.ok(expected.length > 400);
  assert.deepEqual(stored.map((s) => s.id), [...expected.map(() => 3), 4]);
  assert.deepEqual(stored.slice(0, -1).map((s) => s.chunk), expected.map((c) => `big: ${c}`));
  assert.equal(await count(sql, `ai._vectorizer_q_${id}`), 0);
});

Deno.test("a missing API key is recorded and does not stop other vectorizers; disabled ones are skipped", async () => {
  await sql`create table keyed (id int primary key, title text, body text)`;
  await sql`create table fine (id int primary key, title text, body text)`;
  await sql`create table off (id int primary key, title text, body text)`;
  for (const t of ["keyed", "fine", "off"]) {
    await sql.unsafe(
      `insert into ${t} select g, 'k' || g, 'body ' || g from generate_series(1, 3) g`,
    );
  }
  const keyed = await createVectorizer(sql, {
    table: "keyed",
    baseUrl: openai.url,
    apiKeyName: "PGAI_TEST_MISSING_KEY",
  });
  const fine = await createVectorizer(sql, { table: "fine", baseUrl: openai.url });
  const off = await createVectorizer(sql, {
    table: "off",
    baseUrl: openai.url,
    apiKeyName: "PGAI_TEST_ALSO_MISSING",
  });
  await sql`update ai.vectorizer set disabled = true where id = ${off}`;
  const mark = logEvents.length;
  const worker = new Worker({
    dbUrl: db.url,
    once: true,
    exitOnError: false,
    vectorizerIds: [keyed, fine, off],
    env,
  });
  assert.equal(await worker.run(), undefined);
  assert.equal(await count(sql, "fine_embedding_store"), 3);
  assert.equal(await count(sql, "keyed_embedding_store"), 0);
  assert.equal(await count(sql, `ai._vectorizer_q_${keyed}`), 3);
  assert.equal(await count(sql, `ai._vectorizer_q_${off}`), 3, "disabled: untouched");
  const message =
    `error getting vectorizer: ApiKeyNotFoundError: api_key_name=PGAI_TEST_MISSING_KEY vectorizer_id=${keyed}`;
  const [progress] = await sql`select error_count, last_error_message
    from ai.vectorizer_worker_progress where vectorizer_id = ${keyed}`;
  assert.deepEqual({ ...progress }, { error_count: 1, last_error_message: message });
  const events = eventsSince(mark);
  assert.ok(events.some((e) => e.level === "error" && e.event === message));
  assert.ok(!events.some((e) => String(e.event).includes("PGAI_TEST_ALSO_MISSING")));
  // In exit-on-error mode (the default with once) the same error ends the run.
  const failed = await new Worker({ dbUrl: db.url, once: true, vectorizerIds: [keyed], env }).run();
  assert.equal(failed?.message, message);
});

Deno.test("worker processes vectorizers one at a time by default, several at once with parallelVectorizers", async () => {
  await using slow = startOpenAIServer({ apiKey: KEY, latencyMs: 150 });
  const ids: number[] = [];
  for (const t of ["lane_a", "lane_b", "lane_c"]) {
    await sql.unsafe(`create table ${t} (id int primary key, title text, body text)`);
    await sql.unsafe(
      `insert into ${t} select g, 't' || g, 'body ' || g from generate_series(1, 4) g`,
    );
    ids.push(await createVectorizer(sql, { table: t, baseUrl: slow.url, batchSize: 2 }));
  }
  const run = (parallelVectorizers?: number) =>
    new Worker({
      dbUrl: db.url,
      once: true,
      vectorizerIds: ids,
      env,
      ...(parallelVectorizers === undefined ? {} : { parallelVectorizers }),
    }).run();
  assert.equal(await run(), undefined);
  assert.equal(slow.maxInFlight, 1, "one vectorizer, one executor at a time");
  for (const t of ["lane_a", "lane_b", "lane_c"]) {
    assert.equal(await count(sql, `${t}_embedding_store`), 4);
  }
  for (const [i, t] of ["lane_a", "lane_b", "lane_c"].entries()) {
    await sql.unsafe(`truncate ${t}_embedding_store`);
    await sql.unsafe(`insert into ai._vectorizer_q_${ids[i]} (id) select id from ${t}`);
  }
  slow.maxInFlight = 0;
  assert.equal(await run(3), undefined);
  assert.equal(slow.maxInFlight, 3, "three vectorizers at once");
  for (const t of ["lane_a", "lane_b", "lane_c"]) {
    assert.equal(await count(sql, `${t}_embedding_store`), 4);
  }
});

Deno.test("with parallel vectorizers, the first error in exit-on-error mode stops the others after their current batch", async () => {
  await using slow = startOpenAIServer({ apiKey: KEY, latencyMs: 100 });
  // Its answer, a 401 that no retry helps, comes while the other vectorizer is mid-queue.
  await using refusing = startOpenAIServer({ apiKey: "another-key", latencyMs: 350 });
  await sql`create table lane_refused (id int primary key, title text, body text)`;
  await sql`create table lane_long (id int primary key, title text, body text)`;
  for (const t of ["lane_refused", "lane_long"]) {
    await sql.unsafe(
      `insert into ${t} select g, 't' || g, 'body ' || g from generate_series(1, 40) g`,
    );
  }
  const refused = await createVectorizer(sql, { table: "lane_refused", baseUrl: refusing.url });
  const long = await createVectorizer(sql, { table: "lane_long", baseUrl: slow.url, batchSize: 2 });
  const failed = await new Worker({
    dbUrl: db.url,
    once: true,
    vectorizerIds: [refused, long],
    parallelVectorizers: 2,
    env,
  }).run();
  assert.equal(
    failed?.message,
    "unexpected error: vectorizer finished with errors (1 sub-exception)",
  );
  const [stored] = await sql<{ n: number }[]>`
    select count(distinct id)::int as n from lane_long_embedding_store`;
  const queued = await count(sql, `ai._vectorizer_q_${long}`);
  assert.ok(stored!.n > 0, "the other vectorizer ran alongside");
  assert.ok(queued > 0, "the other vectorizer stopped instead of draining its queue (2 s of work)");
  assert.equal(stored!.n + queued, 40, "every row is either stored or still queued");
  assert.equal(await count(sql, `ai._vectorizer_q_${refused}`), 40);
});

Deno.test({
  name: "worker tests: teardown",
  fn: async () => {
    await openai.close();
    await db.drop();
  },
});
