/**
 * What a benchmark run reports: the goals of the performance issue checked against the figures,
 * the JSON document written under `bench/results/`, and the summary printed for people.
 */
import type {
  BackfillResult,
  BaselineRun,
  BigDocResult,
  MicroResult,
  ScalingResult,
  StartupResult,
  VectorizersResult,
  WorkerRun,
} from "./scenarios.ts";

/** Facts about the machine and the code that was measured. */
export interface Machine {
  readonly cores: number;
  readonly cpu: string;
  readonly memoryGiB: number;
  readonly os: string;
  readonly deno: string;
  readonly v8: string;
  readonly postgres: string;
  readonly pgvector: string;
  readonly loadBefore: readonly number[];
  readonly loadAfter: readonly number[];
}

/** Results by scenario; an absent key was not run, a string is the error that stopped it. */
export interface ScenarioResults {
  backfill?: BackfillResult | string;
  scaling?: ScalingResult | string;
  vectorizers?: VectorizersResult | string;
  bigdoc?: BigDocResult | string;
  micro?: MicroResult | string;
  startup?: StartupResult | string;
}

/** How a goal came out. */
export type GoalStatus = "pass" | "fail" | "FAILED" | "not run";

/** One goal of the issue. */
export interface Goal {
  readonly id: string;
  readonly description: string;
  readonly target: string;
  /** The measured value (null when the scenario did not run or FAILED). */
  readonly measured: number | null;
  readonly unit: string;
  readonly status: GoalStatus;
}

/** The JSON document of a run. */
export interface BenchReport {
  readonly schema: 1;
  readonly date: string;
  readonly git: {
    readonly sha: string;
    readonly dirty: boolean;
    /** Measured files with uncommitted changes. */
    readonly dirtyFiles: readonly string[];
  };
  readonly machine: Machine;
  readonly options: Record<string, unknown>;
  readonly scenarios: ScenarioResults;
  readonly goals: readonly Goal[];
  /** Python pgai 0.12.1 figures quoted by the issue (a different run, for orientation only). */
  readonly reference: Record<string, string>;
}

/** The figures of the Python worker quoted in the issue. */
export const PYTHON_REFERENCE: Record<string, string> = {
  machine: "2 cores, local provider answering instantly, 20,000 rows of ~1,456 characters",
  "rows/s default": "≈571 (≈1,730 chunks/s)",
  "rows/s -c 4": "≈734",
  "peak RSS": "≈150 MiB",
  "--help": "≈170 ms",
  "bare pipeline (2-4 pipelines)": "≈6,100-6,800 rows/s",
};

type Scenario<T> = T | string | undefined;

function ok<T extends { ok: boolean }>(r: Scenario<T>): T | undefined {
  return typeof r === "object" && r.ok ? r : undefined;
}

function statusOf(r: Scenario<{ ok: boolean }>, pass: boolean): GoalStatus {
  if (r === undefined) return "not run";
  if (typeof r === "string" || !r.ok) return "FAILED";
  return pass ? "pass" : "fail";
}

/** Checks the issue's goals. */
export function evaluateGoals(s: ScenarioResults): Goal[] {
  const backfill = ok(s.backfill);
  const scaling = ok(s.scaling);
  const bigdoc = ok(s.bigdoc);
  const startup = ok(s.startup);
  const goal = (
    id: string,
    description: string,
    target: string,
    unit: string,
    result: Scenario<{ ok: boolean }>,
    measured: number | undefined,
    pass: (x: number) => boolean,
  ): Goal => ({
    id,
    description,
    target,
    unit,
    measured: measured ?? null,
    status: statusOf(result, measured !== undefined && pass(measured)),
  });
  return [
    goal(
      "backfill-throughput",
      "rows/s at default settings vs the baseline of the same run",
      ">= 80%",
      "% of baseline",
      s.backfill,
      backfill && Math.round(backfill.ratio * 1000) / 10,
      (x) => x >= 80,
    ),
    goal(
      "scaling",
      "-c 8 vs -c 1 rows/s with 300 ms provider latency",
      ">= 7x",
      "x",
      s.scaling,
      scaling?.speedup,
      (x) => x >= 7,
    ),
    goal(
      "rss-backfill",
      "peak RSS of the worker, backfill",
      "<= 100 MiB",
      "MiB",
      s.backfill,
      backfill?.peakRssMiB,
      (x) => x <= 100,
    ),
    goal(
      "rss-bigdoc",
      "peak RSS of the worker, 2 MB document",
      "<= 100 MiB",
      "MiB",
      s.bigdoc,
      bigdoc?.run.peakRssMiB,
      (x) => x <= 100,
    ),
    goal(
      "help-startup",
      "pgai --help start-up (median, fastest of source, bundle, binary)",
      "<= 60 ms",
      "ms",
      s.startup,
      startup?.bestMs,
      (x) => x <= 60,
    ),
  ];
}

