/**
 * The vectorizer worker: the loop that polls every vectorizer (or the requested ones) and runs
 * their executors, as `pgai vectorizer worker` does (contract §2).
 *
 * Differences from pgai 0.12.1, each fixing a weakness listed in §7 of the contract:
 * - the catalog (version and features) is probed again on every poll, so the worker follows a
 *   database restart or a pgai upgrade (§7.4); a database that is down is retried with backoff,
 *   also when it comes up after the worker started;
 * - one failing vectorizer (missing API key, bad config, provider down) does not stop the others
 *   in the same pass, and disabled vectorizers are skipped before their API keys are looked up
 *   (§7.5);
 * - the sleep between polls is at least one second, whatever the poll interval (§7.9);
 * - `stop()` / an AbortSignal drain gracefully: no new batches, the in-flight batch finishes or,
 *   after a deadline, is rolled back, then a final heartbeat is written (§7.14);
 * - executors (and their connections) are only started for a vectorizer whose queue has rows
 *   ready to take;
 * - several vectorizers can be processed at once (`parallelVectorizers`);
 * - an optional HTTP health endpoint reports liveness and readiness.
 */
import type postgres from "postgres";
import { connect, connectionFailureText, isConnectionError } from "../db/connect.ts";
import {
  type CatalogInfo,
  isInstalled,
  outdatedWarning,
  PgaiNotInstalledError,
  probeCatalog,
} from "../db/catalog.ts";
import { insertErrors, VECTORIZER_FAILED } from "../db/errors.ts";
import { hasQueuedWork } from "../db/queue.ts";
import { createEmbedder, type EmbeddingConfig } from "../embedders/mod.ts";
import { chunkText } from "../pipeline/chunking.ts";
import { getLogger } from "../log.ts";
import { ApiKeyNotFoundError, resolveApiKey } from "./apikey.ts";
import { migrateVectorizerRow, parseVectorizer, type Vectorizer } from "./config.ts";
import { runVectorizer } from "./executor.ts";
import { type HealthServer, startHealthServer } from "./health.ts";
import { interruptibleSleep } from "./sleep.ts";
import { WorkerTracking } from "./tracking.ts";

const log = getLogger("worker");

/** Options of {@link Worker}. */
export interface WorkerOptions {
  /** Database URL (`postgres://...`) or libpq `key=value` string. */
  dbUrl: string;
  /** Vectorizers to run; empty or undefined = all of them. */
  vectorizerIds?: readonly number[];
  /** Seconds between polls (fractions allowed). Default 60 (the CLI's default is 300). */
  pollInterval?: number;
  /** Poll once, then return. */
  once?: boolean;
  /** Return at the first error. Undefined = true with `once`, false otherwise (pgai's tri-state). */
  exitOnError?: boolean;
  /**
   * Executors per vectorizer; overrides `processing.concurrency`. When neither is set the worker
   * runs one executor per vectorizer, and a second one while a backlog is being worked off.
   */
  concurrency?: number;
  /**
   * Vectorizers processed at the same time in each poll, each with its own executors. Default 1:
   * one after another, as pgai does (and with pgai's number of database connections).
   */
  parallelVectorizers?: number;
  /** Serve GET /healthz and /readyz on this port. */
  healthPort?: number;
  /** Address of the health endpoint (default 127.0.0.1; 0.0.0.0 in containers). */
  healthHost?: string;
  /** Aborting it requests a graceful shutdown (like {@link Worker.stop}). */
  signal?: AbortSignal;
  /** Where API keys and provider settings are read. Default: the process environment. */
  env?: Record<string, string | undefined>;
  /** Seconds the in-flight batch may take to finish after a stop request. Default 10. */
  shutdownTimeout?: number;
  /** Seconds between heartbeats. Default: the poll interval, kept within 5..60 seconds. */
  heartbeatInterval?: number;
}

