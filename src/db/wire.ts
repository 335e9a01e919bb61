/**
 * Postgres wire formats the worker produces or reads by hand: the hex text form of `bytea` and
 * the binary COPY format (with pgvector's binary `vector`), which is how embeddings are written
 * to a table destination. The encoder reuses one growing buffer, so encoding a batch allocates
 * nothing per chunk.
 */

/** Raised for a value that is not in the expected wire format. */
export class WireFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WireFormatError";
  }
}

/** Decodes Postgres' hex text form of a bytea (`\x0a0b...`). */
export function decodeByteaHex(text: string): Uint8Array {
  if (!text.startsWith("\\x")) {
    throw new WireFormatError("bytea value is not in hex format (bytea_output must be 'hex')");
  }
  const n = (text.length - 2) >> 1;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = (hexValue(text.charCodeAt(2 + 2 * i)) << 4) | hexValue(text.charCodeAt(3 + 2 * i));
  }
  return out;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  throw new WireFormatError("invalid hex digit in bytea value");
}

const INITIAL_BUFFER = 1 << 16;

const COPY_SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00];

/**
 * Builds a binary COPY stream of rows `(pk columns..., chunk_seq int4, chunk text, embedding
 * vector)`. Call {@link reset}, {@link addRow} for each chunk (and {@link take} to send what is
 * encoded so far), then {@link finish}.
 */
export class EmbeddingCopyEncoder {
  #buf = new Uint8Array(INITIAL_BUFFER);
  #view = new DataView(this.#buf.buffer);
  #pos = 0;
  #rows = 0;
  readonly #encoder = new TextEncoder();

  /** Starts a new stream (keeps the buffer). */
  reset(): void {
    this.#pos = 0;
    this.#rows = 0;
    this.#ensure(19);
    this.#buf.set(COPY_SIGNATURE, 0);
    this.#view.setInt32(11, 0); // flags
    this.#view.setInt32(15, 0); // header extension length
    this.#pos = 19;
  }

  /** Rows added since {@link reset}. */
  get rows(): number {
    return this.#rows;
  }

  /**
   * Appends one row. `pk` holds each PK column's binary send form; `embedding` is written as
   * pgvector's binary `vector` (int16 dimensions, int16 unused, float4 values, big-endian).
   */
  addRow(
    pk: readonly Uint8Array[],
    chunkSeq: number,
    chunk: string,
    embedding: Float32Array,
  ): void {
    let need = 2 + 8 + 4 + chunk.length * 3 + 8 + embedding.length * 4;
    for (const p of pk) need += 4 + p.length;
    this.#ensure(need);
    const v = this.#view;
    let o = this.#pos;
    v.setInt16(o, pk.length + 3);
    o += 2;
    for (const p of pk) {
      v.setInt32(o, p.length);
      this.#buf.set(p, o + 4);
      o += 4 + p.length;
    }
    v.setInt32(o, 4);
    v.setInt32(o + 4, chunkSeq);
    o += 8;
    const { written } = this.#encoder.encodeInto(chunk, this.#buf.subarray(o + 4));
    v.setInt32(o, written);
    o += 4 + written;
    const dims = embedding.length;
    v.setInt32(o, 4 + dims * 4);
    v.setInt16(o + 4, dims);
    v.setInt16(o + 6, 0);
    o += 8;
    for (let i = 0; i < dims; i++, o += 4) v.setFloat32(o, embedding[i]!);
    this.#pos = o;
    this.#rows++;
  }

  /** Ends the stream; the returned view is valid until the next {@link reset}. */
  finish(): Uint8Array {
    this.#ensure(2);
    this.#view.setInt16(this.#pos, -1);
    this.#pos += 2;
    return this.#buf.subarray(0, this.#pos);
  }

  /** Bytes encoded since {@link reset} or the last {@link take}. */
  get size(): number {
    return this.#pos;
  }

  /**
   * Returns a copy of the bytes encoded so far and empties the buffer; the stream goes on with
   * the next {@link addRow}. Lets a large stream be sent in pieces with a small buffer.
   */
  take(): Uint8Array {
    const out = this.#buf.slice(0, this.#pos);
    this.#pos = 0;
    return out;
  }

  #ensure(extra: number): void {
    const need = this.#pos + extra;
    if (need <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }
}
