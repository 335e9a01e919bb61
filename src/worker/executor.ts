/**
 * Running one vectorizer: N executors, each with its own connection, taking batches until the
 * queue is drained, the vectorizer is disabled, a batch fails, or shutdown is requested
 * (contract §2.6, §3.1).
 *
 * Differences from pgai, each fixing a weakness of §7: an executor keeps going after a batch that
 * found only deleted rows or rows locked by another worker while queue rows remain (§7.7); when
 * one executor hits a batch-wide failure its siblings stop after their current batch instead of
 * each recording the same error (§7.15); the error row of a failed batch is written after the
 * rollback and a failure to write it never replaces the original error (§7.4); progress of long
 * backfills is logged every few seconds.
 */
import type postgres from "postgres";
import { connect } from "../db/connect.ts";
import type { CatalogFeatures } from "../db/catalog.ts";
import { insertErrors } from "../db/errors.ts";
import { QueueStatements } from "../db/queue.ts";
import { type ColumnInfo, qualified, tableColumns } from "../db/relations.ts";
import { ColumnStore, TableStore } from "../db/store.ts";
import { EmbeddingCopyEncoder } from "../db/wire.ts";
import type { Embedder } from "../embedders/mod.ts";
import { getLogger } from "../log.ts";
import {
  type BatchContext,
  batchErrorRecord,
  BatchFailure,
  type BatchOutcome,
  type Destination,
  runBatch,
  succeededRows,
} from "./batch.ts";
import { batchSize, type Vectorizer } from "./config.ts";
import { Formatter } from "./formatter.ts";
import { interruptibleSleep } from "./sleep.ts";
import { ProgressReporter } from "./progress.ts";
import type { WorkerTracking } from "./tracking.ts";

const log = getLogger("worker");

/** Seconds between progress lines of a long-running vectorizer. */
const PROGRESS_EVERY_MS = 10_000;
/** Batches in a row that found only keys locked by others before an executor gives up. */
const MAX_CONTENDED_BATCHES = 5;
/** Executors of a vectorizer whose concurrency is not configured, once its queue is busy. */
const AUTO_EXECUTORS = 2;
/**
 * Least time between the first batches of the executors of a `-c N` run: about what writing a
 * default batch takes (COPY and commit of ~150 chunks), so that their responses come back spread
 * out. Measured with 8 executors and a 300 ms provider: 20 ms gaps gave ~4 % more rows/s than
 * none; 10-40 ms gaps otherwise stayed within the ±4 % noise of the measurement.
 */
const FIRST_BATCH_GAP_MS = 20;
/** Batches in a row whose rows all failed before an executor stops (a brake for bad configs). */
const MAX_FAILED_BATCHES = 3;

/** What running a vectorizer needs from the worker. */
export interface VectorizerRunOptions {
  dbUrl: string;
  vectorizer: Vectorizer;
  features: CatalogFeatures;
  embedder: Embedder;
  tracking: WorkerTracking;
  /**
   * Executors to run. Undefined (neither `-c` nor `processing.concurrency` given): one, joined by
   * a second as soon as a batch comes back full, i.e. during a backfill. pgai runs one; two keep
   * the database and the worker busy at the same time instead of taking turns.
   */
  concurrency: number | undefined;
  env?: Record<string, string | undefined>;
  /** Aborted: take no new batch. */
  stopSignal: AbortSignal;
  /** Aborted: abandon the in-flight batch (rolled back). */
  abortSignal: AbortSignal;
  /** Called on progress (health endpoint). */
  onActivity?: () => void;
  /** Connection used for progress counts and error reports outside executors. */
  control: postgres.Sql;
}

/** Result of {@link runVectorizer}. */
export interface VectorizerRunResult {
  /** Keys taken from the queue (pgai's "items"). */
  items: number;
  /** Rows whose embeddings were written. */
  embedded: number;
  chunks: number;
  /** Errors that ended executors, in the order they happened. */
  errors: Error[];
}

/** Shared state of the executors of one vectorizer run. */
class RunState {
  items = 0;
  embedded = 0;
  chunks = 0;
  failedRows = 0;
  readonly errors: Error[] = [];
  /** Error reasons already written to the errors table in this run. */
  readonly recorded = new Set<string>();
  /** Keys that failed in this run (see BatchContext.failedKeys). */
  readonly failedKeys = new Set<string>();
  /** Set when an executor failed: the others stop after their current batch. */
  failed = false;
  readonly started = performance.now();
  lastReport = performance.now();
  reporting = false;
  /** Called after a batch that took as many keys as the batch size allows. */
  onFullBatch: (() => void) | undefined;
  readonly progress: ProgressReporter;

  constructor(progress: ProgressReporter) {
    this.progress = progress;
  }
}