/** A handled error: its message is what pgai logs and `run()` returns in exit-on-error mode. */
class LoopError extends Error {
  readonly vectorizerId: number | undefined;
  readonly connection: boolean;
  /** What the progress table records (default: the message). */
  readonly tracked: string;
  constructor(
    message: string,
    vectorizerId?: number,
    connection = false,
    cause?: unknown,
    tracked?: string,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "WorkerError";
    this.vectorizerId = vectorizerId;
    this.connection = connection;
    this.tracked = tracked ?? message;
  }
}

/** Shortest sleep between polls, whatever the poll interval. */
const MIN_POLL_SECONDS = 1;
/** Longest wait before retrying an unreachable database. */
const MAX_RECONNECT_SECONDS = 30;
/** Heartbeat interval bounds (seconds); within them it follows the poll interval. */
const HEARTBEAT_MIN_SECONDS = 5;
const HEARTBEAT_MAX_SECONDS = 60;
/** A working loop silent for this long counts as stuck (health endpoint). */
const STUCK_AFTER_MS = 15 * 60_000;

/** The vectorizer worker. */
export class Worker {
  readonly #options: WorkerOptions;
  readonly #pollInterval: number;
  readonly #exitOnError: boolean;
  readonly #env: Record<string, string | undefined>;
  readonly #stop = new AbortController();
  readonly #abort = new AbortController();
  readonly #tracking: WorkerTracking;
  #running: Promise<Error | undefined> | undefined;
  #stopping: Promise<void> | undefined;
  #control: postgres.Sql | undefined;
  #catalog: CatalogInfo | undefined;
  #warned: string | undefined;
  #fixedIdsFound = -1;
  #health: HealthServer | undefined;
  #phase: "starting" | "working" | "sleeping" | "stopped" = "starting";
  #lastActivity = Date.now();
  #wakeAt = 0;

  constructor(options: WorkerOptions) {
    this.#options = options;
    this.#pollInterval = Math.max(0, options.pollInterval ?? 60);
    this.#exitOnError = options.exitOnError ?? (options.once ?? false);
    this.#env = options.env ?? Deno.env.toObject();
    const beat = options.heartbeatInterval ??
      Math.min(HEARTBEAT_MAX_SECONDS, Math.max(HEARTBEAT_MIN_SECONDS, this.#pollInterval));
    if (!(beat > 0)) throw new RangeError(`heartbeatInterval must be positive, got ${beat}`);
    this.#tracking = new WorkerTracking({
      dbUrl: options.dbUrl,
      heartbeatInterval: beat,
      env: this.#env,
    });
    if (
      options.concurrency !== undefined &&
      !(Number.isInteger(options.concurrency) && options.concurrency >= 1)
    ) {
      throw new RangeError(`concurrency must be an integer >= 1, got ${options.concurrency}`);
    }
    const parallel = options.parallelVectorizers;
    if (parallel !== undefined && !(Number.isInteger(parallel) && parallel >= 1)) {
      throw new RangeError(`parallelVectorizers must be an integer >= 1, got ${parallel}`);
    }
  }

  /**
   * Runs until stopped (or one poll with `once`). Never throws for handled errors: returns the
   * error that ended it in exit-on-error mode, else undefined.
   */
  run(): Promise<Error | undefined> {
    this.#running ??= this.#run();
    return this.#running;
  }

