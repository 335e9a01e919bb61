import assert from "node:assert/strict";
import denoJson from "../../deno.json" with { type: "json" };
import { cli } from "./support.ts";

const ROOT_USAGE = "Usage: pgai [OPTIONS] COMMAND [ARGS]...";

Deno.test("pgai --version prints pgai's version line and exits 0", async () => {
  for (const argv of [["--version"], ["vectorizer", "--version"], ["--version", "--help"]]) {
    const run = await cli(argv);
    assert.equal(run.status, 0, argv.join(" "));
    assert.equal(run.stdout, "pgai, version 0.12.1\n");
    assert.equal(run.stderr, "");
  }
  assert.equal(denoJson.version, "0.12.1");
});

Deno.test("pgai --help (and pgai alone) lists the commands and exits 0", async () => {
  for (const argv of [["--help"], []]) {
    const run = await cli(argv);
    assert.equal(run.status, 0);
    assert.ok(run.stdout.startsWith(`${ROOT_USAGE}\n`), run.stdout);
    for (
      const line of [
        "  --version  Show the version and exit.",
        "  --help     Show this message and exit.",
      ]
    ) {
      assert.ok(run.stdout.includes(`${line}\n`), line);
    }
    assert.match(
      run.stdout,
      /\nCommands:\n {2}health +Probe.*\n {2}install +Install.*\n {2}vectorizer +Vectorizer/,
    );
  }
});

Deno.test("pgai vectorizer --help lists the worker command", async () => {
  for (const argv of [["vectorizer", "--help"], ["vectorizer"]]) {
    const run = await cli(argv);
    assert.equal(run.status, 0);
    assert.ok(run.stdout.startsWith("Usage: pgai vectorizer [OPTIONS] COMMAND [ARGS]...\n"));
    assert.match(run.stdout, /\nCommands:\n {2}worker +Run the vectorizer worker\.\n/);
  }
});

Deno.test("pgai vectorizer worker --help lists every option with its variable and default", async () => {
  const run = await cli(["vectorizer", "worker", "--help"]);
  assert.equal(run.status, 0);
  assert.equal(run.stderr, "");
  const help = run.stdout.replace(/\n {3,}/g, " "); // undo the wrapping of the option texts
  assert.ok(help.startsWith("Usage: pgai vectorizer worker [OPTIONS]\n"), help);
  const options: [string, string | undefined, string | undefined][] = [
    [
      "-d, --db-url URL",
      "PGAI_VECTORIZER_WORKER_DB_URL, VECTORIZER_DB_URL",
      "postgres://postgres@localhost:5432/postgres",
    ],
    ["-i, --vectorizer-id ID", "PGAI_VECTORIZER_WORKER_VECTORIZER_IDS", undefined],
    ["--log-level LEVEL", "PGAI_VECTORIZER_WORKER_LOG_LEVEL", "INFO"],
    ["--log-format FORMAT", "PGAI_VECTORIZER_WORKER_LOG_FORMAT", "text"],
    ["--poll-interval DURATION", "PGAI_VECTORIZER_WORKER_POLL_INTERVAL", "5m"],
    ["--once", "PGAI_VECTORIZER_WORKER_ONCE", undefined],
    ["-c, --concurrency N", "PGAI_VECTORIZER_WORKER_CONCURRENCY", "each vectorizer's setting"],
    ["--parallel-vectorizers N", "PGAI_VECTORIZER_WORKER_PARALLEL_VECTORIZERS", "1"],
    [
      "--exit-on-error BOOLEAN",
      "PGAI_VECTORIZER_WORKER_EXIT_ON_ERROR",
      "true with --once, else false",
    ],
    ["--health-port PORT", "PGAI_VECTORIZER_WORKER_HEALTH_PORT", "no health endpoint"],
    ["--health-host HOST", "PGAI_VECTORIZER_WORKER_HEALTH_HOST", "127.0.0.1"],
    ["--help", undefined, undefined],
  ];
  for (const [term, envvar, defaultValue] of options) {
    const entry = help.match(
      new RegExp(` {2}${term.replaceAll(/[.*+?^${}()|[\]\\]/g, "\\$&")} +([^\n]*)`),
    );
    assert.ok(entry, term);
    const text = entry[1] as string;
    if (envvar !== undefined) assert.ok(text.includes(`env var: ${envvar}`), `${term}: ${text}`);
    if (defaultValue !== undefined) {
      assert.ok(text.includes(`default: ${defaultValue}`), `${term}: ${text}`);
    }
  }
  // the poll-interval policy is stated
  assert.match(
    help,
    /Negative values are rejected; values below 1s \(0 included\) are raised to 1s/,
  );
  assert.match(
    run.stdout.replace(/\s+/g, " "),
    /A second SIGINT or SIGTERM exits at once with status 130 or 143\./,
  );
});

