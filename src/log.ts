/**
 * Logging for the whole program. Library code asks for `getLogger(category)` and logs an
 * event text plus fields; only the CLI decides the level, the format and where lines go
 * (`configureLogging`). Two formats: `text`, shaped like pgai's structlog console output
 * (`2025-01-31 12:00:00 [info     ] running vectorizer             vectorizer_id=1`), and
 * `json`, one object per line. Every event text and field value is masked (src/secrets.ts).
 */

import { pyRepr } from "./cli/python.ts";
import { maskSecrets } from "./secrets.ts";

/** Severity, lowest first; `critical` is also what pgai's `FATAL` maps to. */
export type LogLevel = "debug" | "info" | "warn" | "error" | "critical";
/** `text` for people, `json` for log collectors. */
export type LogFormat = "text" | "json";
/** Structured context of an event; undefined values are left out. */
export type LogFields = Record<string, unknown>;

/** A category's logging functions. */
export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  critical(event: string, fields?: LogFields): void;
}

/** Output settings; see `configureLogging`. */
export interface LogConfig {
  /** Events below this level are dropped. Default `info`. */
  level: LogLevel;
  /** Default `text`. */
  format: LogFormat;
  /** Receives each rendered line without its newline. Default: standard output. */
  sink: (line: string) => void;
  /** ANSI colors in the text format. Default false. */
  colors: boolean;
  /** Clock for timestamps (tests pin it). */
  now: () => Date;
}

const SEVERITY: Record<LogLevel, number> = {
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
  critical: 50,
};
/** Level names as printed (structlog's). */
const LEVEL_NAME: Record<LogLevel, string> = {
  debug: "debug",
  info: "info",
  warn: "warning",
  error: "error",
  critical: "critical",
};
const EVENT_WIDTH = 30;
const LEVEL_WIDTH = 9;
const MAX_CAUSES = 5;
const MAX_DEPTH = 8;

const RESET = "\x1b[0m";
const BRIGHT = "\x1b[1m";
const DIM = "\x1b[2m";
const CYAN = "\x1b[36m";
const MAGENTA = "\x1b[35m";
const LEVEL_COLOR: Record<LogLevel, string> = {
  debug: "\x1b[32m",
  info: "\x1b[32m",
  warn: "\x1b[33m",
  error: "\x1b[31m",
  critical: "\x1b[31m",
};

const encoder = new TextEncoder();

function writeStdout(line: string): void {
  const bytes = encoder.encode(line + "\n");
  let written = 0;
  while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
}

function defaults(): LogConfig {
  return { level: "info", format: "text", sink: writeStdout, colors: false, now: () => new Date() };
}

let config: LogConfig = defaults();

/**
 * Sets the output of all loggers; options not given take their defaults (so two calls do
 * not combine). Only the program entry (the CLI) calls this, never library code.
 */
export function configureLogging(options: Partial<LogConfig> = {}): void {
  config = { ...defaults(), ...options };
}

/**
 * Whether the text format should be colored: `FORCE_COLOR` decides when set (`0` or `false`
 * turn colors off, any other non-empty value on), otherwise a non-empty `NO_COLOR` turns them
 * off, otherwise they are on when standard output is a terminal.
 */
export function useColors(
  env: { get(name: string): string | undefined },
  isTerminal: boolean,
): boolean {
  const force = env.get("FORCE_COLOR");
  if (force) return force !== "0" && force.toLowerCase() !== "false";
  if (env.get("NO_COLOR")) return false;
  return isTerminal;
}

/** The logger of a category (e.g. `worker`, `embedders.openai`); cheap, call it anywhere. */
export function getLogger(category: string): Logger {
  const log = (level: LogLevel) => (event: string, fields?: LogFields) => {
    if (SEVERITY[level] < SEVERITY[config.level]) return;
    const line = config.format === "json"
      ? renderJson(category, level, event, fields ?? {})
      : renderText(level, event, fields ?? {});
    try {
      config.sink(line);
    } catch {
      // nowhere left to report a failing log output (e.g. a closed stdout); never fail the caller
    }
  };
  return {
    debug: log("debug"),
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
    critical: log("critical"),
  };
}

function pad(text: string, width: number): string {
  const length = [...text].length;
  return length >= width ? text : text + " ".repeat(width - length);
}

function localTimestamp(date: Date): string {
  const two = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ` +
    `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

function errorName(error: Error): string {
  return error.name !== "Error" ? error.name : (error.constructor?.name ?? "Error");
}

/** Text rendering of an error: `Name('message')`, then its causes. */
function renderError(error: Error): string {
  let text = `${errorName(error)}(${pyRepr(maskSecrets(error.message))})`;
  let cause = error.cause;
  for (let depth = 0; cause !== undefined && depth < MAX_CAUSES; depth++) {
    text += ` caused by ${
      cause instanceof Error
        ? `${errorName(cause)}(${pyRepr(maskSecrets(cause.message))})`
        : json(cause)
    }`;
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return text;
}

/** JSON-ready copy of a value: strings masked, errors as objects, bigints as strings. */
function plain(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return maskSecrets(value);
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "function" || typeof value === "symbol") return String(value);
  if (value === null || typeof value !== "object") return value;
  if (depth > MAX_DEPTH) return "…";
  if (value instanceof Error) {
    const out: Record<string, unknown> = {
      type: errorName(value),
      message: maskSecrets(value.message),
    };
    if (value.cause !== undefined) out.cause = plain(value.cause, depth + 1);
    return out;
  }
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
  }
  if (Array.isArray(value)) return value.map((item) => plain(item, depth + 1));
  if (value instanceof Map) return plain(Object.fromEntries(value), depth + 1);
  if (value instanceof Set) return plain([...value], depth + 1);
  if (ArrayBuffer.isView(value)) {
    return plain(Array.from(value as unknown as ArrayLike<number>), depth);
  }
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, plain(item, depth + 1)]),
  );
}

function json(value: unknown): string {
  try {
    return JSON.stringify(plain(value)) ?? String(value);
  } catch {
    return maskSecrets(String(value));
  }
}

function renderValue(value: unknown): string {
  if (typeof value === "string") return maskSecrets(value);
  if (value instanceof Error) return renderError(value);
  return json(value);
}

function renderText(level: LogLevel, event: string, fields: LogFields): string {
  const c = config.colors;
  const color = (code: string, text: string) => c ? code + text + RESET : text;
  const entries = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  let line = `${color(DIM, localTimestamp(config.now()))} ` +
    `[${color(LEVEL_COLOR[level], pad(LEVEL_NAME[level], LEVEL_WIDTH))}] `;
  const text = maskSecrets(event);
  if (entries.length === 0) return line + color(BRIGHT, text);
  line += color(BRIGHT, pad(text, EVENT_WIDTH)) + " ";
  return line + entries
    .map(([key, value]) => `${color(CYAN, key)}=${color(MAGENTA, renderValue(value))}`)
    .join(" ");
}

const RESERVED = new Set(["time", "level", "logger", "event"]);

function renderJson(category: string, level: LogLevel, event: string, fields: LogFields): string {
  const record: Record<string, unknown> = {
    time: config.now().toISOString(),
    level: LEVEL_NAME[level],
    logger: category,
    event: maskSecrets(event),
  };
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    record[RESERVED.has(key) ? `${key}_` : key] = plain(value);
  }
  try {
    return JSON.stringify(record);
  } catch (error) {
    return JSON.stringify({
      time: record.time,
      level: record.level,
      logger: category,
      event: record.event,
      fields_error: `fields not serializable: ${maskSecrets(String(error))}`,
    });
  }
}
