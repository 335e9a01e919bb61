/**
 * The CLI as a real process (`deno run -A main.ts ...`): exit statuses, the process's own
 * environment and `.env` from its working directory, and SIGTERM handling of a running worker.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { testDatabase } from "../support/pg.ts";
import { cli, withDotenv } from "./support.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const MAIN = join(ROOT, "main.ts");
const CONFIG = join(ROOT, "deno.json");

/** Only what Deno itself needs: no PGAI_* variables of the machine leak into the runs. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "TMPDIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return env;
}

function pgai(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", CONFIG, MAIN, ...args],
    cwd: options.cwd ?? ROOT,
    env: { ...baseEnv(), ...options.env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

async function run(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const output = await pgai(args, options).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

const db = await testDatabase("cli_process");
Deno.test.afterAll(() => db.drop());

Deno.test("process: --version and --help exit 0", async () => {
  const version = await run(["--version"]);
  assert.equal(version.code, 0);
  assert.equal(version.stdout, "pgai, version 0.12.1\n");
  const help = await run(["vectorizer", "worker", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: pgai vectorizer worker \[OPTIONS\]\n/);
});

Deno.test("process: a usage error exits 2 with the message on stderr", async () => {
  const result = await run(["vectorizer", "worker", "-c", "0"]);
  assert.equal(result.code, 2);
  assert.equal(result.stdout, "");
  assert.match(
    result.stderr,
    /\nError: Invalid value for '-c' \/ '--concurrency': 0 is not in the range x>=1\.\n$/,
  );
});

Deno.test("process: .env in the working directory supplies options without overriding the environment", async () => {
  const dotenv = [
    `PGAI_VECTORIZER_WORKER_DB_URL=${db.url}`,
    "PGAI_VECTORIZER_WORKER_ONCE=true",
    "PGAI_VECTORIZER_WORKER_CONCURRENCY=0", // invalid, but the environment has its own value
  ].join("\n");
  await withDotenv(dotenv, async (dir) => {
    const nested = join(dir, "sub", "dir");
    Deno.mkdirSync(nested, { recursive: true });
    const result = await run(["vectorizer", "worker"], {
      cwd: nested,
      env: { PGAI_VECTORIZER_WORKER_CONCURRENCY: "2" },
    });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stdout, /\[error {4}\] pgai is not installed in the database/);
  });
});

Deno.test("process: SIGTERM stops a running worker gracefully with status 0", async () => {
  const install = await cli(["install", "-d", db.url]);
  assert.equal(install.status, 0, install.stderr);
  const child = pgai(["vectorizer", "worker", "--poll-interval", "1m"], {
    env: { PGAI_VECTORIZER_WORKER_DB_URL: db.url },
  }).spawn();
  // Guard against a hang only; nothing here measures time.
  const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let stdout = "";
    while (!stdout.includes("before polling for new work")) {
      const { value, done } = await reader.read();
      if (done) break;
      stdout += value;
    }
    assert.match(stdout, /sleeping for 0:01:00 before polling for new work/);
    child.kill("SIGTERM");
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      stdout += value;
    }
    const status = await child.status;
    await child.stderr.cancel();
    assert.equal(status.code, 0, stdout);
    assert.match(stdout, /\[info {5}\] received SIGTERM, shutting down gracefully\n/);
  } finally {
    clearTimeout(guard);
  }
});
