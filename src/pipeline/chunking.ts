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
import { codePointLength, codePoints, pyStrip } from "./pystr.ts";

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

/** LangChain's `_merge_splits`: greedy packing of pieces into chunks with whole-piece overlap. */
function mergeSplits(
  splits: readonly string[],
  lengths: readonly number[],
  separator: string,
  s: Splitter,
  out: string[],
): void {
  const sepLen = codePointLength(separator);
  let start = 0;
  let count = 0;
  let total = 0;
  const emit = () => {
    const doc = pyStrip(
      count === 1 ? splits[start]! : splits.slice(start, start + count).join(separator),
    );
    if (doc !== "") out.push(doc);
  };
  for (let i = 0; i < splits.length; i++) {
    const len = lengths[i]!;
    if (total + len + (count > 0 ? sepLen : 0) > s.size) {
      if (count > 0) {
        emit();
        while (
          total > s.overlap || (total + len + (count > 0 ? sepLen : 0) > s.size && total > 0)
        ) {
          total -= lengths[start]! + (count > 1 ? sepLen : 0);
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
  const splits = splitText(text, separator, isRegex, false);
  const lookaround = isRegex &&
    (separator.startsWith("(?=") || separator.startsWith("(?<!") ||
      separator.startsWith("(?<=") || separator.startsWith("(?!"));
  const out: string[] = [];
  mergeSplits(splits, splits.map(codePointLength), lookaround ? "" : separator, s, out);
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
  const splits = splitText(text, separator, isRegex, true);
  let good: string[] = [];
  let goodLengths: number[] = [];
  for (const piece of splits) {
    const len = codePointLength(piece);
    if (len < s.size) {
      good.push(piece);
      goodLengths.push(len);
      continue;
    }
    if (good.length > 0) {
      mergeSplits(good, goodLengths, "", s, out);
      good = [];
      goodLengths = [];
    }
    if (rest.length === 0) out.push(piece);
    else recursiveSplit(piece, rest, isRegex, s, out);
  }
  if (good.length > 0) mergeSplits(good, goodLengths, "", s, out);
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