  /**
   * Requests a graceful shutdown: no new batches, the in-flight batch gets `shutdownTimeout`
   * seconds to finish (then it is rolled back), a final heartbeat is written. Resolves when
   * `run()` has finished. Idempotent.
   */
  stop(): Promise<void> {
    if (this.#stopping) return this.#stopping;
    if (!this.#stop.signal.aborted) log.info("got a graceful shutdown request");
    this.#stop.abort();
    const deadline = setTimeout(
      () => this.#abort.abort(),
      (this.#options.shutdownTimeout ?? 10) * 1000,
    );
    this.#stopping = (this.#running ?? Promise.resolve(undefined)).then(
      () => clearTimeout(deadline),
      () => clearTimeout(deadline),
    );
    return this.#stopping;
  }

  async #run(): Promise<Error | undefined> {
    const signal = this.#options.signal;
    const onSignal = () => void this.stop();
    if (signal?.aborted) onSignal();
    signal?.addEventListener("abort", onSignal, { once: true });
    log.debug("starting vectorizer worker");
    try {
      if (this.#options.healthPort !== undefined) {
        this.#health = startHealthServer(this.#options.healthPort, this.#options.healthHost, {
          alive: () => this.#alive(),
          ready: () => this.#catalog !== undefined && isInstalled(this.#catalog),
          details: () => this.#healthDetails(),
        });
      }
      return await this.#loop();
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      log.error(`unexpected error: ${error.message}`);
      return error;
    } finally {
      this.#phase = "stopped";
      signal?.removeEventListener("abort", onSignal);
      await this.#tracking.stop();
      await this.#control?.end({ timeout: 2 }).catch(() => {});
      this.#control = undefined;
      await this.#health?.close();
      this.#health = undefined;
    }
  }

  async #loop(): Promise<Error | undefined> {
    let reconnects = 0;
    while (!this.#stop.signal.aborted) {
      this.#phase = "working";
      this.#touch();
      let connectionTrouble = false;
      const errors = await this.#poll();
      for (const e of errors) {
        connectionTrouble ||= e.connection;
        this.#report(e);
        await this.#tracking.error(this.#control, e.vectorizerId, e.tracked);
        if (this.#exitOnError) {
          log.info("exiting processor due to error");
          return e;
        }
      }
      if (this.#options.once) {
        log.info("once mode, exiting...");
        return undefined;
      }
      if (this.#stop.signal.aborted) break;
      let seconds = Math.max(MIN_POLL_SECONDS, this.#pollInterval);
      if (connectionTrouble) {
        reconnects++;
        seconds = Math.min(seconds, MAX_RECONNECT_SECONDS, 2 ** Math.min(reconnects - 1, 5));
      } else {
        reconnects = 0;
      }
      log.info(`sleeping for ${timedelta(seconds)} before polling for new work`);
      this.#phase = "sleeping";
      this.#wakeAt = Date.now() + seconds * 1000;
      this.#touch();
      await interruptibleSleep(seconds * 1000, this.#stop.signal);
    }
    log.info("exiting processor.run()");
    return undefined;
  }

  /** One pass over the vectorizers; returns the handled errors in the order they happened. */
  async #poll(): Promise<LoopError[]> {
    const errors: LoopError[] = [];
    let ids: number[];
    try {
      const control = this.#controlClient();
      const catalog = await probeCatalog(control);
      this.#catalog = catalog;
      if (!isInstalled(catalog)) throw new PgaiNotInstalledError();
      const warning = outdatedWarning(catalog);
      if (warning && warning !== this.#warned) log.warn(warning);
      this.#warned = warning;
      await this.#tracking.start(control, catalog.features.workerTracking);
      ids = await this.#selectIds(control, errors);
    } catch (e) {
      errors.push(toLoopError(e));
      return errors;
    }
    // `parallelVectorizers` lanes take the vectorizers in turn. In exit-on-error mode the first
    // error ends the pass: no vectorizer starts after it, and those running stop after their
    // current batches, as on a stop request.
    const pass = new AbortController();
    const stop = AbortSignal.any([this.#stop.signal, pass.signal]);
    let next = 0;
    const lane = async () => {
      while (next < ids.length && !stop.aborted) {
        const id = ids[next++]!;
        try {
          await this.#runOne(id, stop);
        } catch (e) {
          errors.push(toLoopError(e, id));
          if (this.#exitOnError) pass.abort();
        }
      }
    };
    const lanes = Math.min(this.#options.parallelVectorizers ?? 1, ids.length);
    await Promise.all(Array.from({ length: lanes }, lane));
    return errors;
  }

  async #selectIds(control: postgres.Sql, errors: LoopError[]): Promise<number[]> {
    const wanted = this.#options.vectorizerIds ?? [];
    let ids: number[];
    if (wanted.length === 0) {
      ids = (await control.unsafe<{ id: number }[]>("select id from ai.vectorizer")).map((r) =>
        r.id
      );
      if (ids.length === 0) log.warn("no vectorizers found");
    } else {
      ids = (await control.unsafe<{ id: number }[]>(
        "select id from ai.vectorizer where id = any($1::int4[])",
        [`{${wanted.join(",")}}`],
      )).map((r) => r.id);
      shuffle(ids);
      if (ids.length !== wanted.length) {
        // Reported once per change of the set found; the vectorizers that exist still run.
        if (this.#fixedIdsFound !== ids.length) {
          errors.push(
            new LoopError(
              `invalid vectorizers, wanted: [${wanted.join(", ")}], got: [${ids.join(", ")}]`,
            ),
          );
        }
      }
      this.#fixedIdsFound = ids.length;
      if (ids.length === 0) log.warn("no vectorizers found");
      return ids;
    }
    shuffle(ids);
    return ids;
  }

  /** Loads, checks and runs one vectorizer; its executors stop taking batches once `stop` aborts. */
  async #runOne(id: number, stop: AbortSignal): Promise<void> {
    const control = this.#controlClient();
    const [row] = await control.unsafe<{ v: Record<string, unknown> }[]>(
      "select to_jsonb(v) as v from ai.vectorizer v where id = $1::int4",
      [id],
    );
    if (!row) {
      throw new LoopError(
        `error getting vectorizer: VectorizerNotFoundError: vectorizer_id=${id}`,
        id,
      );
    }
    if (row.v.disabled === true) {
      log.debug("skipping disabled vectorizer", { vectorizer_id: id });
      return;
    }
    const migration = migrateVectorizerRow(row.v);
    for (const w of migration.warnings) log.warn(w, { vectorizer_id: id });
    for (const m of migration.applied) {
      log.info(
        `Applying Vectorizer Config migration from version ${m.from} to version ${m.to}: ${m.description}`,
      );
    }
    let vectorizer: Vectorizer;
    try {
      vectorizer = parseVectorizer(migration.row);
      // A separator regex Python would reject, or sizes LangChain refuses, fail every row:
      // report them once here instead of per batch.
      chunkText(vectorizer.config.chunking, "pgai");
    } catch (e) {
      await this.#recordVectorizerError(id, e);
      throw new LoopError(`unexpected error: ${(e as Error).message}`, id, false, e);
    }
    const features = this.#catalog!.features;
    let apiKey: string | undefined;
    try {
      apiKey = await resolveApiKey(vectorizer, this.#env, features.revealSecret, control);
    } catch (e) {
      if (e instanceof ApiKeyNotFoundError) {
        throw new LoopError(
          `error getting vectorizer: ApiKeyNotFoundError: ${e.message}`,
          id,
          false,
          e,
        );
      }
      throw e;
    }
    const embedder = createEmbedder(vectorizer.config.embedding as unknown as EmbeddingConfig, {
      apiKey,
      env: this.#env,
      signal: this.#abort.signal,
    });
    log.info("running vectorizer", { vectorizer_id: id });
    if (!await hasQueuedWork(control, vectorizer, features.loadingRetries)) {
      log.info("finished processing vectorizer", { items: 0, chunks: 0, vectorizer_id: id });
      return;
    }
    try {
      await embedder.setup();
    } catch (e) {
      if (this.#abort.signal.aborted) return;
      await this.#recordVectorizerError(id, e);
      throw new LoopError(`unexpected error: ${(e as Error).message}`, id, isConnectionError(e), e);
    }
    const result = await runVectorizer({
      dbUrl: this.#options.dbUrl,
      vectorizer,
      features,
      embedder,
      tracking: this.#tracking,
      concurrency: this.#options.concurrency ?? vectorizer.config.processing.concurrency,
      env: this.#env,
      stopSignal: stop,
      abortSignal: this.#abort.signal,
      onActivity: () => this.#touch(),
      control,
    });
    log.info("finished processing vectorizer", {
      items: result.items,
      chunks: result.chunks,
      vectorizer_id: id,
    });
    if (result.errors.length > 0) {
      const n = result.errors.length;
      const summary = `vectorizer finished with errors (${n} sub-exception${n === 1 ? "" : "s"})`;
      // The progress table gets the executor's own error text, once (pgai stores it and then
      // this summary, counting the failure twice, §7.15).
      throw new LoopError(
        `unexpected error: ${summary}`,
        id,
        result.errors.some(isConnectionError),
        result.errors[0],
        result.errors[0]!.message,
      );
    }
  }

  /**
   * Error row for a problem found before any batch ran (config, embedder setup). pgai records
   * these, Ollama's setup included, as `vectorizer failed with unexpected error` (§3.8).
   */
  async #recordVectorizerError(id: number, e: unknown): Promise<void> {
    const reason = e instanceof Error ? e.message : String(e);
    const record = { message: VECTORIZER_FAILED, details: { error_reason: reason } };
    try {
      await insertErrors(this.#controlClient(), this.#catalog!.features, id, [record]);
    } catch (insertError) {
      log.error("could not record the error in the errors table", {
        vectorizer_id: id,
        error: String(insertError),
      });
    }
  }

  #report(e: LoopError): void {
    log.error(e.message, e.vectorizerId ? { vectorizer_id: e.vectorizerId } : undefined);
  }

  #controlClient(): postgres.Sql {
    this.#control ??= connect(this.#options.dbUrl, { connectTimeout: 10, env: this.#env });
    return this.#control;
  }

  #touch(): void {
    this.#lastActivity = Date.now();
  }

  #alive(): boolean {
    const now = Date.now();
    switch (this.#phase) {
      case "stopped":
        return false;
      case "sleeping":
        return now <= this.#wakeAt + 60_000;
      default:
        return now - this.#lastActivity <= STUCK_AFTER_MS;
    }
  }

  #healthDetails(): Record<string, unknown> {
    return {
      phase: this.#phase,
      last_activity: new Date(this.#lastActivity).toISOString(),
      worker_id: this.#tracking.id,
      catalog_version: this.#catalog?.libraryVersion ?? this.#catalog?.extensionVersion ?? null,
    };
  }
}

function toLoopError(e: unknown, vectorizerId?: number): LoopError {
  if (e instanceof LoopError) return e;
  const error = e instanceof Error ? e : new Error(String(e));
  if (e instanceof PgaiNotInstalledError) return new LoopError(error.message, undefined, false, e);
  const failure = connectionFailureText(e);
  if (failure !== undefined) {
    return new LoopError(`unable to connect to database: ${failure}`, vectorizerId, true, e);
  }
  if (isConnectionError(e)) {
    return new LoopError(`unexpected error: ${error.message}`, vectorizerId, true, e);
  }
  return new LoopError(`unexpected error: ${error.message}`, vectorizerId, false, e);
}

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

/** Python's `str(timedelta(seconds=s))`: `0:05:00`, `1 day, 1:00:00`, `0:00:01.500000`. */
export function timedelta(seconds: number): string {
  const micros = Math.round(seconds * 1e6);
  const days = Math.floor(micros / 86_400e6);
  let rest = micros - days * 86_400e6;
  const h = Math.floor(rest / 3600e6);
  rest -= h * 3600e6;
  const m = Math.floor(rest / 60e6);
  rest -= m * 60e6;
  const s = Math.floor(rest / 1e6);
  const us = rest - s * 1e6;
  let text = `${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
  if (us) text += `.${String(us).padStart(6, "0")}`;
  if (days) text = `${days} day${Math.abs(days) === 1 ? "" : "s"}, ${text}`;
  return text;
}