/** Runs the executors of one vectorizer and waits for all of them. */
export async function runVectorizer(options: VectorizerRunOptions): Promise<VectorizerRunResult> {
  const v = options.vectorizer;
  const state = new RunState(
    new ProgressReporter(v.id, (n) => options.tracking.progress(options.control, v.id, n)),
  );
  // The table layouts are read once, on the control connection, while the executors connect.
  const layouts = readLayouts(options);
  layouts.catch(() => {}); // each executor reports the failure as its own
  const executors: Promise<void>[] = [];
  const start = (turn?: Turn) =>
    executors.push(runExecutor(options, state, layouts, executors.length, turn));
  if (options.concurrency === undefined) {
    state.onFullBatch = () => {
      if (executors.length < AUTO_EXECUTORS) start();
    };
    start();
  } else {
    // All executors connect and read the table layouts at once, then take their first batches
    // one after another: each once the previous one has its batch at the provider (or has
    // ended), and at least FIRST_BATCH_GAP_MS after the previous one began. Started together,
    // their responses would arrive together and their work (decoding, COPY, commit) would queue
    // up on the one JS thread and in the database, round after round; staggered, one executor's
    // work overlaps the others' waiting.
    let previous: Promise<void> = Promise.resolve();
    for (let i = 0; i < options.concurrency; i++) {
      let release = () => {};
      const next = new Promise<void>((resolve) => release = resolve);
      start({ after: previous, release });
      previous = next;
    }
  }
  // Executors may be added while waiting.
  for (let done = 0; done < executors.length; done++) await executors[done];
  // Recorded before the run is reported finished (not waited for once shutdown is forced).
  if (!options.abortSignal.aborted) await state.progress.drain();
  return {
    items: state.items,
    embedded: state.embedded,
    chunks: state.chunks,
    errors: state.errors,
  };
}

/** When an executor of a staggered start may take its first batch, and how it lets the next go. */
interface Turn {
  /**
   * Resolves when the previous executor has its first batch at the provider and began it at least
   * FIRST_BATCH_GAP_MS ago, or has ended.
   */
  after: Promise<void>;
  /** Lets the next executor take its first batch (called once, early or at the end). */
  release: () => void;
}

/**
 * Runs one executor until its loop ends. With a `turn`, the executor prepares at once but takes
 * its first batch only after `turn.after`, and releases the next executor when that batch reaches
 * the provider or when it ends, whichever comes first.
 */
async function runExecutor(
  options: VectorizerRunOptions,
  state: RunState,
  layouts: Promise<Layouts>,
  index: number,
  turn?: Turn,
) {
  const v = options.vectorizer;
  const release = () => turn?.release();
  const sql = connect(options.dbUrl, {
    applicationName: `pgai-worker[${v.id}]: ${options.tracking.shortId}`,
    ...(options.env ? { env: options.env } : {}),
    // Executors pass no JS arrays and read no array columns.
    fetchTypes: false,
  });
  // Closing the connection is how a stuck query (lock wait, slow COPY) is abandoned at the
  // shutdown deadline; the server rolls the transaction back.
  const onAbort = () => void sql.end({ timeout: 0 });
  options.abortSignal.addEventListener("abort", onAbort, { once: true });
  try {
    const ctx = batchContext(await layouts, options, state);
    if (turn) {
      await turn.after;
      const firstBatch = performance.now();
      ctx.onEmbedding = () => {
        const wait = FIRST_BATCH_GAP_MS - (performance.now() - firstBatch);
        if (wait <= 0) release();
        else setTimeout(release, wait);
      };
    }
    let contended = 0;
    let failedInRow = 0;
    while (!options.stopSignal.aborted && !state.failed) {
      const started = performance.now();
      const outcome = await runBatch(sql, ctx);
      options.onActivity?.();
      record(options, state, outcome, performance.now() - started, index);
      // Successes exclude rows that failed or were put back (pgai counts them, §7.15).
      options.tracking.countSuccesses(succeededRows(outcome));
      state.progress.add(succeededRows(outcome));
      if (outcome.disabled) {
        log.info("vectorizer is disabled, stopping", { vectorizer_id: v.id });
        break;
      }
      await reportProgress(options, state);
      if (outcome.selected === 0) break; // queue drained (or every row is held by others)
      if (outcome.items === 0) {
        // Queue rows exist but their keys are locked by another worker: wait a little, unless
        // these were the last rows (they are left to the next poll).
        if (outcome.selected < ctx.batchSize || ++contended >= MAX_CONTENDED_BATCHES) break;
        await interruptibleSleep(100 * contended, options.stopSignal);
        continue;
      }
      contended = 0;
      if (outcome.selected >= ctx.batchSize) state.onFullBatch?.();
      const progressed = outcome.embedded + outcome.empty + outcome.missing > 0;
      failedInRow = progressed ? 0 : failedInRow + 1;
      // Without retry columns, re-queued rows come straight back: stop once only they are left.
      if (!progressed && !options.features.loadingRetries) break;
      if (failedInRow >= MAX_FAILED_BATCHES) break;
      if (outcome.selected < ctx.batchSize) break; // took the last queued rows
    }
  } catch (e) {
    if (options.abortSignal.aborted) {
      log.info("batch abandoned at shutdown, rolled back", { vectorizer_id: v.id });
      return;
    }
    state.failed = true;
    const error = e instanceof Error ? e : new Error(String(e));
    state.errors.push(error);
    const record = e instanceof BatchFailure ? e.record : batchErrorRecord(options, e);
    const reason = String(record.details.error_reason ?? error.message);
    log.error(record.message, { vectorizer_id: v.id, error: reason });
    // Executors failing alike (setup, provider down) leave one error row, not one each (§7.15).
    if (state.recorded.has(reason)) return;
    state.recorded.add(reason);
    try {
      await insertErrors(sql, options.features, v.id, [record]);
    } catch (insertError) {
      log.error("could not record the error in the errors table", {
        vectorizer_id: v.id,
        error: String(insertError),
      });
    }
  } finally {
    release();
    options.abortSignal.removeEventListener("abort", onAbort);
    await sql.end({ timeout: 5 });
  }
}

