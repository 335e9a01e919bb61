/**
 * Python `str` semantics that differ from JavaScript strings.
 *
 * pgai runs on Python, where a string is a sequence of code points (`len` counts astral
 * characters once), `str.strip()` uses Python's own whitespace set (not JS `trim`), and values
 * nested in lists/dicts are shown with `repr`. Chunk boundaries and formatted text must match
 * byte for byte, so these rules live here, written for speed (no per-character allocation).
 */

/** Python `str.isspace()` for one UTF-16 code unit (every Python whitespace is in the BMP). */
export function isPyWhitespace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
  if (c < 0x85) return false;
  return c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

/** Python `str.strip()` with no argument. */
export function pyStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isPyWhitespace(s.charCodeAt(start))) start++;
  while (end > start && isPyWhitespace(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/** True when `s` is empty or only Python whitespace. */
export function isPyBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    if (!isPyWhitespace(s.charCodeAt(i))) return false;
  }
  return true;
}

/** Python `len(s)`: the number of code points (a surrogate pair counts once). */
export function codePointLength(s: string): number {
  return codePointCount(s, 0, s.length);
}

/** Python `len(s[from:to])` for code unit offsets that do not split a surrogate pair. */
export function codePointCount(s: string, from: number, to: number): number {
  let pairs = 0;
  for (let i = from; i < to - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        pairs++;
        i++;
      }
    }
  }
  return to - from - pairs;
}

/** Number of code points in `s.slice(0, end)`. */
export function codePointOffset(s: string, end: number): number {
  return codePointCount(s, 0, end);
}

/** Python `list(s)`: one string per code point. */
export function codePoints(s: string): string[] {
  const out: string[] = [];
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out.push(s.slice(i, i + 2));
        i++;
        continue;
      }
    }
    out.push(s[i]!);
  }
  return out;
}

/** Python `str.splitlines` line boundaries (`\r\n` counts as one). */
export function isPyLineBreak(c: number): boolean {
  return (c >= 0x0a && c <= 0x0d) || (c >= 0x1c && c <= 0x1e) || c === 0x85 || c === 0x2028 ||
    c === 0x2029;
}

// Characters Python's repr escapes: everything not "printable" (categories C*, Z* except the
// ASCII space), plus the backslash and both quotes which are handled separately.
const NEEDS_ESCAPE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}\\'"]/u;
const NON_PRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}

/** Python `repr(s)` for a `str`. */
export function pyReprStr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  if (!NEEDS_ESCAPE.test(s)) return quote + s + quote;
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === quote || ch === "\\") out += "\\" + ch;
    else if (ch === "\t") out += "\\t";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (cp === 0x20) out += ch;
    else if (cp < 0x20 || cp === 0x7f) out += "\\x" + hex(cp, 2);
    else if (cp < 0x7f) out += ch;
    else if (NON_PRINTABLE.test(ch)) {
      out += cp <= 0xff
        ? "\\x" + hex(cp, 2)
        : cp <= 0xffff
        ? "\\u" + hex(cp, 4)
        : "\\U" + hex(cp, 8);
    } else out += ch;
  }
  return out + quote;
}

/** Python `repr(b)` (also `str(b)`) for a `bytes` value. */
export function pyReprBytes(b: Uint8Array): string {
  let hasSingle = false;
  let hasDouble = false;
  for (const x of b) {
    if (x === 0x27) hasSingle = true;
    else if (x === 0x22) hasDouble = true;
  }
  const quote = hasSingle && !hasDouble ? '"' : "'";
  const q = quote.charCodeAt(0);
  const parts: string[] = ["b", quote];
  for (const x of b) {
    if (x === q || x === 0x5c) parts.push("\\" + String.fromCharCode(x));
    else if (x === 0x09) parts.push("\\t");
    else if (x === 0x0a) parts.push("\\n");
    else if (x === 0x0d) parts.push("\\r");
    else if (x < 0x20 || x >= 0x7f) parts.push("\\x" + hex(x, 2));
    else parts.push(String.fromCharCode(x));
  }
  parts.push(quote);
  return parts.join("");
}
