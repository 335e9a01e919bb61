/**
 * Python value semantics that pgai's command line inherits from click, pytimeparse and
 * python-dotenv: what counts as whitespace (`str.isspace`), how `int()` reads a string,
 * how `repr()` quotes one. The CLI reproduces them so that every value pgai accepts is
 * accepted here with the same meaning, and error messages quote values the same way.
 */

/** Characters for which Python's `str.isspace()` is true, as a regex character-class body. */
export const PY_SPACE =
  "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

const LEADING_SPACE = new RegExp(`^[${PY_SPACE}]+`);
const TRAILING_SPACE = new RegExp(`[${PY_SPACE}]+$`);
const SPACE_RUN = new RegExp(`[${PY_SPACE}]+`);
const INT_LITERAL = /^[+-]?\p{Nd}+(?:_\p{Nd}+)*$/u;
const DECIMAL_DIGIT = /\p{Nd}/u;
const UNPRINTABLE = /[\p{C}\p{Z}]/u;

/** Python `str.strip()` without arguments. */
export function pyStrip(text: string): string {
  return text.replace(LEADING_SPACE, "").replace(TRAILING_SPACE, "");
}

/** Python `str.split()` without arguments: split on whitespace runs, drop empty parts. */
export function pySplit(text: string): string[] {
  return text.split(SPACE_RUN).filter((part) => part !== "");
}

/**
 * Replaces every Unicode decimal digit (category Nd, which Python's `\d`, `int()` and
 * `float()` accept) by its ASCII digit. Unicode lays out each script's digits as runs of
 * ten code points starting at zero, so a digit's value is its distance from the start of
 * its run, modulo ten.
 */
export function asciiDigits(text: string): string {
  let out = "";
  for (const char of text) {
    if (char >= "0" && char <= "9") {
      out += char;
      continue;
    }
    if (!DECIMAL_DIGIT.test(char)) {
      out += char;
      continue;
    }
    const codePoint = char.codePointAt(0) as number;
    let start = codePoint;
    while (DECIMAL_DIGIT.test(String.fromCodePoint(start - 1))) start--;
    out += String((codePoint - start) % 10);
  }
  return out;
}

/**
 * Python `int(text)` for a string in base 10: surrounding whitespace, one sign, decimal
 * digits of any script, single underscores between digits. Returns undefined where Python
 * raises ValueError. Values beyond 2^53 lose precision (callers bound them).
 */
export function pyInt(text: string): number | undefined {
  const stripped = pyStrip(text);
  if (!INT_LITERAL.test(stripped)) return undefined;
  const value = Number(asciiDigits(stripped).replaceAll("_", ""));
  return value === 0 ? 0 : value;
}

/** Python `float(text)` for the digit-and-dot strings pytimeparse captures; NaN when invalid. */
export function pyFloat(text: string): number {
  const ascii = asciiDigits(pyStrip(text));
  return /^(?:\d+\.?\d*|\.\d+)$/.test(ascii) ? Number(ascii) : NaN;
}

/** Python `repr()` of a string: quotes, backslash escapes for unprintable characters. */
export function pyRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of text) {
    if (char === quote || char === "\\") out += "\\" + char;
    else if (char === "\n") out += "\\n";
    else if (char === "\r") out += "\\r";
    else if (char === "\t") out += "\\t";
    else if (char === " " || !UNPRINTABLE.test(char)) out += char;
    else {
      const codePoint = char.codePointAt(0) as number;
      const hex = codePoint.toString(16);
      if (codePoint <= 0xff) out += "\\x" + hex.padStart(2, "0");
      else if (codePoint <= 0xffff) out += "\\u" + hex.padStart(4, "0");
      else out += "\\U" + hex.padStart(8, "0");
    }
  }
  return out + quote;
}
