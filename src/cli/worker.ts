/**
 * `pgai vectorizer worker`: resolves pgai's options (plus our `--log-format` and health
 * endpoint options) from flags, `PGAI_VECTORIZER_WORKER_*` variables and defaults, then runs
 * the Worker until it is done or a signal asks it to stop.
 *
 * Deliberate differences from pgai: a negative `--poll-interval` is a usage error, values
 * below MIN_POLL_INTERVAL (where pgai busy-polls, §7.9) or above MAX_POLL_INTERVAL (where timers
 * overflow and would fire at once) are brought into range with a warning, fractions of a second
 * are kept (pgai truncates), and the first SIGINT/SIGTERM stops gracefully (current batches
 * finish) where pgai exits at once.
 */

import { DurationError, NegativeDurationError, parseDuration } from "../duration.ts";
import { registerDbUrlSecrets } from "../secrets.ts";
import { getLogger, type LogFormat, type LogLevel } from "../log.ts";
import type { WorkerOptions } from "../worker/worker.ts";
import { type CliContext, startLogging } from "./context.ts";
import { formatHelp, type HelpPage } from "./help.ts";
import {
  BadValue,
  boolean,
  choice,
  type CommandInfo,
  type Converter,
  type EnvReader,
  integer,
  integerRange,
  type OptionSpec,
  parseArgs,
  rejectExtraArguments,
  resolveList,
  resolveValue,
  text,
} from "./options.ts";
import { pyRepr } from "./python.ts";

/** Default database URL of pgai's CLI. */
export const DEFAULT_DB_URL = "postgres://postgres@localhost:5432/postgres";
/** pgai's default poll interval, `5m`. */
export const DEFAULT_POLL_INTERVAL = 300;
/** Shortest pause between polls, in seconds; smaller values (including 0) are raised to it. */
export const MIN_POLL_INTERVAL = 1;
/** Longest pause between polls, in seconds (a timer's limit, 2^31-1 ms, about 24.8 days). */
export const MAX_POLL_INTERVAL = 2147483;

const COMMAND: CommandInfo = { path: "pgai vectorizer worker", usage: "[OPTIONS]" };
const ENV = "PGAI_VECTORIZER_WORKER_";
const LOG_LEVELS = ["DEBUG", "INFO", "WARN", "ERROR", "FATAL", "CRITICAL"] as const;
const LEVEL_OF: Record<(typeof LOG_LEVELS)[number], LogLevel> = {
  DEBUG: "debug",
  INFO: "info",
  WARN: "warn",
  ERROR: "error",
  FATAL: "critical",
  CRITICAL: "critical",
};