const n = (x: number | undefined, digits = 0) =>
  x === undefined ? "-" : x.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
const sec = (ms: number | undefined) => (ms === undefined ? "-" : `${n(ms / 1000, 2)} s`);

function cpuLine(worker: number | undefined, pg: number | undefined, provider: number | undefined) {
  const parts = [];
  if (worker !== undefined) parts.push(`worker ${sec(worker)}`);
  if (pg !== undefined) parts.push(`postgres ${sec(pg)}`);
  if (provider !== undefined) parts.push(`provider ${sec(provider)}`);
  return `CPU ${parts.join(", ")}`;
}

function workerLines(label: string, r: WorkerRun, perRow = true): string[] {
  const rate = perRow ? `${n(r.rowsPerSecond).padStart(7)} rows/s  ` : "";
  const wall = perRow ? ` (${n(r.rowsPerSecondWall)} rows/s)` : "";
  return [
    `  ${label.padEnd(9)} ${rate}${n(r.chunksPerSecond).padStart(7)} chunks/s  processing ${
      sec(r.processingMs)
    }, wall ${sec(r.wallMs)}${wall}  peak RSS ${n(r.peakRssMiB, 1)} MiB`,
    `  ${"".padEnd(9)} ${
      cpuLine(r.workerCpuMs, r.postgresCpuMs, r.providerCpuMs)
    }, load ${r.loadAverage}`,
    ...r.problems.map((p) => `  ${"".padEnd(9)} FAILED: ${p}`),
  ];
}

function baselineLines(run: BaselineRun | undefined): string[] {
  if (!run) return [];
  return [
    `  ${"baseline".padEnd(9)} ${n(run.rowsPerSecond).padStart(7)} rows/s  ${
      n(run.chunksPerSecond).padStart(7)
    } chunks/s  wall ${sec(run.wallMs)}`,
    `  ${"".padEnd(9)} ${
      cpuLine(undefined, run.postgresCpuMs, run.providerCpuMs)
    }, benchmark process ${sec(run.clientCpuMs)}, load ${run.loadAverage}`,
  ];
}

function failedLines(name: string, r: string | { ok: boolean; problems: readonly string[] }) {
  if (typeof r === "string") return [`${name}: FAILED: ${r}`];
  return r.ok ? [] : r.problems.map((p) => `  FAILED: ${p}`);
}

