import assert from "node:assert/strict";
import { loadDotenv } from "../../src/env.ts";
import { UsageError } from "../../src/cli/options.ts";
import {
  DEFAULT_DB_URL,
  MAX_POLL_INTERVAL,
  MIN_POLL_INTERVAL,
  resolveWorkerSettings,
  type WorkerSettings,
} from "../../src/cli/worker.ts";
import { cli, MapEnv, withDotenv } from "./support.ts";

/** What runCli does before dispatching: load `.env` (if given) into env, then resolve. */
async function settings(
  argv: string[],
  env: Record<string, string> = {},
  dotenv?: string,
): Promise<WorkerSettings> {
  const menv = new MapEnv(env);
  const resolve = (dir?: string) => {
    if (dir !== undefined) loadDotenv(dir, menv);
    const result = resolveWorkerSettings(argv, menv);
    assert.notEqual(result, "help");
    return result as WorkerSettings;
  };
  return dotenv === undefined ? resolve() : await withDotenv(dotenv, resolve);
}

function usage(fn: () => unknown, message: string) {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof UsageError, String(error));
    assert.equal(error.message, message);
    return true;
  });
}

const P = "PGAI_VECTORIZER_WORKER_";

Deno.test("worker defaults are pgai's: local database, all vectorizers, 5 minute polls", async () => {
  assert.deepEqual(await settings([]), {
    options: { dbUrl: DEFAULT_DB_URL, vectorizerIds: [], pollInterval: 300, once: false },
    logLevel: "info",
    logFormat: "text",
  });
});

Deno.test("every worker option can be given as a flag", async () => {
  const s = await settings([
    "-d",
    "postgres://flag@db/x",
    "-i",
    "1",
    "--vectorizer-id",
    "2",
    "--poll-interval",
    "1h30m",
    "--once",
    "-c",
    "4",
    "--parallel-vectorizers",
    "3",
    "--exit-on-error",
    "false",
    "--log-level",
    "debug",
    "--log-format",
    "JSON",
    "--health-port",
    "8080",
    "--health-host",
    "0.0.0.0",
  ]);
  assert.deepEqual(s, {
    options: {
      dbUrl: "postgres://flag@db/x",
      vectorizerIds: [1, 2],
      pollInterval: 5400,
      once: true,
      exitOnError: false,
      concurrency: 4,
      parallelVectorizers: 3,
      healthPort: 8080,
      healthHost: "0.0.0.0",
    },
    logLevel: "debug",
    logFormat: "json",
  });
});

const FROM_VARIABLES: Record<string, string> = {
  [`${P}DB_URL`]: "postgres://env@db/x",
  [`${P}VECTORIZER_IDS`]: "3 4",
  [`${P}POLL_INTERVAL`]: "90",
  [`${P}ONCE`]: "yes",
  [`${P}CONCURRENCY`]: "2",
  [`${P}PARALLEL_VECTORIZERS`]: "5",
  [`${P}EXIT_ON_ERROR`]: "on",
  [`${P}LOG_LEVEL`]: "WARN",
  [`${P}LOG_FORMAT`]: "json",
  [`${P}HEALTH_PORT`]: "9090",
  [`${P}HEALTH_HOST`]: "::",
};
const RESOLVED_FROM_VARIABLES: WorkerSettings = {
  options: {
    dbUrl: "postgres://env@db/x",
    vectorizerIds: [3, 4],
    pollInterval: 90,
    once: true,
    exitOnError: true,
    concurrency: 2,
    parallelVectorizers: 5,
    healthPort: 9090,
    healthHost: "::",
  },
  logLevel: "warn",
  logFormat: "json",
};

Deno.test("every worker option can come from its PGAI_VECTORIZER_WORKER_* variable", async () => {
  assert.deepEqual(await settings([], FROM_VARIABLES), RESOLVED_FROM_VARIABLES);
});

Deno.test("every worker option can come from a .env file", async () => {
  const dotenv = Object.entries(FROM_VARIABLES).map(([k, v]) => `${k}="${v}"`).join("\n");
  assert.deepEqual(await settings([], {}, dotenv), RESOLVED_FROM_VARIABLES);
});

