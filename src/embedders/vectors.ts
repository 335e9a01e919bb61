/**
 * Turning provider responses into vectors.
 *
 * Providers answer either with JSON float arrays or, when asked for `encoding_format: "base64"`,
 * with base64 of little-endian float32 values, which is several times smaller and cheaper to
 * parse. Both become `Float32Array` (pgvector stores float4 anyway).
 */

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Decode base64 of little-endian float32 values. */
export function decodeBase64Floats(base64: string): Float32Array {
  const binary = atob(base64);
  if (binary.length % 4 !== 0) {
    throw new TypeError(
      `base64 embedding has ${binary.length} bytes, not a whole number of float32 values`,
    );
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  if (LITTLE_ENDIAN) return new Float32Array(bytes.buffer);
  const view = new DataView(bytes.buffer);
  const out = new Float32Array(binary.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
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
