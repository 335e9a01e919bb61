/**
 * Worker tracking (contract §2.7): the worker's row in `ai.vectorizer_worker_process`, its
 * heartbeats, and per-vectorizer progress in `ai.vectorizer_worker_progress`.
 *
 * All of it is a no-op on catalogs without the tracking tables. Unlike pgai (§7.4, §7.9) the
 * heartbeat runs on its own interval (not the poll interval, which may be tiny or huge), survives
 * database restarts by retrying with backoff instead of giving up after three failures, and keeps
 * its success/error counters until a heartbeat has actually been stored.
 */
import type postgres from "postgres";
import { connect } from "../db/connect.ts";
import { PGAI_VERSION } from "./semver.ts";
import { getLogger } from "../log.ts";
import { interruptibleSleep } from "./sleep.ts";

const log = getLogger("worker");

/** Options for {@link WorkerTracking}. */
export interface TrackingOptions {
  dbUrl: string;
  /** Seconds between heartbeats (also recorded as `expected_heartbeat_interval`). */
  heartbeatInterval: number;
  env?: Record<string, string | undefined>;
}

/** The worker's tracking state; one per worker process. */
export class WorkerTracking {
  readonly #options: TrackingOptions;
  #id: string | null = null;
  #enabled = false;
  #successes = 0;
  #errors = 0;
  #lastError: string | null = null;
  #heartbeatTask: Promise<void> | undefined;
  #heartbeatStop = new AbortController();
  #sql: postgres.Sql | undefined;

  constructor(options: TrackingOptions) {
    this.#options = options;
  }

  /** The worker's UUID once started, else null. */
  get id(): string | null {
    return this.#id;
  }

  /** Text before the first `-` of the UUID, used in application names ("" without tracking). */
  get shortId(): string {
    return this.#id === null ? "" : this.#id.split("-")[0]!;
  }

  /** Whether the catalog has the tracking tables and this worker is registered. */
  get enabled(): boolean {
    return this.#enabled && this.#id !== null;
  }

  /**
   * Registers the worker (`ai._worker_start`) once the catalog supports it and starts the
   * heartbeat task. Safe to call on every poll: it only acts the first time tracking is available.
   */
  async start(sql: postgres.Sql, trackingAvailable: boolean): Promise<void> {
    this.#enabled = trackingAvailable;
    if (!trackingAvailable || this.#id !== null) return;
    const [row] = await sql.unsafe<{ id: string }[]>(
      "select ai._worker_start($1::text, make_interval(secs => $2::float8))::text as id",
      [PGAI_VERSION, this.#options.heartbeatInterval],
    );
    this.#id = row?.id ?? null;
    if (this.#id !== null) this.#heartbeatTask = this.#heartbeatLoop();
  }

  /** Counts `n` processed items for the next heartbeat. */
  countSuccesses(n: number): void {
    this.#successes += n;
  }

  /**
   * Records successful items for a vectorizer (`ai._worker_progress(id, vid, n, NULL)`) on the
   * given connection, after their batches committed (executors send them on the control
   * connection, several batches at once when they come quickly). Count the items with
   * {@link countSuccesses} as well, for the heartbeat.
   */
  async progress(sql: postgres.Sql, vectorizerId: number, items: number): Promise<void> {
    if (!this.enabled) return;
    await sql.unsafe("select ai._worker_progress($1::uuid, $2::int4, $3::int4, null)", [
      this.#id,
      vectorizerId,
      items,
    ], { prepare: true });
  }

  /**
   * Records an error: counted for the next heartbeat and, when a vectorizer is given, stored in
   * its progress row. A failure to store it is logged, never thrown (the original error matters).
   */
  async error(sql: postgres.Sql | undefined, vectorizerId: number | undefined, message: string) {
    this.#errors += 1;
    this.#lastError = message;
    if (!this.enabled || vectorizerId === undefined || sql === undefined) return;
    try {
      await sql.unsafe("select ai._worker_progress($1::uuid, $2::int4, 0, $3::text)", [
        this.#id,
        vectorizerId,
        message,
      ]);
    } catch (e) {
      log.warn("could not record the error in the progress table", {
        vectorizer_id: vectorizerId,
        error: String(e),
      });
    }
  }

  async #beat(sql: postgres.Sql): Promise<void> {
    const successes = this.#successes;
    const errors = this.#errors;
    const lastError = this.#lastError;
    await sql.unsafe("select ai._worker_heartbeat($1::uuid, $2::int4, $3::int4, $4::text)", [
      this.#id,
      successes,
      errors,
      lastError,
    ]);
    // Only what was sent is subtracted: counts added meanwhile go with the next heartbeat.
    this.#successes -= successes;
    this.#errors -= errors;
    if (this.#lastError === lastError) this.#lastError = null;
  }

  #client(): postgres.Sql {
    this.#sql ??= connect(this.#options.dbUrl, {
      applicationName: `pgai-worker-heartbeat: ${this.shortId}`,
      connectTimeout: 10,
      ...(this.#options.env ? { env: this.#options.env } : {}),
    });
    return this.#sql;
  }

  async #heartbeatLoop(): Promise<void> {
    const signal = this.#heartbeatStop.signal;
    let failures = 0;
    while (!signal.aborted) {
      let wait = this.#options.heartbeatInterval;
      try {
        await this.#beat(this.#client());
        failures = 0;
      } catch (e) {
        failures++;
        log.error("heartbeat failed", { error: String(e), count: failures });
        wait = Math.min(this.#options.heartbeatInterval, 2 ** Math.min(failures - 1, 5));
      }
      await interruptibleSleep(wait * 1000, signal);
    }
  }

  /**
   * Stops the heartbeat task and sends one last heartbeat with the remaining counts (pgai's
   * "force" heartbeat). Errors are logged; the worker is ending anyway.
   */
  async stop(): Promise<void> {
    this.#heartbeatStop.abort();
    await this.#heartbeatTask;
    this.#heartbeatTask = undefined;
    this.#heartbeatStop = new AbortController();
    if (this.enabled) {
      try {
        await this.#beat(this.#client());
      } catch (e) {
        log.error("heartbeat failed", { error: String(e), count: 1 });
      }
    }
    await this.#sql?.end({ timeout: 2 });
    this.#sql = undefined;
  }
}
