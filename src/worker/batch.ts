/**
 * One batch: take queued rows, load, parse, chunk, format, embed, store, commit (contract §3).
 *
 * Everything happens in one transaction on the executor's connection, so a crash or a failure
 * leaves the queue as it was. Rows are isolated from each other (fixing pgai's poison batches,
 * §7.1): a row that fails on its own (loading, parsing, chunking, formatting, or a provider that
 * rejects its input) is put back in the queue with pgai's loading-retry backoff, or parked in the
 * failed queue after `loading.retries` attempts, with an error row naming its primary key, while
 * the rest of the batch is stored. Failures that concern the whole batch (provider down, missing
 * key, bad template, database errors) raise {@link BatchFailure}: the transaction rolls back and
 * the queue stays intact. Template errors are batch-wide by nature (every row has the same
 * columns); chunking settings are checked when the vectorizer is loaded; provider errors count
 * as the row's fault only when the embedder says the provider rejected the input.
 */
import type postgres from "postgres";
import type { Embedder } from "../embedders/mod.ts";
import { BatchLimitError, EmbeddingProviderError } from "../embedders/mod.ts";
import type { CatalogFeatures } from "../db/catalog.ts";
import {
  EMBEDDING_PROVIDER_FAILED,
  type ErrorRecord,
  insertErrors,
  LOADING_FAILED,
  VECTORIZER_FAILED,
} from "../db/errors.ts";
import type { QueueItem, QueueStatements } from "../db/queue.ts";
import type { ColumnStore, TableStore } from "../db/store.ts";
import type { EmbeddingCopyEncoder } from "../db/wire.ts";
import { chunkText } from "../pipeline/chunking.ts";
import { isEmptyPayload, loadRow, type Payload } from "../pipeline/loading.ts";
import { parsePayload } from "../pipeline/parsing.ts";
import type { SourceRow } from "../pipeline/row.ts";
import { TemplateError } from "../pipeline/formatting.ts";
import type { Vectorizer } from "./config.ts";
import type { Formatter } from "./formatter.ts";
import { BatchMemory } from "./memory.ts";

/** The pipeline stage a row failed in (also the failed queue's `failure_step`). */
export type Stage = "loading" | "parsing" | "chunking" | "formatting" | "embedding";

/** Where embeddings go. */
export type Destination =
  | { kind: "table"; store: TableStore; encoder: EmbeddingCopyEncoder }
  | { kind: "column"; store: ColumnStore };

/** What a batch needs; built once per executor. */
export interface BatchContext {
  vectorizer: Vectorizer;
  features: CatalogFeatures;
  queue: QueueStatements;
  destination: Destination;
  embedder: Embedder;
  /** The formatting stage (compiled template, render context). */
  formatter: Formatter;
  batchSize: number;
  /** Aborts the in-flight batch (shutdown deadline). */
  signal: AbortSignal;
  /** Called whenever the batch makes progress (for the health endpoint). */
  onActivity?: () => void;
  /** Called when the batch's chunks are about to be sent to the provider. */
  onEmbedding?: () => void;
  /**
   * Keys that failed earlier in this run. Without retry columns (extension-era catalogs) a
   * re-queued row comes straight back; such rows are put back untouched until the next run.
   */
  failedKeys: Set<string>;
}

/** A row that failed on its own. */
export interface RowFailure {
  item: QueueItem;
  stage: Stage;
  error: Error;
  /** Whether it was put back in the queue (false: parked in the failed queue). */
  retried: boolean;
}

/** What a committed batch did. */
export interface BatchOutcome {
  /** Queue rows the fetch saw. */
  selected: number;
  /** The vectorizer is disabled: nothing was taken. */
  disabled: boolean;
  /** Distinct keys taken from the queue. */
  items: number;
  /** Keys whose source row no longer exists. */
  missing: number;
  /** Rows whose embeddings were written. */
  embedded: number;
  /** Rows skipped (or cleared) because their content is empty. */
  empty: number;
  /** Rows that already failed in this run, put back for the next run. */
  deferred: number;
  /** Chunks written. */
  chunks: number;
  failures: RowFailure[];
}

