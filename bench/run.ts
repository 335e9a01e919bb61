/**
 * `deno task bench`: measures the worker against the goals of the performance issue and writes
 * the figures to `bench/results/`. See `bench/README.md`.
 *
 * ```sh
 * deno task bench                        # everything (a few minutes on 2 cores)
 * deno task bench --rows 2000 --only backfill,startup
 * ```
 */
import { adminSql } from "../tests/support/pg.ts";
import { type ProviderProcess, ROOT, startProvider } from "./processes.ts";
import {
  type BenchReport,
  evaluateGoals,
  type Machine,
  PYTHON_REFERENCE,
  type ScenarioResults,
  summary,
} from "./report.ts";
import {
  backfill,
  type BenchContext,
  bigdoc,
  micro,
  scaling,
  startup,
  vectorizers,
} from "./scenarios.ts";

const SCENARIOS = ["backfill", "scaling", "vectorizers", "bigdoc", "micro", "startup"] as const;
type ScenarioName = typeof SCENARIOS[number];

const USAGE = `Usage: deno task bench [OPTIONS]

Options:
  --rows N              rows of the backfill (default 20000)
  --repeat N            worker runs of the backfill (each between two baseline runs) and of
                        the -c 8 scaling run; the median counts (default 3)
  --scaling-rows N      rows of each scaling run (default 2000)
  --startup-runs N      runs of each start-up measurement (default 15)
  --only LIST           comma-separated subset of: ${SCENARIOS.join(", ")}
  --worker-log-level L  --log-level of the worker runs (e.g. debug, to study batches)
  --log-dir DIR         save each worker run's output there
  --no-save             print the summary only, write no result file
  --help                show this message`;

/** Bad command-line arguments. */
class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

interface Options {
  rows: number;
  repeat: number;
  scalingRows: number;
  startupRuns: number;
  only: ScenarioName[] | undefined;
  workerLogLevel: string | undefined;
  logDir: string | undefined;
  save: boolean;
  help: boolean;
}

function parseOptions(args: readonly string[]): Options {
  const options: Options = {
    rows: 20_000,
    repeat: 3,
    scalingRows: 2_000,
    startupRuns: 15,
    only: undefined,
    workerLogLevel: undefined,
    logDir: undefined,
    save: true,
    help: false,
  };
  const value = (i: number, name: string) => {
    const v = args[i + 1];
    if (v === undefined) throw new UsageError(`${name} needs a value`);
    return v;
  };
  const count = (i: number, name: string) => {
    const v = Number(value(i, name));
    if (!Number.isInteger(v) || v < 1) {
      throw new UsageError(`${name} needs a positive integer, got ${args[i + 1]}`);
    }
    return v;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    switch (arg) {
      case "--rows":
        options.rows = count(i++, arg);
        break;
      case "--repeat":
        options.repeat = count(i++, arg);
        break;
      case "--scaling-rows":
        options.scalingRows = count(i++, arg);
        break;
      case "--startup-runs":
        options.startupRuns = count(i++, arg);
        break;
      case "--only": {
        const names = value(i++, arg).split(",").map((x) => x.trim()).filter(Boolean);
        for (const name of names) {
          if (!(SCENARIOS as readonly string[]).includes(name)) {
            throw new UsageError(`unknown scenario "${name}" (known: ${SCENARIOS.join(", ")})`);
          }
        }
        options.only = names as ScenarioName[];
        break;
      }
      case "--worker-log-level":
        options.workerLogLevel = value(i++, arg);
        break;
      case "--log-dir":
        options.logDir = value(i++, arg);
        break;
      case "--no-save":
        options.save = false;
        break;
      case "--help":
        options.help = true;
        break;
      default:
        throw new UsageError(`unknown option ${arg}`);
    }
  }
  return options;
}

async function git(...args: string[]): Promise<string> {
  const out = await new Deno.Command("git", { args, cwd: ROOT, stdout: "piped", stderr: "null" })
    .output();
  return out.success ? new TextDecoder().decode(out.stdout).trimEnd() : "";
}

