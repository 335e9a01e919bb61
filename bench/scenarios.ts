/**
 * The benchmark's scenarios, each on its own fresh database of the test cluster:
 *
 * - `backfill`: N rows (default 20,000) of ~1,450 characters, default settings, the worker CLI
 *   `--once` in its own process; then, on the same data and the same provider server, the
 *   baseline (the physical limit) into an identical store table, and a row-by-row comparison of
 *   the two stores.
 * - `scaling`: 2,000 rows behind a provider with 300 ms latency, `-c 1` against `-c 8`.
 * - `vectorizers`: four vectorizers of 500 rows each behind the same provider, one after another
 *   (pgai's way, the default) against `--parallel-vectorizers 4`.
 * - `bigdoc`: one row with a 2 MB body (latency and peak memory).
 * - `micro`: chunking and formatting (the chunking helper's `bench/pipeline_bench.ts` through
 *   `deno bench`, plus the benchmark's own rows in process).
 * - `startup`: `pgai --help` start-up time from source and from the `deno bundle` output.
 *
 * A scenario returns its figures; a run that did not do all its work is FAILED, never fast.
 */
import type postgres from "postgres";
import { install } from "../src/catalog/install.ts";
import { chunkText } from "../src/pipeline/chunking.ts";
import { compileTemplate } from "../src/pipeline/formatting.ts";
import type { SourceRow } from "../src/pipeline/row.ts";
import { type TestDatabase, testDatabase } from "../tests/support/pg.ts";
import { runBaseline } from "./baseline.ts";
import {
  clusterCpuMs,
  median,
  processCpuMs,
  type ProviderProcess,
  ROOT,
  runMeasured,
} from "./processes.ts";
import { body, Prng, proseRows } from "./prose.ts";
import {
  type BenchVectorizer,
  createSourceTable,
  createVectorizer,
  requeueAll,
  storeDifferences,
  TEMPLATE,
  verifyRun,
} from "./setup.ts";

/** Settings shared by all scenarios. */
export interface BenchContext {
  /** Rows of the backfill. */
  readonly rows: number;
  /** Worker runs of the backfill (each between two baseline runs). */
  readonly backfillRounds: number;
  /** Rows of each scaling run. */
  readonly scalingRows: number;
  /** Runs of the `-c 8` scaling run (the `-c 1` run, 13 s of steady batches, runs once). */
  readonly scalingRounds: number;
  /** Runs of each start-up measurement. */
  readonly startupRuns: number;
  /** `--log-level` of the worker runs (default: the CLI's default). */
  readonly workerLogLevel?: string;
  /** Where worker logs are saved (none when undefined). */
  readonly logDir?: string;
  /** Provider server processes by latency, started on first use. */
  provider(latencyMs: number): Promise<ProviderProcess>;
  /** Progress lines for the person running the benchmark. */
  say(line: string): void;
}

/** Average characters per backfill body. */
export const ROW_LENGTH = 1420;
/** Characters of the big document. */
export const BIG_DOCUMENT = 2 * 1024 * 1024;
const SCALING_LATENCY_MS = 300;
const SCALING_BATCH = 50;
/** Vectorizers, and rows of each, of the several-vectorizers scenario. */
const MULTI_VECTORIZERS = 4;
const MULTI_ROWS = 500;
const RUNNING = "running vectorizer";
const FINISHED = "finished processing vectorizer";
const WORKER_TIMEOUT_MS = 10 * 60_000;

/** Figures of one run of the worker CLI. */
export interface WorkerRun {
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly args: readonly string[];
  readonly exitCode: number;
  readonly rows: number;
  readonly chunks: number;
  /** Spawn to exit. */
  readonly wallMs: number;
  /**
   * From the `running vectorizer` log line to `finished processing vectorizer` (the processing
   * without process start-up, connection and catalog checks); the wall time if the lines are
   * missing.
   */
  readonly processingMs: number;
  /** Rows per second of processing time. */
  readonly rowsPerSecond: number;
  /** Rows per second of wall time. */
  readonly rowsPerSecondWall: number;
  readonly chunksPerSecond: number;
  readonly peakRssMiB: number;
  /** CPU time of the worker process. */
  readonly workerCpuMs: number;
  /** CPU time of the whole Postgres cluster during the run (undefined if not observable). */
  readonly postgresCpuMs: number | undefined;
  /** CPU time of the provider server during the run. */
  readonly providerCpuMs: number | undefined;
  /** One-minute load average of the machine when it started. */
  readonly loadAverage: number;
}