/** The summary printed at the end of a run. */
export function summary(report: BenchReport): string {
  const m = report.machine;
  const s = report.scenarios;
  const out: string[] = [
    `pgai worker benchmark ${report.date} @ ${report.git.sha}${report.git.dirty ? " (dirty)" : ""}`,
    `machine: ${m.cores} cores (${m.cpu}), ${n(m.memoryGiB, 1)} GiB, ${m.os}, Deno ${m.deno}, ` +
    `${m.postgres}, pgvector ${m.pgvector}, load ${
      m.loadBefore.map((x) => x.toFixed(2)).join(" ")
    }`,
    "",
  ];
  const b = s.backfill;
  if (typeof b === "string") out.push(...failedLines("backfill", b));
  else if (b) {
    out.push(
      `backfill: ${n(b.rows)} rows of ~${n(b.averageRowLength)} characters, ${
        n(b.worker.chunks)
      } chunks, default settings; baseline: ${b.baseline.pipelines} connections, binary COPY`,
      ...baselineLines(b.baseline.runs[0]),
    );
    b.rounds.forEach((r, i) => {
      out.push(
        ...workerLines(b.rounds.length > 1 ? `worker ${i + 1}` : "worker", r.worker),
        `  ${"".padEnd(9)} ${n(r.ratio * 100, 1)}% of the baselines around it (${
          n(r.baselineRowsPerSecond)
        } rows/s)`,
        ...baselineLines(b.baseline.runs[i + 1]),
      );
    });
    out.push(
      `  ${"ratio".padEnd(9)} ${n(b.ratio * 100, 1)}%${
        b.rounds.length > 1 ? ` (median of ${b.rounds.length} rounds)` : ""
      }; stores identical: ${
        b.storeDifferences === 0 ? "yes" : `no (${b.storeDifferences} rows differ)`
      }`,
      ...b.problems.filter((p) => !/^round \d+: /.test(p)).map((p) => `  FAILED: ${p}`),
      "",
    );
  }
  const sc = s.scaling;
  if (typeof sc === "string") out.push(...failedLines("scaling", sc));
  else if (sc) {
    out.push(
      `scaling: ${
        n(sc.rows)
      } rows, batch size ${sc.batchSize}, provider latency ${sc.latencyMs} ms`,
      ...workerLines("-c 1", sc.c1),
      ...(sc.c8Runs ?? [sc.c8]).flatMap((r, i, all) =>
        workerLines(all.length > 1 ? `-c 8 (${i + 1})` : "-c 8", r)
      ),
      `  ${"speedup".padEnd(9)} ${n(sc.speedup, 2)}x (median -c 8 run; wall: ${
        n(sc.speedupWall, 2)
      }x)`,
      "",
    );
  }
  const mv = s.vectorizers;
  if (typeof mv === "string") out.push(...failedLines("vectorizers", mv));
  else if (mv) {
    out.push(
      `vectorizers: ${mv.vectorizers} of ${
        n(mv.rowsEach)
      } rows each, batch size ${mv.batchSize}, ` +
        `provider latency ${mv.latencyMs} ms`,
      ...workerLines("one by one", mv.sequential),
      ...workerLines("parallel", mv.parallel),
      `  ${"speedup".padEnd(9)} ${n(mv.speedup, 2)}x (wall time, start-up included)`,
      ...failedLines("vectorizers", mv),
      "",
    );
  }
  const bd = s.bigdoc;
  if (typeof bd === "string") out.push(...failedLines("bigdoc", bd));
  else if (bd) {
    out.push(
      `bigdoc: one row of ${n(bd.characters)} characters, ${n(bd.run.chunks)} chunks`,
      ...workerLines("worker", bd.run, false),
      "",
    );
  }
  const mi = s.micro;
  if (typeof mi === "string") out.push(...failedLines("micro", mi));
  else if (mi) {
    out.push(
      "micro (one core, in process):",
      `  chunk + format ${n(mi.rows.rows)} backfill rows: ${n(mi.rows.medianMs, 1)} ms (${
        n(mi.rows.microsecondsPerRow, 1)
      } µs/row, ${n(mi.rows.rowsPerSecond)} rows/s)`,
      `  chunk + format the 2 MB document: ${n(mi.bigDocument.medianMs, 1)} ms (${
        n(mi.bigDocument.chunks)
      } chunks)`,
      ...mi.pipelineBench.map((e) =>
        `  pipeline_bench: ${e.name}: avg ${n(e.avgMs, 2)} ms, min ${n(e.minMs, 2)} ms`
      ),
      ...failedLines("micro", mi),
      "",
    );
  }
  const st = s.startup;
  if (typeof st === "string") out.push(...failedLines("startup", st));
  else if (st) {
    out.push(`startup (median of ${st.source.runs} runs):`);
    for (const e of [st.source, st.bundle, st.binary, st.denoFloor, st.workerIdle]) {
      if (e) {
        out.push(
          `  ${e.command}: ${n(e.medianMs, 1)} ms (min ${n(e.minMs, 1)} ms), peak RSS ${
            n(e.peakRssMiB, 1)
          } MiB`,
        );
      }
    }
    out.push(...st.notes.map((x) => `  note: ${x}`), "");
  }
  out.push("goals:");
  for (const g of report.goals) {
    const measured = g.measured === null ? "-" : `${g.measured} ${g.unit}`;
    out.push(
      `  ${g.status.toUpperCase().padEnd(7)} ${g.description}: ${measured} (goal ${g.target})`,
    );
  }
  return out.join("\n");
}