/** The whole batch failed and was rolled back; `record` is its error row. */
export class BatchFailure extends Error {
  readonly record: ErrorRecord;
  constructor(record: ErrorRecord, cause: unknown) {
    super(String(record.details.error_reason ?? record.message), { cause });
    this.name = "BatchFailure";
    this.record = record;
  }
}

interface RowWork {
  item: QueueItem;
  row: SourceRow;
  chunks: string[];
  vectors: Float32Array[];
}

/**
 * Runs one batch in a transaction on `sql`, the executor's own single-connection client.
 * Throws {@link BatchFailure} after rolling back.
 */
export async function runBatch(sql: postgres.Sql, ctx: BatchContext): Promise<BatchOutcome> {
  let open = false;
  try {
    // BEGIN goes out together with the fetch (npm:postgres pipelines the queries of a
    // connection): one round trip fewer per batch. npm:postgres sends a query only once it is
    // awaited or executed, so BEGIN is executed here, before the fetch is issued. Should BEGIN
    // fail, so does everything after it on that connection, and the batch is rolled back.
    const begun = sql.unsafe("begin").execute();
    open = true;
    const outcome = await processBatch(sql as unknown as postgres.TransactionSql, ctx, begun);
    const commit = await sql.unsafe("commit");
    open = false;
    if (commit.command !== "COMMIT") throw new Error("the batch transaction was rolled back");
    return outcome;
  } catch (e) {
    if (open) await sql.unsafe("rollback").catch(() => {});
    if (e instanceof BatchFailure || ctx.signal.aborted) throw e;
    throw new BatchFailure(batchErrorRecord(ctx, e), e);
  }
}

/** Rows a committed batch handled successfully (not failed, not put back). */
export function succeededRows(o: BatchOutcome): number {
  return o.items - o.failures.length - o.deferred;
}

async function processBatch(
  tx: postgres.TransactionSql,
  ctx: BatchContext,
  begun: Promise<unknown>,
): Promise<BatchOutcome> {
  const [, fetched] = await Promise.all([begun, ctx.queue.fetch(tx, ctx.batchSize)]);
  const outcome: BatchOutcome = {
    selected: fetched.selected,
    disabled: fetched.disabled,
    items: fetched.items.length,
    missing: 0,
    embedded: 0,
    empty: 0,
    deferred: 0,
    chunks: 0,
    failures: [],
  };
  if (fetched.items.length === 0) return outcome;
  const firstRow = fetched.items.find((i) => i.row !== null)?.row;
  if (firstRow) await ctx.formatter.prepare(tx, firstRow.columns);
  const config = ctx.vectorizer.config;
  const works: RowWork[] = [];
  const emptyRows: QueueItem[] = [];
  const failed: Omit<RowFailure, "retried">[] = [];
  const deferred: QueueItem[] = [];
  for (const item of fetched.items) {
    const row = item.row;
    if (row === null) {
      outcome.missing++;
      continue;
    }
    if (!ctx.features.loadingRetries && ctx.failedKeys.has(keyOf(item))) {
      deferred.push(item);
      continue;
    }
    let payload: Payload;
    try {
      payload = await loadRow(config.loading, row, { signal: ctx.signal });
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      failed.push({ item, stage: "loading", error: asError(e) });
      continue;
    }
    if (isEmptyPayload(payload)) {
      emptyRows.push(item);
      continue;
    }
    let stage: Stage = "parsing";
    try {
      const text = parsePayload(config.parsing, payload);
      stage = "chunking";
      const chunks = chunkText(config.chunking, text);
      stage = "formatting";
      const formatted = chunks.map((c) => ctx.formatter.format(c, row));
      if (formatted.length === 0) emptyRows.push(item);
      else works.push({ item, row, chunks: formatted, vectors: [] });
    } catch (e) {
      // Template errors (missing key, invalid placeholder) are the same for every row.
      if (e instanceof TemplateError) throw new BatchFailure(batchErrorRecord(ctx, e), e);
      failed.push({ item, stage, error: asError(e) });
    }
  }
  ctx.onActivity?.();
  ctx.onEmbedding?.();

  // Chunks are written as their vectors arrive: one COPY per API response, as pgai does, so a
  // large batch (or one huge document) never holds all its vectors and COPY data at once.
  const stored: RowWork[] = [];
  const dest = ctx.destination;
  const memory = new BatchMemory();
  const sink: ChunkSink = dest.kind === "table"
    ? {
      consumesVectors: true,
      write: async (runs) => {
        for (const { work, start, vectors } of runs) {
          if (start + vectors.length === work.chunks.length) stored.push(work);
          outcome.chunks += vectors.length;
        }
        await dest.store.copy(tx, copyPieces(dest.encoder, runs));
        let bytes = 0;
        for (const { vectors } of runs) for (const v of vectors) bytes += v.byteLength;
        memory.written(bytes);
      },
      discard: async (work) => {
        outcome.chunks -= await dest.store.discard(tx, work.item.pk);
      },
    }
    : {
      // Chunking is `none` for a column destination: one chunk, one vector per row.
      consumesVectors: false,
      write: (runs) => {
        for (const { work, vectors } of runs) {
          work.vectors = vectors;
          stored.push(work);
        }
        return Promise.resolve();
      },
      discard: () => Promise.resolve(),
    };
  const rejected = await embedRows(ctx, works, sink);
  failed.push(...rejected);

  if (dest.kind === "column") {
    // Rows whose content became empty lose their (now stale) embedding.
    await dest.store.update(tx, [
      ...stored.map((w) => ({ pk: w.item.pk, embedding: w.vectors[0] ?? null })),
      ...emptyRows.map((item) => ({ pk: item.pk, embedding: null })),
    ]);
    outcome.chunks = stored.length;
  }
  outcome.embedded = stored.length;
  outcome.empty = emptyRows.length;
  outcome.failures = await putBack(tx, ctx, failed);
  outcome.deferred = deferred.length;
  await ctx.queue.requeue(tx, deferred.map((item) => ({ pk: item.pk, retries: item.retries })));
  return outcome;
}

