import assert from "node:assert/strict";
import { Worker } from "../../src/worker/worker.ts";
import { startOpenAIServer } from "../support/providers.ts";
import {
  count,
  createVectorizer,
  errorRows,
  pgaiDatabase,
  storedChunks,
  waitFor,
} from "./fixtures.ts";

const db = await pgaiDatabase("worker_cli");
const sql = db.sql;
const KEY = "sk-test-cli";
const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** A `pgai vectorizer worker` subprocess whose output is collected as it arrives. */
class WorkerProcess {
  readonly child: Deno.ChildProcess;
  output = "";
  readonly done: Promise<Deno.CommandStatus>;

  constructor(args: string[]) {
    this.child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "vectorizer", "worker", "-d", db.url, ...args],
      env: { OPENAI_API_KEY: KEY, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const collect = async (stream: ReadableStream<Uint8Array>) => {
      for await (const text of stream.pipeThrough(new TextDecoderStream())) this.output += text;
    };
    const streams = Promise.all([collect(this.child.stdout), collect(this.child.stderr)]);
    this.done = this.child.status.then(async (status) => {
      await streams;
      return status;
    });
  }
}

async function table(name: string, rows: number): Promise<void> {
  await sql.unsafe(`create table ${name} (id int primary key, title text, body text)`);
  await sql.unsafe(
    `insert into ${name} select g, 't' || g, 'text of row ' || g from generate_series(1, ${rows}) g`,
  );
}

Deno.test("three `vectorizer worker --once -c 2` processes on one queue store every chunk once", async () => {
  await using server = startOpenAIServer({ apiKey: KEY, latencyMs: 5 });
  await table("multi", 120);
  const id = await createVectorizer(sql, { table: "multi", baseUrl: server.url, batchSize: 4 });
  const procs = Array.from(
    { length: 3 },
    () => new WorkerProcess(["--once", "-c", "2", "-i", String(id)]),
  );
  const statuses = await Promise.all(procs.map((p) => p.done));
  assert.deepEqual(statuses.map((s) => s.code), [0, 0, 0], procs.map((p) => p.output).join("\n"));
  const stored = await storedChunks(sql, "multi_embedding_store");
  assert.deepEqual(stored.map((s) => s.id), Array.from({ length: 120 }, (_, k) => k + 1));
  assert.equal(await count(sql, `ai._vectorizer_q_${id}`), 0);
  const inputs = server.embedRequests.flatMap((r) => (r.body as { input: string[] }).input);
  assert.equal(inputs.length, 120, "every row was embedded by exactly one process");
});

Deno.test("a worker SIGKILLed mid-batch loses and duplicates nothing on the next run", async () => {
  await using server = startOpenAIServer({ apiKey: KEY, latencyMs: 60_000 });
  await table("killed", 30);
  const id = await createVectorizer(sql, { table: "killed", baseUrl: server.url, batchSize: 5 });
  const proc = new WorkerProcess(["--once", "-c", "2", "-i", String(id)]);
  await waitFor("embedding requests in flight", () => server.embedRequests.length >= 2);
  proc.child.kill("SIGKILL");
  const status = await proc.done;
  assert.equal(status.signal, "SIGKILL");
  // The server rolls the killed sessions' transactions back once it notices they are gone.
  await waitFor("the killed sessions to end", async () => {
    const [row] = await sql`select count(*)::int as n from pg_stat_activity
      where application_name like ${`pgai-worker[${id}]%`}`;
    return row!.n === 0;
  });
  assert.equal(await count(sql, `ai._vectorizer_q_${id}`), 30, "nothing was consumed");
  assert.equal(await count(sql, "killed_embedding_store"), 0);
  server.latencyMs = 0;
  const error = await new Worker({
    dbUrl: db.url,
    once: true,
    vectorizerIds: [id],
    env: { OPENAI_API_KEY: KEY },
  }).run();
  assert.equal(error, undefined);
  const stored = await storedChunks(sql, "killed_embedding_store");
  assert.deepEqual(stored.map((s) => s.id), Array.from({ length: 30 }, (_, k) => k + 1));
  assert.equal(await count(sql, `ai._vectorizer_q_${id}`), 0);
  assert.deepEqual(await errorRows(sql), []);
});

Deno.test("SIGTERM during a long poll exits 0 promptly, after a final heartbeat", async () => {
  await using server = startOpenAIServer({ apiKey: KEY });
  await table("term", 2);
  const id = await createVectorizer(sql, { table: "term", baseUrl: server.url });
  const proc = new WorkerProcess(["--poll-interval", "1h", "-i", String(id)]);
  await waitFor("the poll sleep", () => proc.output.includes("sleeping for 1:00:00"), 30_000);
  const [before] = await sql`select heartbeat_count from ai.vectorizer_worker_process
    order by started desc limit 1`;
  proc.child.kill("SIGTERM");
  const timer = setTimeout(() => proc.child.kill("SIGKILL"), 15_000);
  const status = await proc.done;
  clearTimeout(timer);
  assert.equal(status.code, 0, proc.output);
  assert.match(proc.output, /received SIGTERM/);
  assert.match(proc.output, /exiting processor\.run\(\)/);
  const [after] = await sql`select heartbeat_count from ai.vectorizer_worker_process
    order by started desc limit 1`;
  assert.ok(after!.heartbeat_count > before!.heartbeat_count, "final heartbeat");
  assert.equal(await count(sql, "term_embedding_store"), 2);
});

Deno.test({
  name: "cli tests: teardown",
  fn: async () => {
    await db.drop();
  },
});