Deno.test("pgai install --help and pgai health --help describe their options", async () => {
  const install = await cli(["install", "--help"]);
  assert.equal(install.status, 0);
  assert.ok(install.stdout.startsWith("Usage: pgai install [OPTIONS]\n"));
  assert.match(
    install.stdout.replace(/\n +/g, " "),
    /-d, --db-url URL .*\[env var: PGAI_INSTALL_DB_URL; default:/,
  );
  assert.match(install.stdout.replace(/\n +/g, " "), /--strict .*\[env var: PGAI_INSTALL_STRICT\]/);
  const health = await cli(["health", "--help"]);
  assert.equal(health.status, 0);
  assert.ok(health.stdout.startsWith("Usage: pgai health [OPTIONS]\n"));
  assert.match(
    health.stdout.replace(/\n +/g, " "),
    /--port PORT .*\[env var: PGAI_VECTORIZER_WORKER_HEALTH_PORT\]/,
  );
});

function usageFailure(
  run: { status: number; stderr: string; stdout: string },
  usage: string,
  hint: string,
  error: string,
) {
  assert.equal(run.status, 2);
  assert.equal(run.stdout, "");
  assert.equal(run.stderr, `${usage}\nTry '${hint} --help' for help.\n\nError: ${error}\n`);
}

Deno.test("unknown commands and options exit 2 with click's usage error layout", async () => {
  usageFailure(await cli(["foo"]), ROOT_USAGE, "pgai", "No such command 'foo'.");
  usageFailure(await cli(["--foo"]), ROOT_USAGE, "pgai", "No such option: --foo");
  usageFailure(await cli(["-h"]), ROOT_USAGE, "pgai", "No such option: -h");
  usageFailure(await cli(["--"]), ROOT_USAGE, "pgai", "Missing command.");
  usageFailure(
    await cli(["vectorizer", "download-models"]),
    "Usage: pgai vectorizer [OPTIONS] COMMAND [ARGS]...",
    "pgai vectorizer",
    "No such command 'download-models'.",
  );
  const worker = "Usage: pgai vectorizer worker [OPTIONS]";
  usageFailure(
    await cli(["vectorizer", "worker", "--foo"]),
    worker,
    "pgai vectorizer worker",
    "No such option: --foo",
  );
  usageFailure(
    await cli(["vectorizer", "worker", "--db-ur", "x"]),
    worker,
    "pgai vectorizer worker",
    "No such option: --db-ur Did you mean --db-url?",
  );
  usageFailure(
    await cli(["vectorizer", "worker", "extra"]),
    worker,
    "pgai vectorizer worker",
    "Got unexpected extra argument (extra)",
  );
});

Deno.test("bad worker values exit 2 naming the option and the value", async () => {
  const worker = (argv: string[], env: Record<string, string> = {}) =>
    cli(["vectorizer", "worker", ...argv], { env });
  const usage = "Usage: pgai vectorizer worker [OPTIONS]";
  const hint = "pgai vectorizer worker";
  usageFailure(
    await worker(["-c", "0"]),
    usage,
    hint,
    "Invalid value for '-c' / '--concurrency': 0 is not in the range x>=1.",
  );
  usageFailure(
    await worker(["-c4x"]),
    usage,
    hint,
    "Invalid value for '-c' / '--concurrency': '4x' is not a valid integer.",
  );
  usageFailure(
    await worker(["--poll-interval", "5 parsecs"]),
    usage,
    hint,
    "Invalid value for '--poll-interval': '5 parsecs' is not a valid duration string or integer",
  );
  usageFailure(
    await worker(["--poll-interval=-5m"]),
    usage,
    hint,
    "Invalid value for '--poll-interval': time duration can't be negative: '-5m'",
  );
  usageFailure(
    await worker(["--exit-on-error", "perhaps"]),
    usage,
    hint,
    "Invalid value for '--exit-on-error': 'perhaps' is not a valid boolean.",
  );
  usageFailure(
    await worker(["--exit-on-error"]),
    usage,
    hint,
    "Option '--exit-on-error' requires an argument.",
  );
  usageFailure(
    await worker(["--log-level", "warning"]),
    usage,
    hint,
    "Invalid value for '--log-level': 'warning' is not one of 'debug', 'info', 'warn', 'error', 'fatal', 'critical'.",
  );
  usageFailure(
    await worker([], { PGAI_VECTORIZER_WORKER_LOG_LEVEL: "verbose" }),
    usage,
    hint,
    "Invalid value for '--log-level' (from environment variable PGAI_VECTORIZER_WORKER_LOG_LEVEL): " +
      "'verbose' is not one of 'debug', 'info', 'warn', 'error', 'fatal', 'critical'.",
  );
  usageFailure(
    await worker([], { PGAI_VECTORIZER_WORKER_EXIT_ON_ERROR: "sometimes" }),
    usage,
    hint,
    "Invalid value for '--exit-on-error' (from environment variable PGAI_VECTORIZER_WORKER_EXIT_ON_ERROR): " +
      "'sometimes' is not a valid boolean.",
  );
});

Deno.test("bad install and health values exit 2 naming the option or variable", async () => {
  usageFailure(
    await cli(["install"], { env: { PGAI_INSTALL_STRICT: "definitely" } }),
    "Usage: pgai install [OPTIONS]",
    "pgai install",
    "Invalid value for '--strict' (from environment variable PGAI_INSTALL_STRICT): 'definitely' is not a valid boolean.",
  );
  usageFailure(
    await cli(["install", "--strict=1"]),
    "Usage: pgai install [OPTIONS]",
    "pgai install",
    "Option '--strict' does not take a value.",
  );
  usageFailure(
    await cli(["health"]),
    "Usage: pgai health [OPTIONS]",
    "pgai health",
    "Missing option '--port'.",
  );
  usageFailure(
    await cli(["health", "--port", "99999"]),
    "Usage: pgai health [OPTIONS]",
    "pgai health",
    "Invalid value for '--port': 99999 is not in the range 1<=x<=65535.",
  );
});

Deno.test("an unreadable .env is reported and the run fails with status 1", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "cli_dotenv_" });
  try {
    Deno.writeFileSync(`${dir}/.env`, new Uint8Array([0x41, 0x3d, 0xc3, 0x28]));
    const run = await cli(["--version"], { cwd: dir });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /^Error: cannot read .*\.env: /);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
