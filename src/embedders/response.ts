/**
 * Parsing embeddings responses straight from their bytes.
 *
 * An OpenAI-style response is mostly base64 vectors: `raw.json()` would turn its ~0.6 MB body into
 * one string and then every vector into a ~4 KB string of its own, only to decode them into bytes
 * right after. That churn was most of the worker's heap allocation during a backfill. This parser
 * reads ordinary JSON from UTF-8 bytes but decodes the base64 string of every `embedding` key
 * directly from the body into one buffer per response, so those strings never exist.
 */

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Values of base64 characters (standard alphabet); 255 for every other byte. */
const BASE64_VALUES = new Uint8Array(256).fill(255);
/**
 * Values of pairs of base64 characters, indexed by the first character plus 256 times the second
 * (a little-endian read of two bytes): 12 bits, or 0xffff when either is not base64. 128 KiB, but
 * it halves the look-ups of the decoding loop.
 */
const PAIR_VALUES = new Uint16Array(65536).fill(0xffff);
for (let first = 0; first < 64; first++) {
  BASE64_VALUES[ALPHABET.charCodeAt(first)] = first;
  for (let second = 0; second < 64; second++) {
    PAIR_VALUES[ALPHABET.charCodeAt(first) | (ALPHABET.charCodeAt(second) << 8)] = (first << 6) |
      second;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const EQUALS = 0x3d;
/** Nesting deeper than this is refused rather than risking the call stack. */
const MAX_DEPTH = 1000;
/** Short ASCII strings (keys, `"object": "embedding"`) are shared between responses. */
const CACHED_LENGTH = 32;
const CACHE_SLOTS = 256;
const stringCache = new Array<string | undefined>(CACHE_SLOTS);
/** UTF-8 without BOM stripping: a string that starts with U+FEFF keeps it. */
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

/** A response that is not valid JSON, or an `embedding` string that is not valid base64. */
export class ResponseSyntaxError extends SyntaxError {
  /** Byte offset in the body where the problem was found. */
  readonly position: number;

  constructor(message: string, position: number) {
    super(message);
    this.name = "ResponseSyntaxError";
    this.position = position;
  }
}

/**
 * Parse a JSON embeddings response from its UTF-8 bytes (a leading BOM is skipped). Every value
 * becomes what `JSON.parse` would make of it, except the string value of any key named
 * `embedding`: it is decoded as base64 of little-endian float32 values into a `Float32Array`.
 * Vectors of the size of the first one share a single buffer allocated for `count` of them (the
 * number of vectors expected), obtained from `allocate` (which may hand out a recycled buffer of
 * at least that size); further vectors, and vectors of other sizes, get their own.
 * An `embedding` that is not a string (a list of numbers from a server that ignored
 * `encoding_format: "base64"`) is left as parsed.
 * @throws ResponseSyntaxError for malformed JSON or base64, with the byte offset of the problem
 */
export function parseEmbeddingsResponse(
  bytes: Uint8Array,
  count = 1,
  allocate: (byteLength: number) => ArrayBuffer = (n) => new ArrayBuffer(n),
): unknown {
  return new Parser(bytes, count, allocate).parse();
}

/** One parse: the bytes, the read position and the shared vector buffer. */
class Parser {
  readonly #bytes: Uint8Array;
  readonly #count: number;
  #pos = 0;
  /** The body, for reading 4 bytes at a time. */
  #input: DataView | undefined;
  /** The buffer shared by vectors of `#size` bytes, of which `#used` are taken. */
  #shared: DataView | undefined;
  #size = 0;
  #used = 0;
  /** Where the vector being decoded goes: `#shared` or a buffer of its own. */
  #target: DataView | undefined;

  readonly #allocate: (byteLength: number) => ArrayBuffer;

  constructor(bytes: Uint8Array, count: number, allocate: (byteLength: number) => ArrayBuffer) {
    this.#bytes = bytes;
    this.#count = Math.max(1, count);
    this.#allocate = allocate;
  }

  parse(): unknown {
    const bytes = this.#bytes;
    if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) this.#pos = 3;
    const value = this.#value(0);
    this.#skipWhitespace();
    if (this.#pos < bytes.length) this.#fail("unexpected data after the JSON value");
    return value;
  }

  #value(depth: number): unknown {
    this.#skipWhitespace();
    switch (this.#bytes[this.#pos]) {
      case 0x7b: // {
        return this.#object(depth + 1);
      case 0x5b: // [
        return this.#array(depth + 1);
      case QUOTE:
        return this.#string();
      case 0x74: // t
        return this.#literal("true", true);
      case 0x66: // f
        return this.#literal("false", false);
      case 0x6e: // n
        return this.#literal("null", null);
      default:
        return this.#number();
    }
  }

  #object(depth: number): Record<string, unknown> {
    if (depth > MAX_DEPTH) this.#fail("nesting too deep");
    const bytes = this.#bytes;
    const object: Record<string, unknown> = {};
    this.#pos++;
    this.#skipWhitespace();
    if (bytes[this.#pos] === 0x7d) {
      this.#pos++;
      return object;
    }
    for (;;) {
      if (bytes[this.#pos] !== QUOTE) this.#fail("expected a string key");
      const key = this.#string();
      this.#skipWhitespace();
      if (bytes[this.#pos] !== 0x3a) this.#fail("expected ':'");
      this.#pos++;
      let value: unknown;
      if (key === "embedding") {
        this.#skipWhitespace();
        value = bytes[this.#pos] === QUOTE ? this.#embedding() : this.#value(depth);
      } else {
        value = this.#value(depth);
      }
      if (key === "__proto__") {
        // An own property, as JSON.parse makes it, not the object's prototype.
        Object.defineProperty(object, key, {
          value,
          writable: true,
          enumerable: true,
          configurable: true,
        });
      } else {
        object[key] = value;
      }
      this.#skipWhitespace();
      const next = bytes[this.#pos];
      this.#pos++;
      if (next === 0x7d) return object;
      if (next !== 0x2c) this.#fail("expected ',' or '}'", this.#pos - 1);
      this.#skipWhitespace();
    }
  }

  #array(depth: number): unknown[] {
    if (depth > MAX_DEPTH) this.#fail("nesting too deep");
    const bytes = this.#bytes;
    const array: unknown[] = [];
    this.#pos++;
    this.#skipWhitespace();
    if (bytes[this.#pos] === 0x5d) {
      this.#pos++;
      return array;
    }
    for (;;) {
      array.push(this.#value(depth));
      this.#skipWhitespace();
      const next = bytes[this.#pos];
      this.#pos++;
      if (next === 0x5d) return array;
      if (next !== 0x2c) this.#fail("expected ',' or ']'", this.#pos - 1);
    }
  }

  /** A string starting at the current position (its opening quote). */
  #string(): string {
    const bytes = this.#bytes;
    const start = this.#pos + 1;
    let i = start;
    let hash = 0;
    let ascii = true;
    for (;;) {
      if (i >= bytes.length) this.#fail("unterminated string", start - 1);
      const byte = bytes[i]!;
      if (byte === QUOTE) break;
      if (byte === BACKSLASH) return this.#escapedString(start);
      if (byte < 0x20) this.#fail("control character in a string", i);
      if (byte >= 0x80) ascii = false;
      hash = (hash * 31 + byte) | 0;
      i++;
    }
    this.#pos = i + 1;
    const length = i - start;
    if (!ascii || length > CACHED_LENGTH) return utf8.decode(bytes.subarray(start, i));
    const slot = hash & (CACHE_SLOTS - 1);
    const cached = stringCache[slot];
    if (cached !== undefined && cached.length === length) {
      let same = true;
      for (let k = 0; k < length; k++) {
        if (cached.charCodeAt(k) !== bytes[start + k]) {
          same = false;
          break;
        }
      }
      if (same) return cached;
    }
    const text = String.fromCharCode.apply(null, bytes.subarray(start, i) as unknown as number[]);
    stringCache[slot] = text;
    return text;
  }

  /** The rest of a string that has escapes, from `start` (just after its opening quote). */
  #escapedString(start: number): string {
    const bytes = this.#bytes;
    let text = "";
    let run = start;
    let i = start;
    for (;;) {
      if (i >= bytes.length) this.#fail("unterminated string", start - 1);
      const byte = bytes[i]!;
      if (byte === QUOTE) break;
      if (byte < 0x20) this.#fail("control character in a string", i);
      if (byte !== BACKSLASH) {
        i++;
        continue;
      }
      if (i > run) text += utf8.decode(bytes.subarray(run, i));
      const escape = bytes[i + 1];
      switch (escape) {
        case QUOTE:
          text += '"';
          break;
        case BACKSLASH:
          text += "\\";
          break;
        case 0x2f:
          text += "/";
          break;
        case 0x62:
          text += "\b";
          break;
        case 0x66:
          text += "\f";
          break;
        case 0x6e:
          text += "\n";
          break;
        case 0x72:
          text += "\r";
          break;
        case 0x74:
          text += "\t";
          break;
        case 0x75: {
          let unit = 0;
          for (let k = i + 2; k < i + 6; k++) {
            const digit = hexValue(bytes[k]);
            if (digit < 0) this.#fail("invalid \\u escape", i);
            unit = unit * 16 + digit;
          }
          // Surrogate halves are appended one by one; a pair joins into one character.
          text += String.fromCharCode(unit);
          i += 4;
          break;
        }
        default:
          if (i + 1 >= bytes.length) this.#fail("unterminated string", start - 1);
          this.#fail("invalid escape", i);
      }
      i += 2;
      run = i;
    }
    if (i > run) text += utf8.decode(bytes.subarray(run, i));
    this.#pos = i + 1;
    return text;
  }

  /**
   * The base64 string value of an `embedding` key, decoded into the vector buffer without making
   * a string; a string with escapes is made into one and decoded by the platform.
   */
  #embedding(): Float32Array {
    const bytes = this.#bytes;
    const quote = this.#pos;
    const start = quote + 1;
    if (this.#shared !== undefined && this.#used < this.#count) {
      // Most likely the size of the vectors before it: check where its closing quote would be
      // rather than searching for it.
      const size = this.#size;
      const chars = Math.ceil(size * 4 / 3);
      const padded = Math.ceil(size / 3) * 4;
      let end = -1;
      if (bytes[start + chars] === QUOTE) {
        end = start + chars;
      } else if (bytes[start + padded] === QUOTE) {
        end = start + padded;
        for (let i = start + chars; i < end; i++) if (bytes[i] !== EQUALS) end = -1;
      }
      if (end >= 0) {
        const offset = this.#reserve(size);
        if (this.#decode(start, start + chars, offset)) {
          this.#pos = end + 1;
          return this.#commit(offset, size);
        }
      }
    }
    const end = bytes.indexOf(QUOTE, start);
    if (end < 0) this.#fail("unterminated string", quote);
    let stop = end;
    if (stop > start && bytes[stop - 1] === EQUALS) stop--;
    if (stop > start && bytes[stop - 1] === EQUALS) stop--;
    const chars = stop - start;
    const size = Math.floor(chars * 3 / 4);
    if (chars % 4 === 1 || (stop < end && (end - start) % 4 !== 0) || size % 4 !== 0) {
      // Not the length of a valid vector: maybe escapes; otherwise say what is wrong.
      return this.#slowEmbedding(quote, end);
    }
    const fresh = this.#shared === undefined;
    const offset = this.#reserve(size);
    if (!this.#decode(start, stop, offset)) {
      // The shared buffer was sized after this string, whose real size escapes may change.
      if (fresh) this.#shared = undefined;
      return this.#slowEmbedding(quote, end);
    }
    this.#pos = end + 1;
    return this.#commit(offset, size);
  }

  /** Decode the base64 characters `[start, stop)` of the body into the target at `offset`. */
  #decode(start: number, stop: number, offset: number): boolean {
    const bytes = this.#bytes;
    this.#input ??= new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return decodeBase64(this.#input, start, stop, this.#target!, offset);
  }

  /** An `embedding` string that the fast path refused: escaped, or invalid. */
  #slowEmbedding(quote: number, end: number): Float32Array {
    const bytes = this.#bytes;
    const start = quote + 1;
    for (let i = start; i < end; i++) {
      if (bytes[i] === BACKSLASH) return this.#escapedEmbedding(quote);
    }
    let stop = end;
    while (stop > start && stop > end - 2 && bytes[stop - 1] === EQUALS) stop--;
    for (let i = start; i < stop; i++) {
      if (BASE64_VALUES[bytes[i]!] === 255) {
        this.#failEmbedding(`invalid base64 character at offset ${i - start}`, quote);
      }
    }
    const chars = stop - start;
    if (chars % 4 === 1 || (stop < end && (end - start) % 4 !== 0)) {
      this.#failEmbedding("invalid base64 length or padding", quote);
    }
    const size = Math.floor(chars * 3 / 4);
    this.#failEmbedding(
      `base64 embedding has ${size} bytes, not a whole number of float32 values`,
      quote,
    );
  }

  /** An `embedding` string with JSON escapes: made into a string, then decoded. */
  #escapedEmbedding(quote: number): Float32Array {
    this.#pos = quote;
    const text = this.#string();
    let decoded: Uint8Array;
    try {
      decoded = Uint8Array.fromBase64(text);
    } catch (error) {
      this.#failEmbedding(error instanceof Error ? error.message : String(error), quote);
    }
    if (decoded.length % 4 !== 0) {
      this.#failEmbedding(
        `base64 embedding has ${decoded.length} bytes, not a whole number of float32 values`,
        quote,
      );
    }
    const offset = this.#reserve(decoded.length);
    new Uint8Array(this.#target!.buffer, offset, decoded.length).set(decoded);
    return this.#commit(offset, decoded.length);
  }

  /**
   * Room for a vector of `size` bytes: sets `#target` and returns the offset there. Space in the
   * shared buffer only counts as taken once committed.
   */
  #reserve(size: number): number {
    if (LITTLE_ENDIAN && this.#shared === undefined) {
      this.#shared = new DataView(this.#allocate(size * this.#count));
      this.#size = size;
      this.#used = 0;
    }
    if (!LITTLE_ENDIAN || size !== this.#size || this.#used === this.#count) {
      this.#target = new DataView(new ArrayBuffer(size));
      return 0;
    }
    this.#target = this.#shared;
    return this.#used * size;
  }

  /** The vector of `size` bytes decoded into the target at `offset`. */
  #commit(offset: number, size: number): Float32Array {
    const target = this.#target!;
    if (!LITTLE_ENDIAN) {
      const out = new Float32Array(size / 4);
      for (let i = 0; i < out.length; i++) out[i] = target.getFloat32(offset + i * 4, true);
      return out;
    }
    if (target === this.#shared) this.#used++;
    return new Float32Array(target.buffer, offset, size / 4);
  }

  #number(): number {
    const bytes = this.#bytes;
    const start = this.#pos;
    let i = start;
    const negative = bytes[i] === 0x2d;
    if (negative) i++;
    const first = bytes[i];
    if (first === 0x30) {
      i++;
    } else if (first !== undefined && first >= 0x31 && first <= 0x39) {
      i++;
      while (isDigit(bytes[i])) i++;
    } else {
      this.#unexpected(i);
    }
    const integerEnd = i;
    if (bytes[i] === 0x2e) {
      i++;
      if (!isDigit(bytes[i])) this.#fail("expected a digit", i);
      while (isDigit(bytes[i])) i++;
    }
    if (bytes[i] === 0x65 || bytes[i] === 0x45) {
      i++;
      if (bytes[i] === 0x2b || bytes[i] === 0x2d) i++;
      if (!isDigit(bytes[i])) this.#fail("expected a digit", i);
      while (isDigit(bytes[i])) i++;
    }
    this.#pos = i;
    const digitsStart = negative ? start + 1 : start;
    if (i === integerEnd && i - digitsStart <= 15) {
      // A small integer: exact without going through a string.
      let value = 0;
      for (let k = digitsStart; k < i; k++) value = value * 10 + bytes[k]! - 0x30;
      return negative ? -value : value;
    }
    return Number(utf8.decode(bytes.subarray(start, i)));
  }

  #literal<T>(word: string, value: T): T {
    const bytes = this.#bytes;
    for (let k = 0; k < word.length; k++) {
      if (bytes[this.#pos + k] !== word.charCodeAt(k)) {
        this.#unexpected(this.#pos + k);
      }
    }
    this.#pos += word.length;
    return value;
  }

  #skipWhitespace(): void {
    const bytes = this.#bytes;
    let i = this.#pos;
    while (i < bytes.length) {
      const byte = bytes[i];
      if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) break;
      i++;
    }
    this.#pos = i;
  }

  /** Fail on the byte at `position`, naming it. */
  #unexpected(position: number): never {
    const byte = this.#bytes[position] ?? 0;
    const found = byte > 0x20 && byte < 0x7f
      ? `'${String.fromCharCode(byte)}'`
      : `byte 0x${byte.toString(16).padStart(2, "0")}`;
    this.#fail(`unexpected ${found}`, position);
  }

  #fail(reason: string, position = this.#pos): never {
    const found = position >= this.#bytes.length ? "unexpected end of data" : reason;
    throw new ResponseSyntaxError(
      `invalid JSON in the embeddings response at byte ${position}: ${found}`,
      position,
    );
  }

  /** Fail on the `embedding` string whose opening quote is at `position`. */
  #failEmbedding(reason: string, position: number): never {
    throw new ResponseSyntaxError(
      `invalid embedding in the embeddings response at byte ${position}: ${reason}`,
      position,
    );
  }
}

