import assert from "node:assert/strict";
import { Worker } from "../../src/worker/worker.ts";
import { testDatabase } from "../support/pg.ts";
import { startOpenAIServer } from "../support/providers.ts";
import {
  count,
  createVectorizer,
  errorRows,
  eventsSince,
  freePort,
  logEvents,
  pgaiDatabase,
  storedChunks,
  TcpProxy,
  waitFor,
} from "./fixtures.ts";

const db = await pgaiDatabase("worker_lifecycle");
const sql = db.sql;
const KEY = "sk-test-lifecycle";
const env = { OPENAI_API_KEY: KEY };

/** Resolves with `p`, or rejects when it takes longer than `ms` (a hang, not a speed check). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish`)), ms);
    }),
  ]);
}

async function table(name: string, rows: number): Promise<void> {
  await sql.unsafe(`create table ${name} (id int primary key, title text, body text)`);
  await sql.unsafe(
    `insert into ${name} select g, 't' || g, 'text of row ' || g from generate_series(1, ${rows}) g`,
  );
}

Deno.test("stop() during a long poll ends run() promptly with a final heartbeat", async () => {
  await using server = startOpenAIServer({ apiKey: KEY });
  await table("idle", 2);
  const id = await createVectorizer(sql, { table: "idle", baseUrl: server.url });
  const mark = logEvents.length;
  const worker = new Worker({ dbUrl: db.url, pollInterval: 3600, vectorizerIds: [id], env });
  const running = worker.run();
  await waitFor(
    "the poll sleep",
    () =>
      eventsSince(mark).some((e) => e.event === "sleeping for 1:00:00 before polling for new work"),
  );
  assert.equal(await count(sql, "idle_embedding_store"), 2);
  const [before] = await sql`select heartbeat_count from ai.vectorizer_worker_process
    order by started desc limit 1`;
  await within(Promise.all([worker.stop(), worker.stop()]), 10_000, "stop()");
  assert.equal(await within(running, 1000, "run()"), undefined);
  const [after] = await sql`select heartbeat_count, success_count from ai.vectorizer_worker_process
    order by started desc limit 1`;
  assert.ok(after!.heartbeat_count > before!.heartbeat_count, "a final heartbeat was written");
  assert.equal(after!.success_count, 2);
  const events = eventsSince(mark).map((e) => e.event);
  assert.ok(events.includes("got a graceful shutdown request"));
  assert.ok(events.includes("exiting processor.run()"));
});

Deno.test("an AbortSignal stops the worker; the in-flight batch finishes, no new batch starts", async () => {
  await using server = startOpenAIServer({ apiKey: KEY, latencyMs: 800 });
  await table("draining", 9);
  const id = await createVectorizer(sql, { table: "draining", baseUrl: server.url, batchSize: 3 });
  const controller = new AbortController();
  const worker = new Worker({
    dbUrl: db.url,
    pollInterval: 1,
    vectorizerIds: [id],
    env,
    signal: controller.signal,
  });
  const running = worker.run();
  await waitFor("the first embedding request", () => server.embedRequests.length > 0);
  controller.abort();
  assert.equal(await within(running, 10_000, "run()"), undefined);
  assert.equal(await count(sql, "draining_embedding_store"), 3, "the in-flight batch committed");
  assert.equal(await count(sql, `ai._vectorizer_q_${id}`), 6, "no further batch was taken");
  assert.equal(server.embedRequests.length, 1);
});

Deno.test("disabling a vectorizer mid-run stops its executor after the current batch", async () => {
  await using server = startOpenAIServer({ apiKey: KEY, latencyMs: 500 });
  await table("toggled", 9);
  const id = await createVectorizer(sql, { table: "toggled", baseUrl: server.url, batchSize: 3 });
  const mark = logEvents.length;
  const running = new Worker({
    dbUrl: db.url,
    once: true,
    concurrency: 1,
    vectorizerIds: [id],
    env,
  }).run();
  await waitFor("the first embedding request", () => server.embedRequests.length > 0);
  await sql`update ai.vectorizer set disabled = true where id = ${id}`;
  assert.equal(await running, undefined);
  assert.equal(await count(sql, "toggled_embedding_store"), 3);
  assert.equal(await count(sql, `ai._vectorizer_q_${id}`), 6);
  assert.ok(eventsSince(mark).some((e) => e.event === "vectorizer is disabled, stopping"));
});

Deno.test("a batch still running at the shutdown deadline is rolled back, leaving the queue intact", async () => {
  await using server = startOpenAIServer({ apiKey: KEY, latencyMs: 30_000 });
  await table("stuck", 4);
  const id = await createVectorizer(sql, { table: "stuck", baseUrl: server.url });
  const before = (await errorRows(sql)).length;
  const worker = new Worker({
    dbUrl: db.url,
    once: true,
    vectorizerIds: [id],
    env,
    shutdownTimeout: 0.2,
  });
  const running = worker.run();
  await waitFor("the embedding request", () => server.embedRequests.length > 0);
  await within(worker.stop(), 10_000, "stop()");
  assert.equal(await running, undefined);
  assert.equal(await count(sql, `ai._vectorizer_q_${id}`), 4);
  assert.equal(await count(sql, "stuck_embedding_store"), 0);
  assert.equal((await errorRows(sql)).length, before, "an abandoned batch is not an error");
});

Deno.test("health endpoint: /healthz and /readyz while running, 503 after the worker stopped", async () => {
  const port = freePort();
  const worker = new Worker({ dbUrl: db.url, pollInterval: 3600, healthPort: port, env });
  const running = worker.run();
  const get = async (path: string) => {
    const r = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: r.status, body: await r.json() };
  };
  await waitFor("readiness", async () => {
    try {
      return (await get("/readyz")).status === 200;
    } catch {
      return false;
    }
  });
  const health = await get("/healthz");
  assert.equal(health.status, 200);
  assert.equal(health.body.status, "ok");
  assert.equal(health.body.catalog_version, "0.12.1");
  assert.match(String(health.body.worker_id), /^[0-9a-f-]{36}$/);
  assert.equal((await get("/nope")).status, 404);
  await worker.stop();
  await running;
  await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`), "the server is closed");
});

Deno.test("a database without pgai: clear error, exit-on-error in once mode, not ready", async () => {
  const bare = await testDatabase("worker_bare");
  try {
    const mark = logEvents.length;
    const error = await new Worker({ dbUrl: bare.url, once: true, env }).run();
    assert.equal(error?.message, "pgai is not installed in the database");
    assert.ok(
      eventsSince(mark).some((e) =>
        e.level === "error" && e.event === "pgai is not installed in the database"
      ),
    );
    const port = freePort();
    const worker = new Worker({ dbUrl: bare.url, pollInterval: 3600, healthPort: port, env });
    const running = worker.run();
    await waitFor("the health server", async () => {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/readyz`);
        await r.body?.cancel();
        return r.status === 503;
      } catch {
        return false;
      }
    });
    await worker.stop();
    assert.equal(await running, undefined, "without exit-on-error the loop kept going");
  } finally {
    await bare.drop();
  }
});

Deno.test("an unreachable database is a clear error: once mode returns it, no retry", async () => {
  const url = `postgres://postgres@127.0.0.1:${freePort()}/nowhere`;
  const error = await within(new Worker({ dbUrl: url, once: true, env }).run(), 20_000, "run()");
  assert.match(
    error?.message ?? "",
    /^unable to connect to database: connection failed: connection to server at "127\.0\.0\.1", port \d+ failed: Connection refused$/,
  );
});

Deno.test("the worker survives a database that starts after it and restarts mid-run", async () => {
  await using server = startOpenAIServer({ apiKey: KEY });
  await table("restart", 3);
  const id = await createVectorizer(sql, { table: "restart", baseUrl: server.url });
  const proxy = new TcpProxy(db.url);
  const mark = logEvents.length;
  const worker = new Worker({
    dbUrl: proxy.url(db.url),
    pollInterval: 1,
    vectorizerIds: [id],
    env,
  });
  const running = worker.run();
  try {
    await waitFor(
      "a connection error",
      () =>
        eventsSince(mark).some((e) =>
          e.level === "error" && String(e.event).startsWith("unable to connect to database")
        ),
    );
    proxy.start();
    await waitFor("the first rows", async () => await count(sql, "restart_embedding_store") === 3);
    // "Restart" the database: every connection is cut and refused for a moment.
    proxy.stop();
    await sql`insert into restart values (4, 't4', 'after the restart')`;
    await new Promise((r) => setTimeout(r, 1500));
    proxy.start();
    await waitFor(
      "the row inserted during the outage",
      async () => (await storedChunks(sql, "restart_embedding_store")).some((s) => s.id === 4),
    );
  } finally {
    await worker.stop();
    proxy.stop();
  }
  assert.equal(await running, undefined);
  assert.equal(await count(sql, `ai._vectorizer_q_${id}`), 0);
});

Deno.test("several workers on one queue store every chunk exactly once", async () => {
  await using server = startOpenAIServer({ apiKey: KEY, latencyMs: 5 });
  await table("shared", 150);
  const id = await createVectorizer(sql, { table: "shared", baseUrl: server.url, batchSize: 4 });
  const results = await Promise.all(
    Array.from(
      { length: 3 },
      () =>
        new Worker({ dbUrl: db.url, once: true, concurrency: 2, vectorizerIds: [id], env }).run(),
    ),
  );
  assert.deepEqual(results, [undefined, undefined, undefined]);
  const stored = await storedChunks(sql, "shared_embedding_store");
  assert.deepEqual(stored.map((s) => s.id), Array.from({ length: 150 }, (_, k) => k + 1));
  assert.equal(await count(sql, `ai._vectorizer_q_${id}`), 0);
  const embedded = server.embedRequests.flatMap((r) => (r.body as { input: string[] }).input);
  assert.equal(embedded.length, 150, "no row was embedded twice");
});

Deno.test({
  name: "lifecycle tests: teardown",
  fn: async () => {
    await db.drop();
  },
});
