/**
 * Helpers for running the CLI in-process: an environment backed by a Map (instead of the
 * process's), captured output, and temporary directories holding a `.env`.
 */

import { join } from "node:path";
import { runCli } from "../../src/cli/mod.ts";

/** An environment backed by a Map, with Deno.env's methods the CLI uses. */
export class MapEnv {
  readonly vars: Map<string, string>;
  constructor(initial: Record<string, string> = {}) {
    this.vars = new Map(Object.entries(initial));
  }
  get(name: string): string | undefined {
    return this.vars.get(name);
  }
  has(name: string): boolean {
    return this.vars.has(name);
  }
  set(name: string, value: string): void {
    this.vars.set(name, value);
  }
  toObject(): Record<string, string> {
    return Object.fromEntries(this.vars);
  }
}

/** Outcome of an in-process CLI run. */
export interface CliRun {
  status: number;
  stdout: string;
  stderr: string;
  env: MapEnv;
}

/**
 * Runs `pgai argv` in-process with its own environment, in `cwd` (default: a fresh empty
 * temporary directory, so that no `.env` of the repository is picked up).
 */
export async function cli(
  argv: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<CliRun> {
  const env = new MapEnv(options.env);
  let stdout = "";
  let stderr = "";
  const cwd = options.cwd ?? Deno.makeTempDirSync({ prefix: "cli_run_" });
  try {
    const status = await runCli(argv, {
      env,
      cwd,
      isTerminal: false,
      stdout: (text) => stdout += text,
      stderr: (text) => stderr += text,
    });
    return { status, stdout, stderr, env };
  } finally {
    if (options.cwd === undefined) Deno.removeSync(cwd, { recursive: true });
  }
}

/** Runs `fn` with a temporary directory containing a `.env` with `content`. */
export async function withDotenv<T>(
  content: string,
  fn: (dir: string) => Promise<T> | T,
): Promise<T> {
  const dir = Deno.makeTempDirSync({ prefix: "cli_dotenv_" });
  try {
    Deno.writeTextFileSync(join(dir, ".env"), content);
    return await fn(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}
