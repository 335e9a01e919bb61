/**
 * `.env` loading as pgai does it with python-dotenv 1.0.1: the first regular file named `.env`
 * found from the working directory upward is parsed (`KEY=value`, `export`, comments, quotes,
 * `${VAR}` / `${VAR:-default}` expansion) and its variables are added to the environment
 * without overriding any variable that is already set. This runs before option resolution,
 * so a `.env` can hold `PGAI_VECTORIZER_WORKER_*` options, libpq variables and API keys.
 */

import { PY_SPACE } from "./cli/python.ts";

/** The part of `Deno.env` that `.env` loading needs (tests pass their own). */
export interface EnvStore {
  get(name: string): string | undefined;
  has(name: string): boolean;
  set(name: string, value: string): void;
}

/** One `KEY=value` statement; `value` is undefined for a bare `KEY` line (it sets nothing). */
export interface DotenvBinding {
  key: string;
  value: string | undefined;
}

/** Result of parsing a `.env` text: the bindings in order, and lines that could not be parsed. */
export interface DotenvParse {
  bindings: DotenvBinding[];
  /** 1-based line numbers of statements python-dotenv would skip with a warning. */
  invalidLines: number[];
}

/** What loading did: the file used, the variables it set, and problems worth a warning. */
export interface DotenvLoad {
  path: string | undefined;
  set: string[];
  warnings: string[];
}

/** A `.env` file exists but cannot be read or decoded. */
export class DotenvError extends Error {
  override name = "DotenvError";
}

// python-dotenv's grammar, piece by piece (sticky: each must match where the reader stands).
const NOT_NEWLINE_SPACE = `[${PY_SPACE.replace("\\n", "").replace("\\r", "")}]`;
const sticky = (source: string) => new RegExp(source, "y");
const MULTILINE_WHITESPACE = sticky(`[${PY_SPACE}]*`);
const WHITESPACE = sticky(`${NOT_NEWLINE_SPACE}*`);
const EXPORT = sticky(`(?:export${NOT_NEWLINE_SPACE}+)?`);
const SINGLE_QUOTED_KEY = sticky(`'([^']+)'`);
const UNQUOTED_KEY = sticky(`([^=#${PY_SPACE}]+)`);
const EQUAL_SIGN = sticky(`=${NOT_NEWLINE_SPACE}*`);
const SINGLE_QUOTED_VALUE = sticky(`'((?:\\\\'|[^'])*)'`);
const DOUBLE_QUOTED_VALUE = sticky(`"((?:\\\\"|[^"])*)"`);
const UNQUOTED_VALUE = sticky(`([^\\r\\n]*)`);
const COMMENT = sticky(`(?:${NOT_NEWLINE_SPACE}*#[^\\r\\n]*)?`);
const END_OF_LINE = sticky(`${NOT_NEWLINE_SPACE}*(?:\\r\\n|\\n|\\r|$)`);
const REST_OF_LINE = sticky(`[^\\r\\n]*(?:\\r|\\n|\\r\\n)?`);
const NEWLINES = /\r\n|\n|\r/g;
const INLINE_COMMENT = new RegExp(`[${PY_SPACE}]+#[^\\n]*`);
const TRAILING_SPACE = new RegExp(`[${PY_SPACE}]+$`);
const DOUBLE_QUOTE_ESCAPES = /\\[\\'"abfnrtv]/g;
const SINGLE_QUOTE_ESCAPES = /\\[\\']/g;
const ESCAPED: Record<string, string> = {
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
};
const VARIABLE = /\$\{(?<name>[^}:]*)(?::-(?<default>[^}]*))?\}/g;

/** The statement at the reader's position does not follow the grammar. */
class SyntaxMismatch extends Error {}

class Reader {
  position = 0;
  line = 1;
  constructor(readonly text: string) {}

  hasNext(): boolean {
    return this.position < this.text.length;
  }

  peek(): string {
    return this.text.charAt(this.position);
  }

  read(pattern: RegExp): string[] {
    pattern.lastIndex = this.position;
    const match = pattern.exec(this.text);
    if (!match) throw new SyntaxMismatch();
    this.position = pattern.lastIndex;
    this.line += match[0].match(NEWLINES)?.length ?? 0;
    return match.slice(1).map((group) => group ?? "");
  }
}

function unescape(value: string, escapes: RegExp): string {
  return value.replace(escapes, (escape) => ESCAPED[escape.charAt(1)] ?? escape.charAt(1));
}

function parseValue(reader: Reader): string {
  const quote = reader.peek();
  if (quote === "'") {
    return unescape(reader.read(SINGLE_QUOTED_VALUE)[0] ?? "", SINGLE_QUOTE_ESCAPES);
  }
  if (quote === '"') {
    return unescape(reader.read(DOUBLE_QUOTED_VALUE)[0] ?? "", DOUBLE_QUOTE_ESCAPES);
  }
  if (quote === "" || quote === "\n" || quote === "\r") return "";
  const part = reader.read(UNQUOTED_VALUE)[0] ?? "";
  return part.replace(INLINE_COMMENT, "").replace(TRAILING_SPACE, "");
}