const OPTION = {
  dbUrl: {
    name: "db_url",
    flags: ["-d", "--db-url"],
    kind: "value",
    metavar: "URL",
    envvars: [`${ENV}DB_URL`, "VECTORIZER_DB_URL"],
    help: "Database to work on: a postgres:// URL or a libpq key=value connection string.",
    defaultHelp: DEFAULT_DB_URL,
  },
  vectorizerIds: {
    name: "vectorizer_ids",
    flags: ["-i", "--vectorizer-id"],
    kind: "multiple",
    metavar: "ID",
    envvars: [`${ENV}VECTORIZER_IDS`],
    help: "Only process this vectorizer; repeat the option for several (in the variable: " +
      "IDs separated by spaces). Without it every vectorizer is processed.",
  },
  logLevel: {
    name: "log_level",
    flags: ["--log-level"],
    kind: "value",
    metavar: "LEVEL",
    envvars: [`${ENV}LOG_LEVEL`],
    help: "DEBUG, INFO, WARN, ERROR, FATAL or CRITICAL, in any case.",
    defaultHelp: "INFO",
  },
  logFormat: {
    name: "log_format",
    flags: ["--log-format"],
    kind: "value",
    metavar: "FORMAT",
    envvars: [`${ENV}LOG_FORMAT`],
    help: "text (lines for people) or json (one object per line).",
    defaultHelp: "text",
  },
  pollInterval: {
    name: "poll_interval",
    flags: ["--poll-interval"],
    kind: "value",
    metavar: "DURATION",
    envvars: [`${ENV}POLL_INTERVAL`],
    help: "Pause between polls for new work: a duration such as 30s, 5m, 1h30m, " +
      "'1 hour, 30 minutes', 1:30 or 2.5s, or whole seconds. Negative values are rejected; " +
      `values below ${MIN_POLL_INTERVAL}s (0 included) are raised to ${MIN_POLL_INTERVAL}s and ` +
      `values above ${MAX_POLL_INTERVAL}s (about 24.8 days) lowered to that, with a warning.`,
    defaultHelp: "5m",
  },
  once: {
    name: "once",
    flags: ["--once"],
    kind: "flag",
    envvars: [`${ENV}ONCE`],
    help: "Process the queues once, then exit. Implies --exit-on-error true unless that " +
      "option is given. The variable takes a boolean.",
  },
  concurrency: {
    name: "concurrency",
    flags: ["-c", "--concurrency"],
    kind: "value",
    metavar: "N",
    envvars: [`${ENV}CONCURRENCY`],
    help: "Executors per vectorizer (at least 1); overrides every vectorizer's " +
      "processing.concurrency.",
    defaultHelp: "each vectorizer's setting",
  },
  parallelVectorizers: {
    name: "parallel_vectorizers",
    flags: ["--parallel-vectorizers"],
    kind: "value",
    metavar: "N",
    envvars: [`${ENV}PARALLEL_VECTORIZERS`],
    help: "Vectorizers processed at the same time (at least 1), each with its own executors and " +
      "database connections. Not a pgai option: pgai processes them one after another.",
    defaultHelp: "1",
  },
  exitOnError: {
    name: "exit_on_error",
    flags: ["--exit-on-error"],
    kind: "value",
    metavar: "BOOLEAN",
    envvars: [`${ENV}EXIT_ON_ERROR`],
    help: "true: stop at the first error and exit with status 1; false: log errors and carry " +
      "on. Booleans: true/false, 1/0, yes/no, y/n, t/f, on/off.",
    defaultHelp: "true with --once, else false",
  },
  healthPort: {
    name: "health_port",
    flags: ["--health-port"],
    kind: "value",
    metavar: "PORT",
    envvars: [`${ENV}HEALTH_PORT`],
    help: "Serve GET /healthz (alive) and /readyz (ready) on this port.",
    defaultHelp: "no health endpoint",
  },
  healthHost: {
    name: "health_host",
    flags: ["--health-host"],
    kind: "value",
    metavar: "HOST",
    envvars: [`${ENV}HEALTH_HOST`],
    help: "Address the health endpoint listens on (0.0.0.0 for probes from outside).",
    defaultHelp: "127.0.0.1",
  },
} as const satisfies Record<string, OptionSpec>;

const HELP: HelpPage = {
  command: COMMAND,
  description: ["Run the vectorizer worker: embed the rows queued by pgai vectorizers."],
  options: Object.values(OPTION),
  epilog: [
    "Each option is read from its flag, else from its environment variable, else from a .env " +
    "file (in the working directory or the nearest parent that has one; it never overrides " +
    "variables already set), else its default. Empty variables are ignored.",
    "Exit status: 0 when done, or when stopped by SIGINT or SIGTERM (the worker finishes its " +
    "current batches first); 1 when an error ended the run; 2 for bad options or variables. " +
    "A second SIGINT or SIGTERM exits at once with status 130 or 143.",
  ],
};

/** Everything the command resolved from flags, environment and defaults. */
export interface WorkerSettings {
  /** Options for the Worker (without `env` and `signal`, which the run adds). */
  options: WorkerOptions;
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** The requested poll interval, when it was out of range and got adjusted. */
  requestedPollInterval?: number;
}

/**
 * pgai's time-duration type (src/duration.ts) in seconds, except that negative durations are
 * rejected whichever way they are written (pgai accepts `-5m` and rejects only `-300`).
 */
const pollInterval: Converter<number> = (raw) => {
  let seconds: number;
  try {
    seconds = parseDuration(raw);
  } catch (error) {
    if (!(error instanceof DurationError)) throw error;
    if (!(error instanceof NegativeDurationError)) throw new BadValue(error.message);
    seconds = -1;
  }
  if (seconds < 0) throw new BadValue(`time duration can't be negative: ${pyRepr(raw)}`);
  return seconds;
};

/**
 * Resolves the worker command's arguments (those after `worker`) against the environment:
 * "help" when `--help` was given, else the settings. Throws UsageError for bad input.
 */
