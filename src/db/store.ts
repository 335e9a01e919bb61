/**
 * Writing embeddings to the vectorizer's destination (contract §3.5).
 *
 * Table destination: one binary COPY of `(pk columns, chunk_seq, chunk, embedding)` per API
 * response, like pgai, streamed with backpressure. Column destination: one UPDATE per batch that
 * sets the embedding column of every row, and clears it for rows whose content became empty or
 * NULL (pgai leaves the stale embedding there, §7.8).
 */
import type postgres from "postgres";
import type { Vectorizer } from "../worker/config.ts";
import { type ColumnInfo, ident, qualified, RelationError, requireColumn } from "./relations.ts";
import { pkByAttnum } from "./queue.ts";

/** Raised when the destination does not have the shape the worker writes. */
export class DestinationError extends RelationError {
  constructor(message: string) {
    super(message);
    this.name = "DestinationError";
  }
}

/** Bytes per CopyData message. */
const COPY_PIECE = 256 << 10;

/** Writes COPY data for a table destination. */
export class TableStore {
  readonly #copySql: string;
  readonly #discardSql: string;

  /**
   * @param columns the target table's columns (checked: PK columns, `chunk_seq int4`, `chunk`
   *   text, `embedding vector`)
   */
  constructor(
    vectorizer: Vectorizer,
    schema: string,
    table: string,
    columns: Map<string, ColumnInfo>,
  ) {
    const name = qualified(schema, table);
    const pk = pkByAttnum(vectorizer.sourcePk);
    for (const a of pk) requireColumn(columns, a.attname, name);
    const seq = requireColumn(columns, "chunk_seq", name);
    if (seq.typname !== "int4") {
      throw new DestinationError(`column chunk_seq of ${name} must be int4, not ${seq.type}`);
    }
    const chunk = requireColumn(columns, "chunk", name);
    if (!["text", "varchar", "bpchar"].includes(chunk.typname)) {
      throw new DestinationError(`column chunk of ${name} must be text, not ${chunk.type}`);
    }
    const embedding = requireColumn(columns, "embedding", name);
    if (embedding.typname !== "vector") {
      throw new DestinationError(
        `column embedding of ${name} has type ${embedding.type}; only pgvector's vector is supported`,
      );
    }
    const cols = [...pk.map((a) => ident(a.attname)), "chunk_seq", "chunk", "embedding"];
    const keys = pk.map((a, i) =>
      `${ident(a.attname)} = $${i + 1}::${requireColumn(columns, a.attname, name).type}`
    );
    this.#discardSql = `delete from ${name} where ${keys.join(" and ")}`;
    this.#copySql = `copy ${name} (${cols.join(", ")}) from stdin with (format binary)`;
  }

