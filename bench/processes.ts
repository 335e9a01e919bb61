/**
 * Child processes of the benchmark: the provider server, and measured runs of the real CLI.
 *
 * The worker is measured as a separate `deno` process, as users run it: wall time from spawn to
 * exit, its peak resident memory (the kernel's `VmHWM` high-water mark of that very process, read
 * from `/proc` while it runs), its CPU time, and when given lines of its log appeared (to time
 * the processing apart from start-up).
 */

/** Path of the repository root (this file lives in `bench/`). */
export const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/** Raised when a benchmark child process cannot be started or misbehaves. */
export class BenchProcessError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "BenchProcessError";
  }
}

/** A running provider server process. */
export interface ProviderProcess {
  /** Base URL, e.g. `http://127.0.0.1:40123`; the OpenAI base URL is `${url}/v1`. */
  readonly url: string;
  readonly pid: number;
  /** Requests and inputs it answered so far. */
  stats(): Promise<{ requests: number; inputs: number }>;
  /** Ends the process (closing its standard input) and waits for it. */
  close(): Promise<void>;
}

/** Starts `bench/provider_server.ts` in its own process, answering after `latencyMs`. */
export async function startProvider(latencyMs: number): Promise<ProviderProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}/bench/provider_server.ts`, "--latency-ms", String(latencyMs)],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new BenchProcessError("the provider server exited before listening");
    text += value;
  }
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  const url = (JSON.parse(text.slice(0, text.indexOf("\n"))) as { url: string }).url;
  const stdin = child.stdin.getWriter();
  return {
    url,
    pid: child.pid,
    async stats() {
      const response = await fetch(`${url}/stats`);
      return await response.json();
    },
    async close() {
      await stdin.close().catch(() => {});
      const timer = setTimeout(() => child.kill("SIGTERM"), 5000);
      await child.status;
      clearTimeout(timer);
    },
  };
}

/** Figures of one measured child process. */
export interface MeasuredRun {
  readonly code: number;
  /** Spawn to exit. */
  readonly wallMs: number;
  /** Highest `VmHWM` seen, KiB (0 when `/proc` could not be read). */
  readonly peakRssKiB: number;
  /** User + system CPU time of the process as last seen, ms. */
  readonly cpuMs: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Milliseconds after spawn at which the first line containing each marker arrived. */
  readonly marks: Record<string, number>;
}

/** Options of {@link runMeasured}. */
export interface MeasureOptions {
  readonly env?: Record<string, string>;
  /** Texts to time in the output lines (e.g. log events). */
  readonly markers?: readonly string[];
  /** Milliseconds between `/proc` samples (default 10). */
  readonly sampleMs?: number;
  /** Kill the process after this many milliseconds. */
  readonly timeoutMs?: number;
}

const CLOCK_TICKS_PER_SECOND = 100;

/** Fields of `/proc/<pid>/stat` after the command name (index 0 is the state). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // The command name may contain spaces and parentheses: the fields start after the last ')'.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined; // gone
  }
}

function ticksToMs(...ticks: (string | undefined)[]): number {
  return (ticks.reduce((sum, t) => sum + Number(t ?? 0), 0) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** User + system CPU time of process `pid`, ms; undefined when it is gone. */
export function processCpuMs(pid: number): number | undefined {
  const f = statFields(pid);
  return f === undefined ? undefined : ticksToMs(f[11], f[12]);
}

/**
 * CPU time used so far by a whole PostgreSQL cluster, ms: the postmaster (parent of `backendPid`)
 * with the children it has reaped, plus its live children. Differences between two readings give
 * the server's share of a run. Undefined when `/proc` does not show the server (another host).
 *
 * A backend's time moves into the postmaster's reaped-children total when it is reaped; a reading
 * taken while a backend is exiting could miss it, so readings are repeated until the set of
 * children is the same before and after the postmaster is read and none of them is a zombie.
 */
export async function clusterCpuMs(backendPid: number): Promise<number | undefined> {
  const postmaster = Number(statFields(backendPid)?.[1]);
  if (statFields(postmaster) === undefined) return undefined;
  const children = () => {
    const found = new Map<number, string[]>();
    for (const entry of Deno.readDirSync("/proc")) {
      const pid = Number(entry.name);
      if (!Number.isInteger(pid)) continue;
      const f = statFields(pid);
      if (f !== undefined && Number(f[1]) === postmaster) found.set(pid, f);
    }
    return found;
  };
  for (let attempt = 0;; attempt++) {
    const first = children();
    const main = statFields(postmaster);
    if (main === undefined) return undefined;
    const second = children();
    const stable = first.size === second.size && [...first.keys()].every((pid) => second.has(pid));
    const exiting = [...second.values()].some((f) => f[0] === "Z" || f[0] === "X");
    if ((stable && !exiting) || attempt >= 100) {
      let total = ticksToMs(main[11], main[12], main[13], main[14]);
      for (const f of second.values()) total += ticksToMs(f[11], f[12]);
      return total;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function readProc(pid: number): { hwmKiB: number; cpuMs: number } | undefined {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(status);
    const cpuMs = processCpuMs(pid);
    if (cpuMs === undefined) return undefined;
    return { hwmKiB: hwm ? Number(hwm[1]) : 0, cpuMs };
  } catch {
    return undefined; // exited between samples
  }
}

async function collect(
  stream: ReadableStream<Uint8Array>,
  started: number,
  markers: readonly string[],
  marks: Record<string, number>,
): Promise<string> {
  let all = "";
  let pending = "";
  for await (const piece of stream.pipeThrough(new TextDecoderStream())) {
    const now = performance.now() - started;
    all += piece;
    pending += piece;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      for (const m of markers) if (marks[m] === undefined && line.includes(m)) marks[m] = now;
    }
  }
  return all;
}

/** Runs `command args` to completion, sampling its memory and CPU time from `/proc`. */
export async function runMeasured(
  command: string,
  args: readonly string[],
  options: MeasureOptions = {},
): Promise<MeasuredRun> {
  const started = performance.now();
  const child = new Deno.Command(command, {
    args: [...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    ...(options.env ? { env: options.env } : {}),
  }).spawn();
  let peak = 0;
  let cpu = 0;
  const sample = () => {
    const s = readProc(child.pid);
    if (s === undefined) return;
    peak = Math.max(peak, s.hwmKiB);
    cpu = s.cpuMs;
  };
  sample();
  const sampler = setInterval(sample, options.sampleMs ?? 10);
  const killer = options.timeoutMs === undefined
    ? undefined
    : setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
  const marks: Record<string, number> = {};
  const markers = options.markers ?? [];
  const [stdout, stderr, status] = await Promise.all([
    collect(child.stdout, started, markers, marks),
    collect(child.stderr, started, markers, marks),
    child.status,
  ]);
  const wallMs = performance.now() - started;
  clearInterval(sampler);
  clearTimeout(killer);
  return { code: status.code, wallMs, peakRssKiB: peak, cpuMs: cpu, stdout, stderr, marks };
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
