/**
 * Chunking: the text of a row becomes the list of chunks that get embedded.
 *
 * Users switching from the Python worker must get the same chunks (and so the same vectors) for
 * the same rows, so this reproduces pgai 0.12.1's chunkers, which are LangChain's
 * `CharacterTextSplitter` and `RecursiveCharacterTextSplitter` (langchain-text-splitters 1.1.x):
 * lengths in code points, Python `str.strip()`, Python `re` separators, separators kept with the
 * following piece in the recursive splitter, overlap made of whole pieces, oversize pieces kept.
 * Pure functions; the regex translation lives in `pyregex.ts`.
 */
import { compilePyRegex, PyRegexError } from "./pyregex.ts";
import { codePointCount, codePointLength, codePoints, pyStrip } from "./pystr.ts";

/** `chunking` of a vectorizer config. */
export type ChunkingConfig =
  | { readonly implementation: "none" }
  | {
    readonly implementation: "character_text_splitter";
    readonly separator: string;
    readonly chunk_size: number;
    readonly chunk_overlap: number;
    readonly is_separator_regex: boolean;
  }
  | {
    readonly implementation: "recursive_character_text_splitter";
    readonly separators: readonly string[];
    readonly chunk_size: number;
    readonly chunk_overlap: number;
    readonly is_separator_regex: boolean;
  };

/** A chunking failure; `message` is what pgai records as the error reason. */
export class ChunkingError extends Error {
  /** The Python exception class pgai would raise (`ValueError`, `re.error`, `TypeError`…). */
  readonly pythonClass: string;
  constructor(message: string, pythonClass: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ChunkingError";
    this.pythonClass = pythonClass;
  }
}

interface Splitter {
  readonly size: number;
  readonly overlap: number;
}

function validate(size: number, overlap: number): Splitter {
  if (size <= 0) throw new ChunkingError(`chunk_size must be > 0, got ${size}`, "ValueError");
  if (overlap < 0) {
    throw new ChunkingError(`chunk_overlap must be >= 0, got ${overlap}`, "ValueError");
  }
  if (overlap > size) {
    throw new ChunkingError(
      `Got a larger chunk overlap (${overlap}) than chunk size (${size}), should be smaller.`,
      "ValueError",
    );
  }
  return { size, overlap };
}

function regexFailure(err: unknown): never {
  if (err instanceof PyRegexError) {
    throw new ChunkingError(err.message, err.pythonClass, { cause: err });
  }
  throw err;
}

/** Python `a + b` where either side may be `None` (a non-participating group). */
function concat(a: string | null, b: string | null): string {
  if (a === null) {
    throw new ChunkingError(
      `unsupported operand type(s) for +: 'NoneType' and '${b === null ? "NoneType" : "str"}'`,
      "TypeError",
    );
  }
  if (b === null) {
    throw new ChunkingError('can only concatenate str (not "NoneType") to str', "TypeError");
  }
  return a + b;
}

/** LangChain's `_split_text_with_regex`: pieces of `text`, empty ones dropped. */
function splitText(
  text: string,
  separator: string,
  isRegex: boolean,
  keepSeparator: boolean,
): string[] {
  if (separator === "") return codePoints(text);
  const out: string[] = [];
  if (!isRegex) {
    const parts = text.split(separator);
    if (keepSeparator) {
      if (parts[0] !== "") out.push(parts[0]!);
      for (let i = 1; i < parts.length; i++) out.push(separator + parts[i]);
    } else {
      for (const p of parts) if (p !== "") out.push(p);
    }
    return out;
  }
  let pieces: (string | null)[];
  try {
    pieces = compilePyRegex(keepSeparator ? `(${separator})` : separator).split(text);
  } catch (err) {
    regexFailure(err);
  }
  if (!keepSeparator) {
    for (const p of pieces) if (p) out.push(p);
    return out;
  }
  // [p0, s1, p1, s2, p2, ...] -> [p0, s1+p1, s2+p2, ...] (Python pairs index 1 with 2, 3 with 4…)
  const n = pieces.length;
  const first = pieces[0] ?? null;
  if (first) out.push(first);
  for (let i = 1; i < n; i += 2) {
    if (i + 1 >= n) throw new ChunkingError("list index out of range", "IndexError");
    const joined = concat(pieces[i] ?? null, pieces[i + 1] ?? null);
    if (joined !== "") out.push(joined);
  }
  return out;
}