  /**
   * Streams a binary COPY payload (from {@link EmbeddingCopyEncoder}) in the caller's transaction:
   * one buffer, or pieces pulled one at a time as the socket drains (so a producer that encodes
   * lazily never has the whole payload in memory). Resolves when the server has accepted every
   * row; rejects with the server's error otherwise.
   */
  async copy(
    tx: postgres.TransactionSql,
    data: Uint8Array | Iterable<Uint8Array>,
  ): Promise<void> {
    const pieces = data instanceof Uint8Array ? split(data) : data[Symbol.iterator]();
    const query = tx.unsafe(this.#copySql);
    const failure = watchRejection(query);
    const stream = await query.writable();
    await new Promise<void>((resolve, reject) => {
      failure.listener = reject;
      stream.once("error", reject);
      stream.once("finish", resolve);
      // Honour backpressure: the socket never holds more than a piece or two of the payload.
      const pump = () => {
        try {
          for (let next = pieces.next(); !next.done; next = pieces.next()) {
            if (!stream.write(next.value)) {
              stream.once("drain", pump);
              return;
            }
          }
        } catch (e) {
          stream.destroy(e instanceof Error ? e : new Error(String(e)));
          return;
        }
        stream.end();
      };
      pump();
    });
  }

  /**
   * Deletes the chunks of one source row written earlier in the caller's transaction (a row found
   * to be at fault after part of it was stored). Returns the number of chunks deleted.
   * @param pk PK values in text form, in attnum order
   */
  async discard(tx: postgres.TransactionSql, pk: readonly (string | null)[]): Promise<number> {
    const result = await tx.unsafe(this.#discardSql, [...pk], { prepare: true });
    return result.count;
  }
}

/** Where a COPY query's late error goes (see {@link watchRejection}). */
interface RejectionWatch {
  listener: (e: unknown) => void;
}

/**
 * npm:postgres 3.4.9 resolves a COPY query with the writable stream as soon as COPY starts and
 * drops an error that arrives after the stream has ended (the stream never finishes). The
 * connection still reports that error through the query's reject function, so listen there.
 *
 * The wrapper is built here, away from `copy()`, and stored through a local: V8 allocates a
 * function literal assigned straight to a property in the old generation, and an old closure
 * keeps what it captures alive until the next full collection. Capturing `copy()`'s scope, it
 * kept every COPY's chunks, rows and vectors past the young-generation collections (measured:
 * most of a batch's data promoted).
 */
function watchRejection(query: object): RejectionWatch {
  const watch: RejectionWatch = { listener: () => {} };
  const q = query as unknown as { reject: (e: unknown) => void };
  const originalReject = q.reject;
  const reject = (e: unknown) => {
    watch.listener(e);
    originalReject(e);
  };
  q.reject = reject;
  return watch;
}

function* split(data: Uint8Array): Generator<Uint8Array> {
  for (let o = 0; o < data.length; o += COPY_PIECE) {
    yield data.subarray(o, Math.min(data.length, o + COPY_PIECE));
  }
}

/** Writes the embedding column of a column destination. */
export class ColumnStore {
  readonly #updateSql: string;

  /**
   * @param sourceColumns the source table's columns (the embedding column must be a vector)
   * @param queueColumns the queue table's columns (PK types for casting text values)
   */
  constructor(
    vectorizer: Vectorizer,
    embeddingColumn: string,
    sourceColumns: Map<string, ColumnInfo>,
  ) {
    const source = qualified(vectorizer.sourceSchema, vectorizer.sourceTable);
    const emb = requireColumn(sourceColumns, embeddingColumn, source);
    if (emb.typname !== "vector") {
      throw new DestinationError(
        `column ${
          ident(embeddingColumn)
        } of ${source} has type ${emb.type}; only pgvector's vector is supported`,
      );
    }
    const pk = pkByAttnum(vectorizer.sourcePk);
    const casts = pk.map((a, i) =>
      `(e->>${i})::${requireColumn(sourceColumns, a.attname, source).type} as k${i}`
    );
    const where = pk.map((a, i) => `s.${ident(a.attname)} = v.k${i}`).join(" and ");
    this.#updateSql = `update ${source} as s set ${ident(embeddingColumn)} = v.embedding
      from (select ${casts.join(", ")}, (e->>${pk.length})::${emb.type} as embedding
              from json_array_elements($1::text::json) as e) as v
     where ${where}`;
  }

  /**
   * Sets the embedding of each row (`null` clears it), in the caller's transaction.
   * @param rows PK text values (attnum order) and the vector
   */
  async update(
    tx: postgres.TransactionSql,
    rows: readonly { pk: readonly (string | null)[]; embedding: Float32Array | null }[],
  ): Promise<void> {
    if (rows.length === 0) return;
    const payload = rows.map((
      r,
    ) => [...r.pk, r.embedding === null ? null : vectorText(r.embedding)]);
    await tx.unsafe(this.#updateSql, [JSON.stringify(payload)], { prepare: true });
  }
}

/** pgvector text form; each float4 printed with the shortest digits that read back exactly. */
export function vectorText(v: Float32Array): string {
  let s = "[";
  for (let i = 0; i < v.length; i++) s += (i ? "," : "") + String(v[i]);
  return s + "]";
}