export function resolveWorkerSettings(
  argv: readonly string[],
  env: EnvReader,
): WorkerSettings | "help" {
  const parsed = parseArgs(argv, Object.values(OPTION), COMMAND);
  if (parsed.eager === "help") return "help";
  const value = <T>(option: OptionSpec, convert: (raw: string) => T) =>
    resolveValue(parsed, option, env, convert, COMMAND);
  const dbUrl = value(OPTION.dbUrl, text) ?? DEFAULT_DB_URL;
  const vectorizerIds = resolveList(parsed, OPTION.vectorizerIds, env, integer, COMMAND);
  const logLevel = LEVEL_OF[value(OPTION.logLevel, choice(LOG_LEVELS)) ?? "INFO"];
  const logFormat = value(OPTION.logFormat, choice(["text", "json"] as const)) ?? "text";
  const requested = value(OPTION.pollInterval, pollInterval) ?? DEFAULT_POLL_INTERVAL;
  const once = value(OPTION.once, boolean) ?? false;
  const concurrency = value(OPTION.concurrency, integerRange(1));
  const parallelVectorizers = value(OPTION.parallelVectorizers, integerRange(1));
  const exitOnError = value(OPTION.exitOnError, boolean);
  const healthPort = value(OPTION.healthPort, integerRange(1, 65535));
  const healthHost = value(OPTION.healthHost, text);
  rejectExtraArguments(parsed, COMMAND);

  const options: WorkerOptions = {
    dbUrl,
    vectorizerIds,
    pollInterval: Math.min(Math.max(requested, MIN_POLL_INTERVAL), MAX_POLL_INTERVAL),
    once,
  };
  if (exitOnError !== undefined) options.exitOnError = exitOnError;
  if (concurrency !== undefined) options.concurrency = concurrency;
  if (parallelVectorizers !== undefined) options.parallelVectorizers = parallelVectorizers;
  if (healthPort !== undefined) options.healthPort = healthPort;
  if (healthHost !== undefined) options.healthHost = healthHost;
  const settings: WorkerSettings = { options, logLevel, logFormat };
  if (options.pollInterval !== requested) settings.requestedPollInterval = requested;
  return settings;
}

/** The signals the worker command handles. */
export type StopSignal = "SIGINT" | "SIGTERM";

/** Exit status after a second signal: 128 + the signal's number. */
const FORCED_EXIT: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * The worker command's reaction to SIGINT/SIGTERM: the first asks for a graceful shutdown
 * (`stop`), any later one gives up waiting and calls `exit` with 130 (SIGINT) or 143 (SIGTERM).
 */
export function signalHandler(
  stop: () => Promise<void>,
  exit: (status: number) => void,
): (signal: StopSignal) => void {
  const log = getLogger("cli");
  let received = 0;
  return (signal) => {
    received++;
    if (received === 1) {
      log.info(`received ${signal}, shutting down gracefully`);
      stop().catch((error) => log.error("graceful shutdown failed", { error }));
    } else {
      log.warn(`received ${signal} again, exiting immediately`);
      exit(FORCED_EXIT[signal]);
    }
  };
}

/** Runs `pgai vectorizer worker` with `argv` (the arguments after `worker`). */
export async function workerCommand(argv: readonly string[], cli: CliContext): Promise<number> {
  const settings = resolveWorkerSettings(argv, cli.env);
  if (settings === "help") {
    cli.stdout(formatHelp(HELP));
    return 0;
  }
  startLogging(cli, settings.logLevel, settings.logFormat);
  const log = getLogger("cli");
  registerDbUrlSecrets(settings.options.dbUrl);
  const { options, requestedPollInterval: requested } = settings;
  if (requested !== undefined) {
    const limit = requested < MIN_POLL_INTERVAL ? "below the minimum" : "above the maximum";
    log.warn(`poll interval ${requested}s is ${limit}, using ${options.pollInterval}s`);
  }
  log.debug("worker options", {
    db_url: options.dbUrl,
    vectorizer_ids: options.vectorizerIds,
    poll_interval: options.pollInterval,
    once: options.once,
    exit_on_error: options.exitOnError,
    concurrency: options.concurrency,
    parallel_vectorizers: options.parallelVectorizers,
    health: options.healthPort === undefined
      ? undefined
      : `${options.healthHost ?? "127.0.0.1"}:${options.healthPort}`,
  });

  // Loaded only now, so that --help and usage errors do not pay for the worker's dependencies.
  const { Worker } = await import("../worker/worker.ts");
  const worker = new Worker({ ...options, env: cli.env.toObject() });
  const onSignal = signalHandler(() => worker.stop(), (status) => Deno.exit(status));
  const listeners = (["SIGINT", "SIGTERM"] as const).map((signal) => {
    const listener = () => onSignal(signal);
    try {
      Deno.addSignalListener(signal, listener);
      return () => Deno.removeSignalListener(signal, listener);
    } catch {
      return () => {}; // e.g. SIGTERM on Windows: not a catchable signal there
    }
  });
  try {
    const error = await worker.run();
    return error === undefined ? 0 : 1;
  } finally {
    for (const remove of listeners) remove();
  }
}