Deno.test("precedence: flag over environment over .env over default, option by option", async () => {
  const dotenv = [
    `${P}DB_URL=postgres://dotenv@db/x`,
    `${P}CONCURRENCY=3`,
    `${P}POLL_INTERVAL=10s`,
    `${P}LOG_LEVEL=ERROR`,
  ].join("\n");
  const env = { [`${P}DB_URL`]: "postgres://env@db/x", [`${P}CONCURRENCY`]: "2" };
  const s = await settings(["-c", "1"], env, dotenv);
  assert.equal(s.options.concurrency, 1); // flag > environment > .env
  assert.equal(s.options.dbUrl, "postgres://env@db/x"); // environment > .env
  assert.equal(s.options.pollInterval, 10); // .env > default
  assert.equal(s.logLevel, "error"); // .env > default
  assert.equal(s.options.exitOnError, undefined); // default: tri-state, left to the worker
});

Deno.test("empty variables are ignored, including an empty one that shadows .env", async () => {
  const s = await settings(
    [],
    { [`${P}CONCURRENCY`]: "", [`${P}ONCE`]: "" },
    `${P}CONCURRENCY=5\n`,
  );
  assert.equal(s.options.concurrency, undefined); // .env does not override an existing variable
  assert.equal(s.options.once, false);
});

Deno.test("VECTORIZER_DB_URL is the lowest-priority source of the database URL", async () => {
  const old = { VECTORIZER_DB_URL: "postgres://legacy@db/x" };
  assert.equal((await settings([], old)).options.dbUrl, "postgres://legacy@db/x");
  assert.equal(
    (await settings([], old, `${P}DB_URL=postgres://dotenv@db/x`)).options.dbUrl,
    "postgres://dotenv@db/x",
  );
  assert.equal(
    (await settings([], {}, "VECTORIZER_DB_URL=postgres://legacy-dotenv@db/x")).options.dbUrl,
    "postgres://legacy-dotenv@db/x",
  );
  assert.equal(
    (await settings(["-d", "postgres://flag@db/x"], old)).options.dbUrl,
    "postgres://flag@db/x",
  );
});

Deno.test("log levels: any case, FATAL and CRITICAL are the same, WARNING is rejected like pgai", async () => {
  assert.equal((await settings(["--log-level", "Info"])).logLevel, "info");
  assert.equal((await settings(["--log-level", "FATAL"])).logLevel, "critical");
  assert.equal((await settings(["--log-level", "critical"])).logLevel, "critical");
  usage(
    () => resolveWorkerSettings(["--log-level", "warning"], new MapEnv()),
    "Invalid value for '--log-level': 'warning' is not one of 'debug', 'info', 'warn', 'error', 'fatal', 'critical'.",
  );
  usage(
    () => resolveWorkerSettings(["--log-format", "yaml"], new MapEnv()),
    "Invalid value for '--log-format': 'yaml' is not one of 'text', 'json'.",
  );
});

Deno.test("poll intervals: pgai's grammar in seconds, fractions kept, out-of-range adjusted", async () => {
  const poll = async (value: string) => (await settings(["--poll-interval", value]));
  assert.equal((await poll("1:30")).options.pollInterval, 90);
  assert.equal((await poll("1m30.5s")).options.pollInterval, 90.5);
  assert.equal((await poll("2.5s")).options.pollInterval, 2.5); // pgai truncates to 2
  assert.equal((await poll("1s")).requestedPollInterval, undefined);
  for (const [value, requested] of [["0", 0], ["0.5s", 0.5], [".01m", 0]] as const) {
    const adjusted = await poll(value); // pgai: 0, a busy loop
    assert.equal(adjusted.options.pollInterval, MIN_POLL_INTERVAL, value);
    assert.equal(adjusted.requestedPollInterval, requested, value);
  }
  assert.equal((await poll("3w")).options.pollInterval, 1814400);
  const long = await poll("30d"); // a timer this long would overflow and fire at once
  assert.equal(long.options.pollInterval, MAX_POLL_INTERVAL);
  assert.equal(long.requestedPollInterval, 2592000);
});