async function machineFacts(loadBefore: number[]): Promise<Machine> {
  let cpu = "unknown";
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(Deno.readTextFileSync("/proc/cpuinfo"))?.[1] ?? cpu;
  } catch { /* not Linux */ }
  const admin = await adminSql();
  let postgres = "unknown";
  let pgvector = "unknown";
  try {
    const [v] = await admin<{ v: string }[]>`select current_setting('server_version') as v`;
    const [e] = await admin<{ v: string }[]>`
      select default_version as v from pg_available_extensions where name = 'vector'`;
    postgres = `PostgreSQL ${v?.v ?? "?"}`;
    pgvector = e?.v ?? "missing";
  } finally {
    await admin.end();
  }
  return {
    cores: navigator.hardwareConcurrency,
    cpu,
    memoryGiB: Math.round(Deno.systemMemoryInfo().total / 2 ** 30 * 10) / 10,
    os: `${Deno.build.os} ${Deno.osRelease()}`,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    postgres,
    pgvector,
    loadBefore,
    loadAfter: Deno.loadavg(),
  };
}

async function main(args: readonly string[]): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`${e.message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  const loadBefore = Deno.loadavg();
  const say = (line: string) => console.error(`[bench] ${line}`);
  if (options.logDir) await Deno.mkdir(options.logDir, { recursive: true });
  const providers = new Map<number, Promise<ProviderProcess>>();
  const ctx: BenchContext = {
    rows: options.rows,
    backfillRounds: options.repeat,
    scalingRounds: options.repeat,
    scalingRows: options.scalingRows,
    startupRuns: options.startupRuns,
    ...(options.workerLogLevel ? { workerLogLevel: options.workerLogLevel } : {}),
    ...(options.logDir ? { logDir: options.logDir } : {}),
    provider(latencyMs) {
      let p = providers.get(latencyMs);
      if (p === undefined) {
        p = startProvider(latencyMs);
        providers.set(latencyMs, p);
      }
      return p;
    },
    say,
  };
  const wanted = new Set<ScenarioName>(options.only ?? SCENARIOS);
  const results: ScenarioResults = {};
  const started = performance.now();
  const attempt = async <K extends ScenarioName>(
    name: K,
    run: (ctx: BenchContext) => Promise<Exclude<ScenarioResults[K], string | undefined>>,
  ) => {
    if (!wanted.has(name)) return;
    try {
      results[name] = await run(ctx);
    } catch (e) {
      say(`${name} FAILED: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      results[name] = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    }
  };
  try {
    await attempt("backfill", backfill);
    await attempt("scaling", scaling);
    await attempt("vectorizers", vectorizers);
    await attempt("bigdoc", bigdoc);
  } finally {
    for (const p of providers.values()) await (await p).close();
  }
  await attempt("micro", micro);
  await attempt("startup", startup);
  say(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);

  const now = new Date();
  const sha = (await git("rev-parse", "--short", "HEAD")) || "unknown";
  // Uncommitted changes of the measured code (the work tree is shared with other work).
  const dirtyFiles = (await git("status", "--porcelain", "--", "main.ts", "src", "deno.json"))
    .split("\n").filter(Boolean).map((line) => line.slice(3));
  const report: BenchReport = {
    schema: 1,
    date: now.toISOString(),
    git: { sha, dirty: dirtyFiles.length > 0, dirtyFiles },
    machine: await machineFacts(loadBefore),
    options: {
      rows: options.rows,
      repeat: options.repeat,
      scalingRows: options.scalingRows,
      startupRuns: options.startupRuns,
      only: options.only ?? null,
      workerLogLevel: options.workerLogLevel ?? null,
    },
    scenarios: results,
    goals: evaluateGoals(results),
    reference: PYTHON_REFERENCE,
  };
  console.log(summary(report));
  if (options.save) {
    const dir = `${ROOT}/bench/results`;
    await Deno.mkdir(dir, { recursive: true });
    const day = now.toISOString().slice(0, 10);
    const suffix = options.only ? `-${options.only.join("+")}` : "";
    const json = JSON.stringify(report, null, 2) + "\n";
    const file = `${dir}/${day}-${sha}${suffix}.json`;
    await Deno.writeTextFile(file, json);
    // latest.json is the last complete run at the default size.
    if (!options.only && options.rows === 20_000) {
      await Deno.writeTextFile(`${dir}/latest.json`, json);
    }
    console.log(`\nwritten: ${file.slice(ROOT.length + 1)}`);
  }
  const failed = Object.values(results).some((r) => typeof r === "string" || !r.ok);
  return failed ? 1 : 0;
}

if (import.meta.main) {
  // Deno.exit dispatches `unload`, on which the test bed stops its throw-away cluster; an
  // interrupted or crashed run must not leave a cluster behind.
  Deno.addSignalListener("SIGINT", () => Deno.exit(130));
  const status = await main(Deno.args).catch((e: unknown) => {
    console.error(e);
    return 1;
  });
  Deno.exit(status);
}