/** Bytes of COPY data encoded before they are handed to the socket. */
const COPY_PIECE_BYTES = 1 << 20;

/** Encodes the COPY data of `runs` lazily, in pieces of about {@link COPY_PIECE_BYTES}. */
function* copyPieces(enc: EmbeddingCopyEncoder, runs: readonly ChunkRun[]): Generator<Uint8Array> {
  enc.reset();
  for (const { work, start, vectors } of runs) {
    for (let i = 0; i < vectors.length; i++) {
      enc.addRow(work.item.pkBinary, start + i, work.chunks[start + i]!, vectors[i]!);
      if (enc.size >= COPY_PIECE_BYTES) yield enc.take();
    }
  }
  yield enc.finish();
}

/** Consecutive chunks of one row and their vectors, from one API response. */
interface ChunkRun {
  work: RowWork;
  /** Chunk index (`chunk_seq`) of the first vector. */
  start: number;
  vectors: Float32Array[];
}

/** Where {@link embedRows} hands the vectors of each API response. */
interface ChunkSink {
  /** Whether the vectors are done with once `write` resolves (their memory can be reused). */
  consumesVectors: boolean;
  write(runs: ChunkRun[]): Promise<void>;
  /** Removes the chunks already written for a row found to be at fault. */
  discard(work: RowWork): Promise<void>;
}

/**
 * Embeds the chunks of all rows and hands the vectors of each API response to `sink` at once.
 * When the provider rejects the input (or a chunk exceeds the request budget), the rows not yet
 * completely written are split in halves to find the rows at fault, which are returned (a row cut
 * by the failed request loses the chunks already written); rows already written were embedded
 * without fault.
 */
