/**
 * Turning provider responses into vectors.
 *
 * Providers answer either with JSON float arrays or, when asked for `encoding_format: "base64"`,
 * with base64 of little-endian float32 values, which is several times smaller and cheaper to
 * parse. Both become `Float32Array` (pgvector stores float4 anyway).
 */

import { EmbeddingProviderError } from "./errors.ts";

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Element types a provider may encode in base64 (Voyage's `output_dtype`). */
export type Base64Dtype = "float" | "int8" | "uint8";

/**
 * Decode a base64 embedding: little-endian float32 values, or signed/unsigned bytes for
 * quantized outputs (Voyage's `int8`/`binary` and `uint8`/`ubinary`).
 */
export function decodeBase64Embedding(base64: string, dtype: Base64Dtype): Float32Array {
  if (dtype === "float") return decodeBase64Floats(base64);
  const binary = atob(base64);
  const out = new Float32Array(binary.length);
  for (let i = 0; i < binary.length; i++) {
    const byte = binary.charCodeAt(i);
    out[i] = dtype === "int8" && byte > 127 ? byte - 256 : byte;
  }
  return out;
}

/** Decode base64 of little-endian float32 values. */
export function decodeBase64Floats(base64: string): Float32Array {
  // A fresh array, so its buffer starts at offset 0 and is aligned for a float32 view.
  const bytes = Uint8Array.fromBase64(base64);
  if (bytes.length % 4 !== 0) {
    throw new TypeError(
      `base64 embedding has ${bytes.length} bytes, not a whole number of float32 values`,
    );
  }
  if (LITTLE_ENDIAN) return new Float32Array(bytes.buffer, 0, bytes.length / 4);
  const view = new DataView(bytes.buffer);
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/**
 * Buffers of vectors whose user is done with them, handed out again for later responses: a
 * backfill then decodes every response into one of a few buffers instead of a fresh one, which V8
 * would free only at its next full collection.
 */
export class VectorBuffers {
  readonly #free: ArrayBuffer[] = [];
  readonly #keep: number;

  /** @param keep buffers kept (about the number of responses in flight at once) */
  constructor(keep = 4) {
    this.#keep = keep;
  }

  /** A buffer of at least `byteLength` bytes: a recycled one when one is big enough. */
  take(byteLength: number): ArrayBuffer {
    const i = this.#free.findIndex((b) => b.byteLength >= byteLength);
    if (i < 0) return new ArrayBuffer(byteLength);
    return this.#free.splice(i, 1)[0]!;
  }

  /**
   * Takes back the buffer behind `vectors` (one response's vectors share one). The caller must
   * not read them afterwards: their memory will hold another response's vectors.
   */
  give(vectors: readonly Float32Array[]): void {
    const buffer = vectors[0]?.buffer;
    if (!(buffer instanceof ArrayBuffer) || this.#free.includes(buffer)) return;
    if (this.#free.length >= this.#keep) this.#free.shift();
    this.#free.push(buffer);
  }
}

/** Encode float32 values as base64 of little-endian bytes (what providers send). */
export function encodeBase64Floats(values: ArrayLike<number>): string {
  const view = new DataView(new ArrayBuffer(values.length * 4));
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  const bytes = new Uint8Array(view.buffer);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/**
 * Convert one embedding from a response: a base64 string or an array of numbers.
 * @throws TypeError for anything else
 */
export function toVector(embedding: unknown): Float32Array {
  if (typeof embedding === "string") return decodeBase64Floats(embedding);
  if (Array.isArray(embedding)) {
    const out = new Float32Array(embedding.length);
    for (let i = 0; i < embedding.length; i++) {
      const value = embedding[i];
      if (typeof value !== "number") {
        throw new TypeError(`embedding value at position ${i} is not a number`);
      }
      out[i] = value;
    }
    return out;
  }
  if (embedding instanceof Float32Array) return embedding;
  throw new TypeError(`embedding is neither a base64 string nor a list of numbers`);
}

/**
 * Order the vectors of an OpenAI-style `data` list by each item's `index` (falling back to the
 * list position when a server omits it), checking that every input got exactly one vector.
 * @throws EmbeddingProviderError for a malformed response
 */
export function vectorsByIndex(
  provider: string,
  data: readonly { index?: number; embedding: unknown }[] | undefined,
  expected: number,
  decode: (embedding: unknown) => Float32Array = toVector,
): Float32Array[] {
  if (!Array.isArray(data) || data.length !== expected) {
    throw new EmbeddingProviderError(
      provider,
      `expected ${expected} embeddings in the response, got ${
        Array.isArray(data) ? data.length : "none"
      }`,
    );
  }
  const vectors = new Array<Float32Array | undefined>(expected);
  data.forEach((item, position) => {
    const index = typeof item.index === "number" ? item.index : position;
    if (!Number.isInteger(index) || index < 0 || index >= expected || vectors[index]) {
      throw new EmbeddingProviderError(
        provider,
        `response has an invalid or repeated embedding index ${index} for ${expected} inputs`,
      );
    }
    try {
      vectors[index] = decode(item.embedding);
    } catch (cause) {
      throw new EmbeddingProviderError(provider, `invalid embedding at index ${index}: ${cause}`, {
        cause,
      });
    }
  });
  return vectors as Float32Array[];
}

/**
 * Convert a response's list of embeddings given in input order (Ollama, Cohere), checking that
 * every input got exactly one vector.
 * @throws EmbeddingProviderError for a malformed response
 */
export function vectorsInOrder(
  provider: string,
  embeddings: unknown,
  expected: number,
): Float32Array[] {
  if (!Array.isArray(embeddings)) {
    return vectorsByIndex(provider, undefined, expected);
  }
  return vectorsByIndex(
    provider,
    embeddings.map((embedding: unknown) => ({ embedding })),
    expected,
  );
}
