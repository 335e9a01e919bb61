/**
 * What a CLI run talks to: output streams, the environment, the working directory. The real
 * process supplies them by default; tests inject their own to run commands in-process. Also
 * sets up logging for a command once its level and format are known.
 */

import type { DotenvLoad } from "../env.ts";
import { configureLogging, getLogger, type LogFormat, type LogLevel, useColors } from "../log.ts";

/** The environment as the CLI uses it (`Deno.env` fits). */
export interface CliEnv {
  get(name: string): string | undefined;
  has(name: string): boolean;
  set(name: string, value: string): void;
  toObject(): Record<string, string>;
}

/** Injectable surroundings of `runCli`. */
export interface CliIo {
  /** Writes text (already newline-terminated) to standard output; logs go here too. */
  stdout(text: string): void;
  /** Writes text to standard error (usage errors, fatal messages). */
  stderr(text: string): void;
  env: CliEnv;
  /** Where the `.env` search starts. */
  cwd: string;
  /** Whether standard output is a terminal (colors in the text log format). */
  isTerminal: boolean;
}

/** A CLI run in progress: its io plus the `.env` outcome to report once logging is set up. */
export interface CliContext extends CliIo {
  dotenv: DotenvLoad;
}

const encoder = new TextEncoder();

function writer(stream: { writeSync(p: Uint8Array): number }): (text: string) => void {
  return (text) => {
    const bytes = encoder.encode(text);
    let written = 0;
    while (written < bytes.length) written += stream.writeSync(bytes.subarray(written));
  };
}

/** The real process's io, with `overrides` taking precedence. */
export function processIo(overrides: Partial<CliIo> = {}): CliIo {
  return {
    stdout: overrides.stdout ?? writer(Deno.stdout),
    stderr: overrides.stderr ?? writer(Deno.stderr),
    env: overrides.env ?? Deno.env,
    cwd: overrides.cwd ?? Deno.cwd(),
    isTerminal: overrides.isTerminal ?? Deno.stdout.isTerminal(),
  };
}

/**
 * Configures logging for a command (level, format, colors, output to the run's stdout) and
 * then reports how `.env` loading went: debug line for the file used, warnings for problems.
 */
export function startLogging(cli: CliContext, level: LogLevel, format: LogFormat): void {
  configureLogging({
    level,
    format,
    colors: format === "text" && useColors(cli.env, cli.isTerminal),
    sink: (line) => cli.stdout(line + "\n"),
  });
  const log = getLogger("cli");
  const { path, set, warnings } = cli.dotenv;
  if (path !== undefined) log.debug("loaded .env", { path, variables: set });
  for (const warning of warnings) log.warn(warning);
}