/** The columns of the tables a vectorizer's batches touch. */
interface Layouts {
  queue: Map<string, ColumnInfo>;
  /** The store table (table destination) or the source table (column destination). */
  destination: Map<string, ColumnInfo>;
}

/** Reads the vectorizer's table layouts. */
async function readLayouts(options: VectorizerRunOptions): Promise<Layouts> {
  const v = options.vectorizer;
  const dest = v.config.destination;
  const [queue, destination] = await Promise.all([
    tableColumns(options.control, v.queueSchema, v.queueTable),
    dest.implementation === "table"
      ? tableColumns(options.control, dest.target_schema, dest.target_table)
      : tableColumns(options.control, v.sourceSchema, v.sourceTable),
  ]);
  return { queue, destination };
}

/** Builds the statements every batch of one executor uses. */
function batchContext(
  layouts: Layouts,
  options: VectorizerRunOptions,
  state: RunState,
): BatchContext {
  const v = options.vectorizer;
  const retries = options.features.loadingRetries;
  const disabledColumn = options.features.disabledColumn;
  const queueColumns = layouts.queue;
  const dest = v.config.destination;
  let destination: Destination;
  let queue: QueueStatements;
  if (dest.implementation === "table") {
    const columns = layouts.destination;
    const target = { schema: dest.target_schema, table: dest.target_table, columns };
    queue = new QueueStatements({ vectorizer: v, retries, disabledColumn, queueColumns, target });
    destination = {
      kind: "table",
      store: new TableStore(v, dest.target_schema, dest.target_table, columns),
      encoder: new EmbeddingCopyEncoder(),
    };
  } else {
    queue = new QueueStatements({ vectorizer: v, retries, disabledColumn, queueColumns });
    destination = {
      kind: "column",
      store: new ColumnStore(v, dest.embedding_column, layouts.destination),
    };
  }
  return {
    vectorizer: v,
    features: options.features,
    queue,
    destination,
    embedder: options.embedder,
    formatter: new Formatter(v.config.formatting),
    failedKeys: state.failedKeys,
    batchSize: batchSize(v.config),
    signal: options.abortSignal,
    ...(options.onActivity ? { onActivity: options.onActivity } : {}),
  };
}

function record(
  options: VectorizerRunOptions,
  state: RunState,
  o: BatchOutcome,
  ms: number,
  executor: number,
): void {
  state.items += o.items;
  state.embedded += o.embedded;
  state.chunks += o.chunks;
  state.failedRows += o.failures.length;
  const v = options.vectorizer;
  if (o.items === 0) return;
  log.debug(`Items pulled from queue: ${o.items}`, { vectorizer_id: v.id });
  log.debug(`Chunks produced: ${o.chunks}`, { vectorizer_id: v.id });
  log.debug("batch committed", {
    vectorizer_id: v.id,
    executor,
    rows: o.items,
    embedded: o.embedded,
    chunks: o.chunks,
    deleted: o.missing,
    empty: o.empty,
    failed: o.failures.length,
    ms: Math.round(ms),
  });
  for (const f of o.failures) {
    const pk = Object.fromEntries(f.item.pk.map((value, i) => [String(i), value]));
    log.warn(f.retried ? "row failed, will retry later" : "row failed too often, parked", {
      vectorizer_id: v.id,
      step: f.stage,
      pk: Object.values(pk).join(","),
      error: f.error.message,
    });
  }
}

/** Logs rows done, rows/s and the remaining queue every few seconds of a long run. */
async function reportProgress(options: VectorizerRunOptions, state: RunState): Promise<void> {
  const now = performance.now();
  if (now - state.lastReport < PROGRESS_EVERY_MS || state.reporting) return;
  state.reporting = true;
  state.lastReport = now;
  const v = options.vectorizer;
  let remaining: number | undefined;
  try {
    const [row] = await options.control.unsafe<{ n: number }[]>(
      `select count(*)::int8 as n from ${qualified(v.queueSchema, v.queueTable)}`,
    );
    remaining = row ? Number(row.n) : undefined;
  } catch {
    // The count is informative only.
  } finally {
    state.reporting = false;
  }
  const seconds = (now - state.started) / 1000;
  log.info("vectorizer progress", {
    vectorizer_id: v.id,
    rows: state.items,
    chunks: state.chunks,
    failed_rows: state.failedRows,
    rows_per_second: Math.round(state.items / Math.max(seconds, 0.001)),
    ...(remaining === undefined ? {} : { queue_remaining: remaining }),
  });
}