Deno.test("negative poll intervals are usage errors, whichever way pgai parses them", () => {
  for (const value of ["-5m", "- 1 minute", "-1.5s", "-1_000"]) {
    usage(
      () => resolveWorkerSettings(["--poll-interval", value], new MapEnv()),
      `Invalid value for '--poll-interval': time duration can't be negative: '${value}'`,
    );
  }
  usage(
    () => resolveWorkerSettings(["--poll-interval", "-10"], new MapEnv()),
    "Invalid value for '--poll-interval': time duration can't be negative: '-10'",
  );
  usage(
    () => resolveWorkerSettings(["--poll-interval", "soon"], new MapEnv()),
    "Invalid value for '--poll-interval': 'soon' is not a valid duration string or integer",
  );
  usage(
    () => resolveWorkerSettings([], new MapEnv({ [`${P}POLL_INTERVAL`]: "-1m" })),
    `Invalid value for '--poll-interval' (from environment variable ${P}POLL_INTERVAL): ` +
      "time duration can't be negative: '-1m'",
  );
});

Deno.test("--once and --exit-on-error: a flag without value, and a boolean that needs one", async () => {
  assert.equal((await settings(["--once"])).options.once, true);
  assert.equal((await settings(["--exit-on-error", "TRUE"])).options.exitOnError, true);
  assert.equal((await settings(["--exit-on-error=0"])).options.exitOnError, false);
  usage(
    () => resolveWorkerSettings(["--exit-on-error"], new MapEnv()),
    "Option '--exit-on-error' requires an argument.",
  );
  usage(
    () => resolveWorkerSettings(["--exit-on-error", "maybe"], new MapEnv()),
    "Invalid value for '--exit-on-error': 'maybe' is not a valid boolean.",
  );
  usage(
    () => resolveWorkerSettings(["--once=yes"], new MapEnv()),
    "Option '--once' does not take a value.",
  );
  usage(
    () => resolveWorkerSettings([], new MapEnv({ [`${P}ONCE`]: "sure" })),
    `Invalid value for '--once' (from environment variable ${P}ONCE): 'sure' is not a valid boolean.`,
  );
});

Deno.test("integers: concurrency and parallel vectorizers at least 1, vectorizer ids as a list, health port in range", () => {
  usage(
    () => resolveWorkerSettings(["-c", "0"], new MapEnv()),
    "Invalid value for '-c' / '--concurrency': 0 is not in the range x>=1.",
  );
  usage(
    () => resolveWorkerSettings(["-c", "two"], new MapEnv()),
    "Invalid value for '-c' / '--concurrency': 'two' is not a valid integer.",
  );
  usage(
    () => resolveWorkerSettings(["--parallel-vectorizers", "0"], new MapEnv()),
    "Invalid value for '--parallel-vectorizers': 0 is not in the range x>=1.",
  );
  usage(
    () => resolveWorkerSettings([], new MapEnv({ [`${P}VECTORIZER_IDS`]: "1,2" })),
    `Invalid value for '-i' / '--vectorizer-id' (from environment variable ${P}VECTORIZER_IDS): ` +
      "'1,2' is not a valid integer.",
  );
  usage(
    () => resolveWorkerSettings(["--health-port", "0"], new MapEnv()),
    "Invalid value for '--health-port': 0 is not in the range 1<=x<=65535.",
  );
});

Deno.test("--help is answered before values are checked", () => {
  assert.equal(resolveWorkerSettings(["-c", "0", "--help"], new MapEnv()), "help");
});

Deno.test("a bad value in .env fails the run with status 2, naming the variable", async () => {
  await withDotenv(`${P}CONCURRENCY=0\n`, async (dir) => {
    const run = await cli(["vectorizer", "worker"], { cwd: dir });
    assert.equal(run.status, 2);
    assert.equal(
      run.stderr,
      "Usage: pgai vectorizer worker [OPTIONS]\n" +
        "Try 'pgai vectorizer worker --help' for help.\n\n" +
        `Error: Invalid value for '-c' / '--concurrency' (from environment variable ${P}CONCURRENCY): ` +
        "0 is not in the range x>=1.\n",
    );
    assert.equal(run.stdout, "");
  });
});