/** Pieces to merge: their count, code-point lengths, and how to join a run of them. */
interface Pieces {
  readonly count: number;
  length(i: number): number;
  join(start: number, end: number): string;
}

function stringPieces(splits: readonly string[], lengths: readonly number[], sep: string): Pieces {
  return {
    count: splits.length,
    length: (i) => lengths[i]!,
    join: (start, end) => end - start === 1 ? splits[start]! : splits.slice(start, end).join(sep),
  };
}

/** The code points of `text` as pieces, without allocating a string per code point. */
function codePointPieces(text: string): Pieces {
  const offsets: number[] = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    offsets.push(i + 1);
  }
  return {
    count: offsets.length - 1,
    length: () => 1,
    join: (start, end) => text.slice(offsets[start], offsets[end]),
  };
}

/**
 * Pieces of a keep-separator split as spans of `text` (each piece is the separator plus the text
 * up to the next separator, so consecutive pieces are adjacent and joining them with "" is a
 * slice). Undefined when the pattern has its own groups, whose pieces are not spans.
 */
function keepSeparatorSpans(
  text: string,
  separator: string,
  isRegex: boolean,
): number[] | undefined {
  const bounds = [0];
  if (!isRegex) {
    for (
      let at = text.indexOf(separator);
      at >= 0;
      at = text.indexOf(separator, at + separator.length)
    ) {
      bounds.push(at);
    }
  } else {
    let rx;
    try {
      rx = compilePyRegex(`(${separator})`);
    } catch (err) {
      regexFailure(err);
    }
    if (rx.groups !== 1) return undefined;
    bounds.push(...rx.matchStarts(text));
  }
  bounds.push(text.length);
  return bounds;
}

/** LangChain's `_merge_splits`: greedy packing of pieces into chunks with whole-piece overlap. */
function mergeSplits(pieces: Pieces, separator: string, s: Splitter, out: string[]): void {
  const sepLen = codePointLength(separator);
  let start = 0;
  let count = 0;
  let total = 0;
  const emit = () => {
    const doc = pyStrip(pieces.join(start, start + count));
    if (doc !== "") out.push(doc);
  };
  for (let i = 0; i < pieces.count; i++) {
    const len = pieces.length(i);
    if (total + len + (count > 0 ? sepLen : 0) > s.size) {
      if (count > 0) {
        emit();
        while (
          total > s.overlap || (total + len + (count > 0 ? sepLen : 0) > s.size && total > 0)
        ) {
          total -= pieces.length(start) + (count > 1 ? sepLen : 0);
          start++;
          count--;
        }
      }
    }
    if (count === 0) start = i;
    count++;
    total += len + (count > 1 ? sepLen : 0);
  }
  if (count > 0) emit();
}

function characterSplit(
  text: string,
  separator: string,
  isRegex: boolean,
  s: Splitter,
): string[] {
  const out: string[] = [];
  if (separator === "") {
    mergeSplits(codePointPieces(text), "", s, out);
    return out;
  }
  const splits = splitText(text, separator, isRegex, false);
  const lookaround = isRegex &&
    (separator.startsWith("(?=") || separator.startsWith("(?<!") ||
      separator.startsWith("(?<=") || separator.startsWith("(?!"));
  const merge = lookaround ? "" : separator;
  mergeSplits(stringPieces(splits, splits.map(codePointLength), merge), merge, s, out);
  return out;
}

function separatorOccurs(text: string, separator: string, isRegex: boolean): boolean {
  if (!isRegex) return text.includes(separator);
  try {
    return compilePyRegex(separator).search(text);
  } catch (err) {
    regexFailure(err);
  }
}