const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;

function cpuDelta(before: number | undefined, after: number | undefined): number | undefined {
  return before === undefined || after === undefined ? undefined : round(after - before);
}

async function backendPid(sql: postgres.Sql): Promise<number> {
  const [r] = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
  return r?.pid ?? 0;
}

/**
 * The V8 flags the shipped binary is compiled with (`deno task compile`, the Dockerfile and the
 * release script pass the same), so that the worker runs here as it does in production.
 */
const SHIPPED_V8_FLAGS: readonly string[] = (() => {
  const config = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`));
  const compile: unknown = config?.tasks?.compile;
  return typeof compile === "string"
    ? compile.split(/\s+/).filter((arg) => arg.startsWith("--v8-flags="))
    : [];
})();

/** Runs `pgai vectorizer worker -d <db> --once <extra>` and checks what it left behind. */
async function runWorker(
  ctx: BenchContext,
  db: TestDatabase,
  v: BenchVectorizer | readonly BenchVectorizer[],
  provider: ProviderProcess,
  extra: readonly string[],
  label: string,
): Promise<WorkerRun> {
  const checked = Array.isArray(v) ? v : [v as BenchVectorizer];
  const args = ["vectorizer", "worker", "-d", db.url, "--once", ...extra];
  if (ctx.workerLogLevel) args.push("--log-level", ctx.workerLogLevel);
  const loadAverage = Deno.loadavg()[0] ?? 0;
  const pgPid = await backendPid(db.sql);
  const pgBefore = await clusterCpuMs(pgPid);
  const providerBefore = processCpuMs(provider.pid);
  const run = await runMeasured(Deno.execPath(), [
    "run",
    "-A",
    ...SHIPPED_V8_FLAGS,
    `${ROOT}/main.ts`,
    ...args,
  ], {
    env: { OPENAI_API_KEY: "bench-key" },
    markers: [RUNNING, FINISHED],
    timeoutMs: WORKER_TIMEOUT_MS,
  });
  const pgAfter = await clusterCpuMs(pgPid);
  const providerAfter = processCpuMs(provider.pid);
  if (ctx.logDir) {
    await Deno.writeTextFile(`${ctx.logDir}/worker-${label}.log`, run.stdout + run.stderr);
  }
  const checks = [];
  for (const each of checked) checks.push(await verifyRun(db.sql, each));
  const check = {
    embeddedRows: checks.reduce((sum, c) => sum + c.embeddedRows, 0),
    chunks: checks.reduce((sum, c) => sum + c.chunks, 0),
  };
  const problems = checks.flatMap((c, i) =>
    c.problems.map((p) => checked.length > 1 ? `${checked[i]!.sourceTable}: ${p}` : p)
  );
  if (run.code !== 0) {
    const tail = (run.stderr || run.stdout).trim().split("\n").slice(-3).join(" | ");
    problems.unshift(`worker exited with status ${run.code}: ${tail}`);
  }
  // With several vectorizers the log lines of the first one finishing say nothing of the others.
  const start = checked.length === 1 ? run.marks[RUNNING] : undefined;
  const end = run.marks[FINISHED];
  const processingMs = start !== undefined && end !== undefined ? end - start : run.wallMs;
  return {
    ok: problems.length === 0,
    problems,
    args: [...SHIPPED_V8_FLAGS, "main.ts", ...args.map((a) => (a === db.url ? "<db>" : a))],
    exitCode: run.code,
    rows: check.embeddedRows,
    chunks: check.chunks,
    wallMs: round(run.wallMs),
    processingMs: round(processingMs),
    rowsPerSecond: round(check.embeddedRows / (processingMs / 1000)),
    rowsPerSecondWall: round(check.embeddedRows / (run.wallMs / 1000)),
    chunksPerSecond: round(check.chunks / (processingMs / 1000)),
    peakRssMiB: round(run.peakRssKiB / 1024, 1),
    workerCpuMs: round(run.cpuMs),
    postgresCpuMs: cpuDelta(pgBefore, pgAfter),
    providerCpuMs: cpuDelta(providerBefore, providerAfter),
    loadAverage: round(loadAverage, 2),
  };
}

/** A database with the `ai` catalog installed. */
async function freshDatabase(label: string): Promise<TestDatabase> {
  const db = await testDatabase(label);
  await install(db.sql);
  return db;
}

/** Figures of one baseline run. */
export interface BaselineRun {
  readonly rows: number;
  readonly chunks: number;
  readonly requests: number;
  readonly wallMs: number;
  readonly rowsPerSecond: number;
  readonly chunksPerSecond: number;
  readonly postgresCpuMs: number | undefined;
  readonly providerCpuMs: number | undefined;
  /** CPU time of the benchmark process, which runs the baseline's pipelines. */
  readonly clientCpuMs: number | undefined;
  /** One-minute load average of the machine when it started. */
  readonly loadAverage: number;
}

/** One worker run of the backfill, between two baseline runs. */
export interface BackfillRound {
  readonly worker: WorkerRun;
  /** Mean rows/s of the baseline runs just before and just after it. */
  readonly baselineRowsPerSecond: number;
  /** Worker rows/s (processing) over {@link baselineRowsPerSecond}. */
  readonly ratio: number;
}

/** Figures of the backfill scenario. */
export interface BackfillResult {
  readonly rows: number;
  readonly averageRowLength: number;
  /** The round with the median ratio (the only one without `--repeat`). */
  readonly worker: WorkerRun;
  readonly baseline: {
    readonly pipelines: number;
    readonly batchRows: number;
    /** Baseline runs in order: before the first worker run, then after each one. */
    readonly runs: readonly BaselineRun[];
    /** Mean rows/s of the baseline runs around the median round. */
    readonly rowsPerSecond: number;
  };
  /** Every worker run with the baselines around it. */
  readonly rounds: readonly BackfillRound[];
  /** Store rows that differ between the worker's and the last baseline's tables (must be 0). */
  readonly storeDifferences: number;
  /** Median over the rounds of worker rows/s over the baseline rows/s around it. */
  readonly ratio: number;
  /** Highest peak RSS of the worker runs. */
  readonly peakRssMiB: number;
  readonly ok: boolean;
  readonly problems: readonly string[];
}

const BASELINE_PIPELINES = 2;
const BASELINE_BATCH_ROWS = 50;

async function measureBaseline(
  db: TestDatabase,
  v: BenchVectorizer,
  provider: ProviderProcess,
  storeTable: string,
): Promise<BaselineRun> {
  await db.sql`checkpoint`;
  const loadAverage = Deno.loadavg()[0] ?? 0;
  const pgPid = await backendPid(db.sql);
  const pgBefore = await clusterCpuMs(pgPid);
  const providerBefore = processCpuMs(provider.pid);
  const clientBefore = processCpuMs(Deno.pid);
  const b = await runBaseline({
    dbUrl: db.url,
    vectorizerId: v.id,
    storeTable,
    providerUrl: provider.url,
    pipelines: BASELINE_PIPELINES,
    batchRows: BASELINE_BATCH_ROWS,
  });
  return {
    rows: b.rows,
    chunks: b.chunks,
    requests: b.requests,
    wallMs: round(b.wallMs),
    rowsPerSecond: round(b.rows / (b.wallMs / 1000)),
    chunksPerSecond: round(b.chunks / (b.wallMs / 1000)),
    postgresCpuMs: cpuDelta(pgBefore, await clusterCpuMs(pgPid)),
    providerCpuMs: cpuDelta(providerBefore, processCpuMs(provider.pid)),
    clientCpuMs: cpuDelta(clientBefore, processCpuMs(Deno.pid)),
    loadAverage: round(loadAverage, 2),
  };
}

/**
 * The backfill with default settings, `ctx.backfillRounds` times, each worker run between two
 * baseline runs on the same data (the machine is shared: comparing each run with the baselines
 * just around it evens out load that changes during the scenario).
 */
export async function backfill(ctx: BenchContext): Promise<BackfillResult> {
  const db = await freshDatabase("bench_backfill");
  try {
    const provider = await ctx.provider(0);
    ctx.say(`backfill: generating ${ctx.rows} rows`);
    await createSourceTable(db.sql, "bench_doc", proseRows(ctx.rows, ROW_LENGTH));
    const [len] = await db.sql<{ avg: number }[]>`
      select avg(length(body))::float8 as avg from public.bench_doc`;
    const v = await createVectorizer(db.sql, { table: "bench_doc", baseUrl: `${provider.url}/v1` });
    const problems: string[] = [];
    const baselines: BaselineRun[] = [];
    const rounds: BackfillRound[] = [];
    const baseline = async (i: number) => {
      const b = await measureBaseline(db, v, provider, `bench_doc_baseline_${i}`);
      if (b.rows !== ctx.rows) problems.push(`baseline embedded ${b.rows} of ${ctx.rows} rows`);
      baselines.push(b);
      ctx.say(`backfill: baseline ${b.rowsPerSecond} rows/s`);
    };
    await baseline(0);
    for (let i = 1; i <= ctx.backfillRounds; i++) {
      if (i > 1) {
        await requeueAll(db.sql, v);
      }
      await db.sql`checkpoint`;
      ctx.say(`backfill: worker --once (default settings), round ${i}/${ctx.backfillRounds}`);
      const worker = await runWorker(ctx, db, v, provider, [], `backfill-${i}`);
      problems.push(...worker.problems.map((p) => `round ${i}: ${p}`));
      ctx.say(`backfill: worker ${worker.rowsPerSecond} rows/s, ${worker.peakRssMiB} MiB`);
      await baseline(i);
      const around = (baselines[i - 1]!.rowsPerSecond + baselines[i]!.rowsPerSecond) / 2;
      rounds.push({
        worker,
        baselineRowsPerSecond: round(around),
        ratio: round(worker.rowsPerSecond / around, 3),
      });
    }
    const differences = await storeDifferences(
      db.sql,
      v.store,
      `public.bench_doc_baseline_${ctx.backfillRounds}`,
    );
    if (differences !== 0) {
      problems.push(`${differences} store rows differ between the worker and the baseline`);
    }
    const byRatio = [...rounds].sort((a, b) => a.ratio - b.ratio);
    const middle = byRatio[(byRatio.length - 1) >> 1]!;
    return {
      rows: ctx.rows,
      averageRowLength: round(len?.avg ?? 0),
      worker: middle.worker,
      baseline: {
        pipelines: BASELINE_PIPELINES,
        batchRows: BASELINE_BATCH_ROWS,
        runs: baselines,
        rowsPerSecond: middle.baselineRowsPerSecond,
      },
      rounds,
      storeDifferences: differences,
      ratio: round(median(rounds.map((r) => r.ratio)), 3),
      peakRssMiB: Math.max(...rounds.map((r) => r.worker.peakRssMiB)),
      ok: problems.length === 0,
      problems,
    };
  } finally {
    await db.drop();
  }
}

/** Figures of the scaling scenario. */
export interface ScalingResult {
  readonly rows: number;
  readonly latencyMs: number;
  readonly batchSize: number;
  readonly c1: WorkerRun;
  /** The `-c 8` run with the median rows/s. */
  readonly c8: WorkerRun;
  /** Every `-c 8` run, in order. */
  readonly c8Runs: readonly WorkerRun[];
  /** Median `-c 8` rows/s over `-c 1` rows/s (processing time). */
  readonly speedup: number;
  /** The same with wall times (start-up included). */
  readonly speedupWall: number;
  readonly ok: boolean;
  readonly problems: readonly string[];
}

/** `-c 1` against `-c 8` behind a provider with 300 ms latency. */
export async function scaling(ctx: BenchContext): Promise<ScalingResult> {
  const db = await freshDatabase("bench_scaling");
  try {
    const provider = await ctx.provider(SCALING_LATENCY_MS);
    const run = async (c: number, round: number) => {
      const label = c === 1 ? "c1" : `c${c}-${round}`;
      ctx.say(
        `scaling: worker --once -c ${c} (${SCALING_LATENCY_MS} ms provider latency) ${label}`,
      );
      return await runWorker(ctx, db, vectorizers.get(c)!, provider, [
        "-i",
        String(vectorizers.get(c)!.id),
        "-c",
        String(c),
      ], label);
    };
    const vectorizers = new Map<number, BenchVectorizer>();
    for (const c of [1, 8]) {
      const table = `scale_c${c}`;
      await createSourceTable(db.sql, table, proseRows(ctx.scalingRows, ROW_LENGTH));
      vectorizers.set(
        c,
        await createVectorizer(db.sql, {
          table,
          baseUrl: `${provider.url}/v1`,
          batchSize: SCALING_BATCH,
        }),
      );
    }
    const c1 = await run(1, 1);
    const c8Runs: WorkerRun[] = [];
    for (let i = 1; i <= ctx.scalingRounds; i++) {
      if (i > 1) {
        await requeueAll(db.sql, vectorizers.get(8)!);
      }
      c8Runs.push(await run(8, i));
    }
    const byRate = [...c8Runs].sort((a, b) => a.rowsPerSecond - b.rowsPerSecond);
    const c8 = byRate[Math.floor((byRate.length - 1) / 2)]!;
    const problems = [
      ...c1.problems.map((p) => `-c 1: ${p}`),
      ...c8Runs.flatMap((r, i) => r.problems.map((p) => `-c 8, run ${i + 1}: ${p}`)),
    ];
    return {
      rows: ctx.scalingRows,
      latencyMs: SCALING_LATENCY_MS,
      batchSize: SCALING_BATCH,
      c1,
      c8,
      c8Runs,
      speedup: round(c8.rowsPerSecond / c1.rowsPerSecond, 2),
      speedupWall: round(c8.rowsPerSecondWall / c1.rowsPerSecondWall, 2),
      ok: problems.length === 0,
      problems,
    };
  } finally {
    await db.drop();
  }
}

/** Figures of the several-vectorizers scenario. */
export interface VectorizersResult {
  readonly vectorizers: number;
  readonly rowsEach: number;
  readonly latencyMs: number;
  readonly batchSize: number;
  /** The default: one vectorizer after another. */
  readonly sequential: WorkerRun;
  /** `--parallel-vectorizers <vectorizers>`. */
  readonly parallel: WorkerRun;
  /** Rows/s of the parallel run over the sequential one, on wall time (start-up included). */
  readonly speedup: number;
  readonly ok: boolean;
  readonly problems: readonly string[];
}

/** Four vectorizers one after another (the default) against `--parallel-vectorizers 4`. */
export async function vectorizers(ctx: BenchContext): Promise<VectorizersResult> {
  const db = await freshDatabase("bench_vectorizers");
  try {
    const provider = await ctx.provider(SCALING_LATENCY_MS);
    const vs: BenchVectorizer[] = [];
    for (let i = 1; i <= MULTI_VECTORIZERS; i++) {
      const table = `multi_${i}`;
      await createSourceTable(db.sql, table, proseRows(MULTI_ROWS, ROW_LENGTH, i));
      vs.push(
        await createVectorizer(db.sql, {
          table,
          baseUrl: `${provider.url}/v1`,
          batchSize: SCALING_BATCH,
        }),
      );
    }
    const ids = vs.flatMap((v) => ["-i", String(v.id)]);
    ctx.say(`vectorizers: worker --once, ${MULTI_VECTORIZERS} vectorizers one after another`);
    const sequential = await runWorker(ctx, db, vs, provider, ids, "multi-sequential");
    for (const v of vs) await requeueAll(db.sql, v);
    ctx.say(`vectorizers: worker --once --parallel-vectorizers ${MULTI_VECTORIZERS}`);
    const parallel = await runWorker(ctx, db, vs, provider, [
      ...ids,
      "--parallel-vectorizers",
      String(MULTI_VECTORIZERS),
    ], "multi-parallel");
    const problems = [
      ...sequential.problems.map((p) => `one after another: ${p}`),
      ...parallel.problems.map((p) => `parallel: ${p}`),
    ];
    return {
      vectorizers: MULTI_VECTORIZERS,
      rowsEach: MULTI_ROWS,
      latencyMs: SCALING_LATENCY_MS,
      batchSize: SCALING_BATCH,
      sequential,
      parallel,
      speedup: round(parallel.rowsPerSecondWall / sequential.rowsPerSecondWall, 2),
      ok: problems.length === 0,
      problems,
    };
  } finally {
    await db.drop();
  }
}

/** Figures of the big-document scenario. */
export interface BigDocResult {
  readonly characters: number;
  readonly run: WorkerRun;
  readonly ok: boolean;
  readonly problems: readonly string[];
}

/** One row with a 2 MB body. */
export async function bigdoc(ctx: BenchContext): Promise<BigDocResult> {
  const db = await freshDatabase("bench_bigdoc");
  try {
    const provider = await ctx.provider(0);
    const text = body(new Prng(2024), BIG_DOCUMENT);
    await createSourceTable(db.sql, "bench_big", [{
      id: 1,
      title: "A very long report",
      body: text,
    }]);
    const v = await createVectorizer(db.sql, { table: "bench_big", baseUrl: `${provider.url}/v1` });
    ctx.say(`bigdoc: worker --once on one ${(text.length / 1048576).toFixed(1)} MB row`);
    const run = await runWorker(ctx, db, v, provider, [], "bigdoc");
    return { characters: text.length, run, ok: run.ok, problems: run.problems };
  } finally {
    await db.drop();
  }
}

/** One `deno bench` result. */
export interface BenchEntry {
  readonly name: string;
  readonly avgMs: number;
  readonly minMs: number;
  readonly p75Ms: number;
  readonly n: number;
}

/** Figures of the micro-benchmarks. */
export interface MicroResult {
  /** `deno bench bench/pipeline_bench.ts` (the chunking helper's benchmarks). */
  readonly pipelineBench: readonly BenchEntry[];
  /** Chunking + formatting of backfill rows in this process. */
  readonly rows: {
    readonly rows: number;
    readonly chunks: number;
    readonly medianMs: number;
    readonly microsecondsPerRow: number;
    readonly rowsPerSecond: number;
  };
  /** Chunking + formatting of the 2 MB prose document of `bigdoc`. */
  readonly bigDocument: { readonly chunks: number; readonly medianMs: number };
  readonly ok: boolean;
  readonly problems: readonly string[];
}

interface DenoBenchJson {
  benches: {
    name: string;
    results: { ok?: { n: number; min: number; avg: number; p75: number } }[];
  }[];
}

/** Chunk + format every row `repeat` times; median wall time of one pass, ms. */
function timePasses(
  rows: readonly { row: SourceRow; text: string }[],
  repeat: number,
  chunking: Parameters<typeof chunkText>[0],
): { medianMs: number; chunks: number } {
  const template = compileTemplate(TEMPLATE);
  const times: number[] = [];
  let chunks = 0;
  for (let k = 0; k < repeat; k++) {
    const started = performance.now();
    chunks = 0;
    for (const { row, text } of rows) {
      for (const chunk of chunkText(chunking, text)) {
        template.render(chunk, row);
        chunks++;
      }
    }
    times.push(performance.now() - started);
  }
  return { medianMs: median(times), chunks };
}

/** pgai's default chunking (`ai.chunking_recursive_character_text_splitter()`). */
export const DEFAULT_CHUNKING = {
  implementation: "recursive_character_text_splitter",
  separators: ["\n\n", "\n", ".", "?", "!", " ", ""],
  chunk_size: 800,
  chunk_overlap: 400,
  is_separator_regex: false,
} as const;

/** Chunking and formatting micro-benchmarks. */
export async function micro(ctx: BenchContext): Promise<MicroResult> {
  const problems: string[] = [];
  ctx.say("micro: deno bench bench/pipeline_bench.ts");
  let pipelineBench: BenchEntry[] = [];
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["bench", "--json", "-A", "bench/pipeline_bench.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    problems.push(`deno bench failed: ${new TextDecoder().decode(out.stderr).trim().slice(-300)}`);
  } else {
    const json = JSON.parse(new TextDecoder().decode(out.stdout)) as DenoBenchJson;
    pipelineBench = json.benches.flatMap((b) => {
      const r = b.results[0]?.ok;
      if (!r) {
        problems.push(`deno bench: "${b.name}" failed`);
        return [];
      }
      return [{
        name: b.name,
        avgMs: round(r.avg / 1e6, 2),
        minMs: round(r.min / 1e6, 2),
        p75Ms: round(r.p75 / 1e6, 2),
        n: r.n,
      }];
    });
  }
  ctx.say("micro: chunking + formatting in process");
  const columns = [{ name: "id", typeOid: 20 }, { name: "title", typeOid: 25 }, {
    name: "body",
    typeOid: 25,
  }];
  const sample = [...proseRows(2000, ROW_LENGTH)].map((r) => ({
    row: { columns, values: [String(r.id), r.title, r.body] },
    text: r.body,
  }));
  const rows = timePasses(sample, 5, DEFAULT_CHUNKING);
  const text = body(new Prng(2024), BIG_DOCUMENT);
  const big = timePasses(
    [{ row: { columns, values: ["1", "A very long report", text] }, text }],
    5,
    DEFAULT_CHUNKING,
  );
  return {
    pipelineBench,
    rows: {
      rows: sample.length,
      chunks: rows.chunks,
      medianMs: round(rows.medianMs, 1),
      microsecondsPerRow: round((rows.medianMs * 1000) / sample.length, 1),
      rowsPerSecond: round(sample.length / (rows.medianMs / 1000)),
    },
    bigDocument: { chunks: big.chunks, medianMs: round(big.medianMs, 1) },
    ok: problems.length === 0,
    problems,
  };
}

/** Start-up time of one way to run `pgai --help`. */
export interface StartupEntry {
  readonly command: string;
  readonly medianMs: number;
  readonly minMs: number;
  readonly runs: number;
  /** Peak RSS of one more run, sampled from `/proc`. */
  readonly peakRssMiB: number;
}

/** Figures of the start-up scenario. */
export interface StartupResult {
  /** `deno run -A main.ts --help`. */
  readonly source: StartupEntry;
  /** `deno run -A <bundle> --help` (the `deno task bundle` output), if bundling worked. */
  readonly bundle: StartupEntry | undefined;
  /** `dist/pgai --help`, when a compiled binary (`deno task compile`) is there. */
  readonly binary: StartupEntry | undefined;
  /** `deno run -A` of an empty script: Deno's own floor on this machine. */
  readonly denoFloor: StartupEntry;
  /**
   * `vectorizer worker --once` on a database without vectorizers: start-up, connection and
   * catalog checks, the fixed cost of every worker run.
   */
  readonly workerIdle: StartupEntry;
  /** The fastest of source, bundle and binary. */
  readonly bestMs: number;
  readonly ok: boolean;
  readonly problems: readonly string[];
  /** Why the bundle or the binary is missing. */
  readonly notes: readonly string[];
}

async function timeCommand(
  command: string,
  args: string[],
  runs: number,
  label: string,
  env?: Record<string, string>,
): Promise<StartupEntry> {
  const times: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const started = performance.now();
    const out = await new Deno.Command(command, {
      args,
      cwd: ROOT,
      stdout: "null",
      stderr: "piped",
      ...(env ? { env } : {}),
    }).output();
    const ms = performance.now() - started;
    if (!out.success) {
      throw new Error(`${label} failed: ${new TextDecoder().decode(out.stderr).slice(-300)}`);
    }
    if (i > 0) times.push(ms); // the first run warms the module cache
  }
  return {
    command: label,
    medianMs: round(median(times), 1),
    minMs: round(Math.min(...times), 1),
    runs,
    peakRssMiB: round((await shortPeakRssKiB(command, args, env)) / 1024, 1),
  };
}

const GNU_TIME = "/usr/bin/time";

/**
 * Peak RSS of a short-lived command, KiB. Sampling `/proc` can miss a process that lives 40 ms,
 * so GNU time's `%M` (the child's `ru_maxrss`, exact) is used when installed.
 */
async function shortPeakRssKiB(
  command: string,
  args: string[],
  env?: Record<string, string>,
): Promise<number> {
  if (!(await Deno.stat(GNU_TIME).catch(() => undefined))?.isFile) {
    const run = await runMeasured(command, args, { sampleMs: 2, ...(env ? { env } : {}) });
    return run.peakRssKiB;
  }
  const out = await new Deno.Command(GNU_TIME, {
    args: ["-f", "maxrss=%M", command, ...args],
    cwd: ROOT,
    stdout: "null",
    stderr: "piped",
    ...(env ? { env } : {}),
  }).output();
  const m = /maxrss=(\d+)/.exec(new TextDecoder().decode(out.stderr));
  return m ? Number(m[1]) : 0;
}

/** `pgai --help` start-up times. */
export async function startup(ctx: BenchContext): Promise<StartupResult> {
  const notes: string[] = [];
  const dir = await Deno.makeTempDir({ prefix: "pgai-bench-" });
  try {
    ctx.say(
      `startup: ${ctx.startupRuns} runs each of --help (source, bundle, binary), empty script`,
    );
    await Deno.writeTextFile(`${dir}/empty.js`, "");
    const deno = Deno.execPath();
    const denoFloor = await timeCommand(
      deno,
      ["run", "-A", `${dir}/empty.js`],
      ctx.startupRuns,
      "deno run -A empty.js",
    );
    const source = await timeCommand(
      deno,
      ["run", "-A", "main.ts", "--help"],
      ctx.startupRuns,
      "deno run -A main.ts --help",
    );
    let bundle: StartupEntry | undefined;
    const built = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--platform=deno", "-o", `${dir}/pgai.js`, "main.ts"],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (built.success) {
      bundle = await timeCommand(
        deno,
        ["run", "-A", `${dir}/pgai.js`, "--help"],
        ctx.startupRuns,
        "deno run -A pgai.js --help (deno bundle)",
      );
    } else {
      notes.push(`deno bundle failed: ${new TextDecoder().decode(built.stderr).slice(-300)}`);
    }
    let binary: StartupEntry | undefined;
    const compiled = `${ROOT}/dist/pgai`;
    if ((await Deno.stat(compiled).catch(() => undefined))?.isFile) {
      binary = await timeCommand(compiled, ["--help"], ctx.startupRuns, "dist/pgai --help");
    } else {
      notes.push("no compiled binary at dist/pgai (deno task compile needs dl.deno.land)");
    }
    const db = await freshDatabase("bench_startup");
    let workerIdle: StartupEntry;
    try {
      workerIdle = await timeCommand(
        deno,
        ["run", "-A", "main.ts", "vectorizer", "worker", "-d", db.url, "--once"],
        Math.min(ctx.startupRuns, 5),
        "deno run -A main.ts vectorizer worker --once (no vectorizers)",
        { OPENAI_API_KEY: "bench-key" },
      );
    } finally {
      await db.drop();
    }
    return {
      source,
      bundle,
      binary,
      denoFloor,
      workerIdle,
      bestMs: Math.min(
        source.medianMs,
        bundle?.medianMs ?? Infinity,
        binary?.medianMs ?? Infinity,
      ),
      ok: true,
      problems: [],
      notes,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
