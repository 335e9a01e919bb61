import assert from "node:assert/strict";
import { signalHandler } from "../../src/cli/worker.ts";
import { configureLogging } from "../../src/log.ts";
import { testDatabase } from "../support/pg.ts";
import { cli } from "./support.ts";

// A database without pgai: the worker's first poll fails with "pgai is not installed".
const db = await testDatabase("cli_worker_run");

Deno.test.afterAll(() => db.drop());

Deno.test("--once stops at the first error and exits 1 (exit-on-error implied, as in pgai)", async () => {
  const run = await cli(["vectorizer", "worker", "--once", "-d", db.url]);
  assert.equal(run.status, 1);
  assert.match(run.stdout, /\[error {4}\] pgai is not installed in the database/);
});

Deno.test("--once with --exit-on-error false logs the error and exits 0", async () => {
  const run = await cli(["vectorizer", "worker", "--once", "-d", db.url], {
    env: { PGAI_VECTORIZER_WORKER_EXIT_ON_ERROR: "false" },
  });
  assert.equal(run.status, 0, run.stdout);
  assert.match(run.stdout, /\[error {4}\] pgai is not installed in the database/);
});

Deno.test("json logs from a worker run: one object per line, database password masked", async () => {
  const url = new URL(db.url);
  url.password = "pw-Secret-123"; // the test cluster trusts local connections; the password is unused
  const run = await cli(["vectorizer", "worker", "--once", "--poll-interval", "0"], {
    env: {
      PGAI_VECTORIZER_WORKER_DB_URL: url.href,
      PGAI_VECTORIZER_WORKER_LOG_FORMAT: "json",
      PGAI_VECTORIZER_WORKER_LOG_LEVEL: "debug",
    },
  });
  assert.equal(run.status, 1);
  assert.ok(!run.stdout.includes("pw-Secret-123"), run.stdout);
  const records = run.stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
  for (const record of records) {
    assert.equal(typeof record.time, "string");
    assert.equal(typeof record.event, "string");
    assert.equal(typeof record.logger, "string");
  }
  const options = records.find((r) => r.event === "worker options");
  assert.ok(options, run.stdout);
  assert.equal(options.level, "debug");
  assert.equal(options.db_url, url.href.replace("pw-Secret-123", "****"));
  assert.equal(options.poll_interval, 1);
  const raised = records.find((r) => r.level === "warning" && r.event.startsWith("poll interval"));
  assert.equal(raised?.event, "poll interval 0s is below the minimum, using 1s");
  assert.ok(
    records.some((r) => r.level === "error" && r.event === "pgai is not installed in the database"),
  );
});

Deno.test("signals: the first asks for a graceful stop, the second exits at once with 128+n", () => {
  const lines: string[] = [];
  configureLogging({ sink: (line) => lines.push(line) });
  try {
    let stops = 0;
    const exits: number[] = [];
    const onSignal = signalHandler(() => {
      stops++;
      return Promise.resolve();
    }, (status) => exits.push(status));
    onSignal("SIGTERM");
    assert.equal(stops, 1);
    assert.deepEqual(exits, []);
    onSignal("SIGTERM");
    onSignal("SIGINT");
    assert.equal(stops, 1);
    assert.deepEqual(exits, [143, 130]);
    assert.deepEqual(lines.map((line) => line.slice(20)), [
      "[info     ] received SIGTERM, shutting down gracefully",
      "[warning  ] received SIGTERM again, exiting immediately",
      "[warning  ] received SIGINT again, exiting immediately",
    ]);
  } finally {
    configureLogging();
  }
});