/**
 * Decode the base64 characters at `[start, stop)` of `input` (no padding; their count is not 1
 * more than a multiple of 4) into `out` from `offset` on.
 * @returns false when a character is not of the base64 alphabet
 */
function decodeBase64(
  input: DataView,
  start: number,
  stop: number,
  out: DataView,
  offset: number,
): boolean {
  const pairs = PAIR_VALUES;
  let i = start;
  let o = offset;
  // 16 characters (12 bytes) at a time: four reads, eight pair look-ups, three writes.
  const wide = start + ((stop - start) & ~15);
  for (; i < wide; i += 16) {
    const w0 = input.getUint32(i, true);
    const w1 = input.getUint32(i + 4, true);
    const w2 = input.getUint32(i + 8, true);
    const w3 = input.getUint32(i + 12, true);
    const a0 = pairs[w0 & 0xffff]!;
    const a1 = pairs[w0 >>> 16]!;
    const b0 = pairs[w1 & 0xffff]!;
    const b1 = pairs[w1 >>> 16]!;
    const c0 = pairs[w2 & 0xffff]!;
    const c1 = pairs[w2 >>> 16]!;
    const d0 = pairs[w3 & 0xffff]!;
    const d1 = pairs[w3 >>> 16]!;
    if ((a0 | a1 | b0 | b1 | c0 | c1 | d0 | d1) > 0xfff) return false;
    const a = (a0 << 12) | a1;
    const b = (b0 << 12) | b1;
    const c = (c0 << 12) | c1;
    const d = (d0 << 12) | d1;
    out.setUint32(o, (a << 8) | (b >>> 16));
    out.setUint32(o + 4, (b << 16) | (c >>> 8));
    out.setUint32(o + 8, (c << 24) | d);
    o += 12;
  }
  const whole = start + ((stop - start) & ~3);
  for (; i < whole; i += 4) {
    const w = input.getUint32(i, true);
    const x = pairs[w & 0xffff]!;
    const y = pairs[w >>> 16]!;
    if ((x | y) > 0xfff) return false;
    const group = (x << 12) | y;
    out.setUint16(o, group >>> 8);
    out.setUint8(o + 2, group & 0xff);
    o += 3;
  }
  if (i === stop) return true;
  const x = pairs[input.getUint16(i, true)]!;
  if (x > 0xfff) return false;
  if (stop - i === 2) {
    out.setUint8(o, x >>> 4);
    return true;
  }
  const y = BASE64_VALUES[input.getUint8(i + 2)]!;
  if (y > 63) return false;
  const group = (x << 6) | y;
  out.setUint8(o, group >>> 10);
  out.setUint8(o + 1, (group >>> 2) & 0xff);
  return true;
}

function isDigit(byte: number | undefined): boolean {
  return byte !== undefined && byte >= 0x30 && byte <= 0x39;
}

function hexValue(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  return -1;
}