async function embedRows(
  ctx: BatchContext,
  works: RowWork[],
  sink: ChunkSink,
): Promise<Omit<RowFailure, "retried">[]> {
  const rejected: Omit<RowFailure, "retried">[] = [];
  const attempt = async (group: RowWork[]): Promise<void> => {
    const documents: string[] = [];
    for (const w of group) for (const c of w.chunks) documents.push(c);
    if (documents.length === 0) return;
    let row = 0; // the row the next vector belongs to
    let seq = 0; // its chunk index
    try {
      let received = 0;
      for await (const part of ctx.embedder.embed(documents, ctx.signal)) {
        received += part.length;
        if (received > documents.length) break;
        const runs: ChunkRun[] = [];
        for (let k = 0; k < part.length;) {
          const work = group[row]!;
          const take = Math.min(work.chunks.length - seq, part.length - k);
          runs.push({ work, start: seq, vectors: part.slice(k, k + take) });
          k += take;
          seq += take;
          if (seq === work.chunks.length) {
            row++;
            seq = 0;
          }
        }
        await sink.write(runs);
        // Written out (COPY data is a copy): the embedder may decode a later response there.
        if (sink.consumesVectors) ctx.embedder.recycle?.(part);
        ctx.onActivity?.();
      }
      if (received !== documents.length) {
        throw new EmbeddingProviderError(
          ctx.embedder.implementation,
          `expected ${documents.length} embeddings, got ${received}`,
        );
      }
    } catch (e) {
      const rowSpecific = (e instanceof EmbeddingProviderError && e.inputRejected) ||
        e instanceof BatchLimitError;
      const rest = group.slice(row);
      if (!rowSpecific || ctx.signal.aborted || rest.length === 0) throw e;
      if (seq > 0) await sink.discard(rest[0]!);
      if (rest.length === 1) {
        rejected.push({ item: rest[0]!.item, stage: "embedding", error: e as Error });
        return;
      }
      const mid = rest.length >> 1;
      await attempt(rest.slice(0, mid));
      await attempt(rest.slice(mid));
    }
  };
  await attempt(works);
  return rejected;
}

/**
 * Puts failed rows back: re-queued with `loading_retries + 1` and pgai's backoff, or parked in the
 * failed queue once `loading.retries` attempts are used up; one error row each.
 */
async function putBack(
  tx: postgres.TransactionSql,
  ctx: BatchContext,
  failed: readonly Omit<RowFailure, "retried">[],
): Promise<RowFailure[]> {
  if (failed.length === 0) return [];
  const max = ctx.vectorizer.config.loading.retries;
  const out: RowFailure[] = failed.map((f) => ({
    ...f,
    // Without a failed queue (extension-era catalogs) rows are always re-queued: never dropped.
    retried: !ctx.queue.canPark || f.item.retries < max,
  }));
  await ctx.queue.requeue(
    tx,
    out.filter((f) => f.retried).map((f) => ({ pk: f.item.pk, retries: f.item.retries + 1 })),
  );
  await ctx.queue.park(
    tx,
    out.filter((f) => !f.retried).map((f) => ({ pk: f.item.pk, step: f.stage })),
  );
  await insertErrors(tx, ctx.features, ctx.vectorizer.id, out.map((f) => rowErrorRecord(ctx, f)));
  for (const f of out) ctx.failedKeys.add(keyOf(f.item));
  return out;
}

function keyOf(item: QueueItem): string {
  return JSON.stringify(item.pk);
}

function pkObject(ctx: BatchContext, item: QueueItem): Record<string, string | null> {
  const names = ctx.queue.pkNames;
  return Object.fromEntries(names.map((n, i) => [n, item.pk[i] ?? null]));
}

function rowErrorRecord(ctx: BatchContext, f: RowFailure): ErrorRecord {
  const pk = pkObject(ctx, f.item);
  if (f.stage === "loading") {
    return {
      message: LOADING_FAILED,
      details: {
        loader: ctx.vectorizer.config.loading.implementation,
        error_reason: f.error.message,
        is_retryable: f.retried,
        pk,
      },
    };
  }
  if (f.stage === "embedding") {
    return {
      message: EMBEDDING_PROVIDER_FAILED,
      details: {
        provider: ctx.vectorizer.config.embedding.implementation,
        error_reason: f.error.message,
        failure_step: f.stage,
        is_retryable: f.retried,
        pk,
      },
    };
  }
  return {
    message: VECTORIZER_FAILED,
    details: { error_reason: f.error.message, failure_step: f.stage, is_retryable: f.retried, pk },
  };
}

/** The error row pgai writes for a failed batch (contract §3.8). */
export function batchErrorRecord(ctx: Pick<BatchContext, "vectorizer">, e: unknown): ErrorRecord {
  const error = asError(e);
  if (e instanceof EmbeddingProviderError || e instanceof BatchLimitError) {
    return {
      message: EMBEDDING_PROVIDER_FAILED,
      details: {
        provider: ctx.vectorizer.config.embedding.implementation,
        error_reason: error.message,
      },
    };
  }
  return { message: VECTORIZER_FAILED, details: { error_reason: error.message } };
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