/** Parses `.env` text with python-dotenv 1.0.1's grammar (no variable expansion yet). */
export function parseDotenv(text: string): DotenvParse {
  const reader = new Reader(text);
  const bindings: DotenvBinding[] = [];
  const invalidLines: number[] = [];
  while (reader.hasNext()) {
    reader.read(MULTILINE_WHITESPACE);
    if (!reader.hasNext()) break;
    const line = reader.line;
    try {
      reader.read(EXPORT);
      const first = reader.peek();
      const key = first === "#"
        ? undefined
        : reader.read(first === "'" ? SINGLE_QUOTED_KEY : UNQUOTED_KEY)[0];
      reader.read(WHITESPACE);
      let value: string | undefined;
      if (reader.peek() === "=") {
        reader.read(EQUAL_SIGN);
        value = parseValue(reader);
      }
      reader.read(COMMENT);
      reader.read(END_OF_LINE);
      if (key !== undefined) bindings.push({ key, value });
    } catch (error) {
      if (!(error instanceof SyntaxMismatch)) throw error;
      reader.read(REST_OF_LINE);
      invalidLines.push(line);
    }
  }
  return { bindings, invalidLines };
}

/**
 * Expands `${VAR}` and `${VAR:-default}` in every value the way python-dotenv does without
 * override: a variable resolves from the real environment first, then from earlier entries
 * of the file; the default applies only when the name is found in neither (a bare `KEY`
 * entry or an empty variable resolves to the empty string). The last entry of a key wins.
 */
export function expandDotenv(
  bindings: readonly DotenvBinding[],
  env: Pick<EnvStore, "get" | "has">,
): Map<string, string | undefined> {
  const values = new Map<string, string | undefined>();
  for (const { key, value } of bindings) {
    if (value === undefined) {
      values.set(key, undefined);
      continue;
    }
    const expanded = value.replace(VARIABLE, (_match, name: string, fallback?: string) => {
      if (env.has(name)) return env.get(name) ?? "";
      if (values.has(name)) return values.get(name) ?? "";
      return fallback ?? "";
    });
    values.set(key, expanded);
  }
  return values;
}

// Plain string handling instead of node:path, which costs start-up time (`pgai --help`).
const WINDOWS = Deno.build.os === "windows";
const SEPARATOR = WINDOWS ? "\\" : "/";
const TRAILING_SEPARATORS = WINDOWS ? /[\\/]+$/ : /\/+$/;
const ABSOLUTE = WINDOWS ? /^(?:[a-z]:)?[\\/]/i : /^\//;

/** The directory above `directory` (keeping its trailing separator), or undefined at a root. */
function parentDirectory(directory: string): string | undefined {
  const trimmed = directory.replace(TRAILING_SEPARATORS, "");
  const cut = Math.max(trimmed.lastIndexOf("/"), WINDOWS ? trimmed.lastIndexOf("\\") : -1);
  return cut < 0 ? undefined : trimmed.slice(0, cut + 1);
}

/** The first regular file named `.env` in `cwd` or one of its ancestors, if any. */
export function findDotenv(cwd: string): string | undefined {
  let directory: string | undefined = ABSOLUTE.test(cwd) ? cwd : Deno.cwd() + SEPARATOR + cwd;
  while (directory !== undefined) {
    const candidate = directory.replace(TRAILING_SEPARATORS, "") + SEPARATOR + ".env";
    try {
      if (Deno.statSync(candidate).isFile) return candidate;
    } catch {
      // missing or unreadable: keep looking upward, as python-dotenv does
    }
    directory = parentDirectory(directory);
  }
  return undefined;
}

/**
 * Finds and loads the `.env` file for `cwd` into `env`, never overriding a variable that is
 * already set (even to the empty string). Throws DotenvError if the file cannot be read.
 */
export function loadDotenv(cwd: string, env: EnvStore): DotenvLoad {
  const path = findDotenv(cwd);
  if (path === undefined) return { path, set: [], warnings: [] };
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(Deno.readFileSync(path));
  } catch (error) {
    throw new DotenvError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  const { bindings, invalidLines } = parseDotenv(text);
  const warnings = invalidLines.map((line) =>
    `could not parse the statement starting at line ${line} of ${path}`
  );
  const set: string[] = [];
  for (const [key, value] of expandDotenv(bindings, env)) {
    if (value === undefined || env.has(key)) continue;
    try {
      env.set(key, value);
      set.push(key);
    } catch (error) {
      warnings.push(`cannot set ${key} from ${path}: ${(error as Error).message}`);
    }
  }
  return { path, set, warnings };
}