function recursiveSplit(
  text: string,
  separators: readonly string[],
  isRegex: boolean,
  s: Splitter,
  out: string[],
): void {
  let separator = separators[separators.length - 1]!;
  let rest: readonly string[] = [];
  for (let i = 0; i < separators.length; i++) {
    const candidate = separators[i]!;
    if (candidate === "") {
      separator = candidate;
      break;
    }
    if (separatorOccurs(text, candidate, isRegex)) {
      separator = candidate;
      rest = separators.slice(i + 1);
      break;
    }
  }
  if (separator === "") {
    // every piece is one code point: all shorter than chunk_size unless it is 1
    if (s.size > 1) mergeSplits(codePointPieces(text), "", s, out);
    else out.push(...codePoints(text));
    return;
  }
  const bounds = keepSeparatorSpans(text, separator, isRegex);
  if (bounds === undefined) {
    recursiveMerge(splitText(text, separator, isRegex, true), rest, isRegex, s, out);
    return;
  }
  // runs of short pieces are merged straight from the text: no string per piece
  const starts: number[] = [];
  const lengths: number[] = [];
  let runEnd = 0;
  const flush = () => {
    const end = runEnd;
    const count = starts.length;
    const runStarts = starts.slice();
    mergeSplits(
      {
        count,
        length: (i) => lengths[i]!,
        join: (a, b) => text.slice(runStarts[a], b < count ? runStarts[b] : end),
      },
      "",
      s,
      out,
    );
    starts.length = 0;
    lengths.length = 0;
  };
  for (let k = 0; k + 1 < bounds.length; k++) {
    const from = bounds[k]!;
    const to = bounds[k + 1]!;
    if (from === to) continue;
    const len = codePointCount(text, from, to);
    if (len < s.size) {
      starts.push(from);
      lengths.push(len);
      runEnd = to;
      continue;
    }
    if (starts.length > 0) flush();
    const piece = text.slice(from, to);
    if (rest.length === 0) out.push(piece);
    else recursiveSplit(piece, rest, isRegex, s, out);
  }
  if (starts.length > 0) flush();
}

/** The recursive step over pieces given as strings (patterns with their own groups). */
function recursiveMerge(
  splits: readonly string[],
  rest: readonly string[],
  isRegex: boolean,
  s: Splitter,
  out: string[],
): void {
  let good: string[] = [];
  let goodLengths: number[] = [];
  const flush = () => {
    mergeSplits(stringPieces(good, goodLengths, ""), "", s, out);
    good = [];
    goodLengths = [];
  };
  for (const piece of splits) {
    const len = codePointLength(piece);
    if (len < s.size) {
      good.push(piece);
      goodLengths.push(len);
      continue;
    }
    if (good.length > 0) flush();
    if (rest.length === 0) out.push(piece);
    else recursiveSplit(piece, rest, isRegex, s, out);
  }
  if (good.length > 0) flush();
}

/**
 * Splits `text` into chunks exactly as pgai 0.12.1 does for `config`.
 *
 * `none` returns `[text]` unchanged; the splitters return no chunks for empty or whitespace-only
 * text. Throws {@link ChunkingError} for an invalid configuration (e.g. overlap larger than size)
 * or a separator regex Python would reject.
 */
export function chunkText(config: ChunkingConfig, text: string): string[] {
  switch (config.implementation) {
    case "none":
      return [text];
    case "character_text_splitter": {
      const s = validate(config.chunk_size, config.chunk_overlap);
      return characterSplit(text, config.separator, config.is_separator_regex, s);
    }
    case "recursive_character_text_splitter": {
      const s = validate(config.chunk_size, config.chunk_overlap);
      const out: string[] = [];
      const separators = config.separators.length > 0 ? config.separators : ["\n\n", "\n", " ", ""];
      recursiveSplit(text, separators, config.is_separator_regex, s, out);
      return out;
    }
  }
}
