/**
 * Python `re` patterns run on the JavaScript regex engine.
 *
 * Users of pgai write separator regexes for Python's `re` module (`is_separator_regex`). The two
 * dialects differ in syntax (`(?P<name>…)`, `(?P=name)`, `\Z`, inline flags, `{,n}`, possessive
 * quantifiers) and in meaning (`\d \w \s \b` are Unicode-aware in Python 3, `.`/`$`/`^` treat
 * only `\n` as a line break, `re.split` splits on empty matches and returns captured groups).
 * This module parses the Python syntax (following `sre_parse` of Python 3.11) and emits an
 * equivalent `v`-flag RegExp; constructs without a JS equivalent raise a {@link PyRegexError}
 * that names them. Python's compile-time errors are reproduced with their messages.
 */

/** A pattern Python would reject, or one this translator cannot express in JavaScript. */
export class PyRegexError extends Error {
  /** The Python exception class (`re.error`, `OverflowError`) or `NotSupported`. */
  readonly pythonClass: string;
  constructor(message: string, pythonClass = "re.error", options?: ErrorOptions) {
    super(message, options);
    this.name = "PyRegexError";
    this.pythonClass = pythonClass;
  }
}

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  x: boolean;
  a: boolean;
}

interface Item {
  js: string;
  min: number;
  max: number;
  kind: "at" | "repeat" | "atom";
}

const WORD = "\\p{L}\\p{N}_";
const ASCII_WORD = "A-Za-z0-9_";
const SPACE = "\\u{9}-\\u{d}\\u{1c}-\\u{20}\\u{85}\\u{a0}\\u{1680}\\u{2000}-\\u{200a}" +
  "\\u{2028}\\u{2029}\\u{202f}\\u{205f}\\u{3000}";
const ASCII_SPACE = "\\u{9}-\\u{d}\\u{20}";
const ANY = "[\\u{0}-\\u{10ffff}]";
const MAXREPEAT = 4294967295;
const FLAG_CHARS = "aiLmsux";

class Restart {
  constructor(readonly flags: Flags) {}
}

function lit(cp: number): string {
  if (
    (cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a)
  ) return String.fromCharCode(cp);
  return "\\u{" + cp.toString(16) + "}";
}

function isIdentifier(name: string): boolean {
  return /^[\p{ID_Start}_][\p{ID_Continue}]*$/u.test(name);
}

/** Parser state for one Python pattern. */
class Parser {
  private pos = 0;
  private groups = 0;
  private readonly names = new Map<string, number>();
  private readonly open = new Set<number>();
  private readonly widths = new Map<number, [number, number]>();
  private atomic = 0;
  private readonly chars: string[];
  private lookbehindGroups: number | undefined;
  /** Whether the pattern may prefer an empty match where a non-empty one exists. */
  prefersShorter = false;

  constructor(pattern: string, readonly flags: Flags) {
    this.chars = Array.from(pattern);
  }

  get groupCount(): number {
    return this.groups;
  }

  private error(message: string, at = this.pos): PyRegexError {
    return new PyRegexError(`${message} at position ${at}`);
  }

  private peek(): string | undefined {
    return this.chars[this.pos];
  }

  private eat(c: string): boolean {
    if (this.chars[this.pos] === c) {
      this.pos++;
      return true;
    }
    return false;
  }

  parse(): Item {
    const body = this.alternation(this.flags, true);
    if (this.pos < this.chars.length) {
      // only a stray ')' stops the top-level parse early
      throw this.error("unbalanced parenthesis");
    }
    return body;
  }

  private alternation(flags: Flags, top = false): Item {
    const branches: string[] = [];
    let min = Infinity;
    let max = 0;
    let first = top;
    for (;;) {
      const seq = this.sequence(flags, first);
      first = false;
      branches.push(seq.js);
      min = Math.min(min, seq.min);
      max = Math.max(max, seq.max);
      if (!this.eat("|")) break;
      this.prefersShorter = true;
    }
    return { js: branches.join("|"), min, max, kind: "atom" };
  }

  private sequence(flags: Flags, first: boolean): Item {
    const items: Item[] = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === "|" || c === ")") break;
      const start = this.pos;
      this.pos++;
      if (flags.x) {
        if (/^[ \t\n\r\v\f]$/.test(c)) continue;
        if (c === "#") {
          while (this.pos < this.chars.length && this.chars[this.pos] !== "\n") this.pos++;
          continue;
        }
      }
      if (c === "\\") {
        items.push(this.escape(flags));
      } else if (c === "[") {
        items.push(this.charClass(flags, start));
      } else if (c === "(") {
        const item = this.group(flags, start, first && items.length === 0);
        if (item !== undefined) items.push(item);
      } else if (c === ".") {
        items.push({ js: flags.s ? ANY : "[^\\n]", min: 1, max: 1, kind: "atom" });
      } else if (c === "^") {
        items.push({ js: flags.m ? "(?<![^\\n])" : "^", min: 0, max: 0, kind: "at" });
      } else if (c === "$") {
        items.push({
          js: flags.m ? "(?=\\n|$)" : "(?=\\n?$)",
          min: 0,
          max: 0,
          kind: "at",
        });
      } else if (c === "*" || c === "+" || c === "?" || c === "{") {
        let lo = 0;
        let hi = Infinity;
        if (c === "?") hi = 1;
        else if (c === "+") lo = 1;
        else if (c === "{") {
          const bounds = this.braces();
          if (bounds === undefined) {
            items.push({ js: lit(0x7b), min: 1, max: 1, kind: "atom" });
            continue;
          }
          [lo, hi] = bounds;
        }
        const target = items[items.length - 1];
        if (target === undefined || target.kind === "at") {
          throw this.error("nothing to repeat", start);
        }
        if (target.kind === "repeat") throw this.error("multiple repeat", start);
        let q = hi === Infinity
          ? (lo === 0 ? "*" : lo === 1 ? "+" : `{${lo},}`)
          : lo === 0 && hi === 1
          ? "?"
          : lo === hi
          ? `{${lo}}`
          : `{${lo},${hi}}`;
        let js: string;
        if (this.eat("?")) {
          this.prefersShorter = true;
          q += "?";
          js = `(?:${target.js})${q}`;
        } else if (this.eat("+")) {
          const name = `a${++this.atomic}`;
          js = `(?:(?=(?<${name}>(?:${target.js})${q}))\\k<${name}>)`;
        } else {
          js = `(?:${target.js})${q}`;
        }
        items[items.length - 1] = {
          js,
          min: target.min * lo,
          max: hi === 0 ? 0 : target.max * hi,
          kind: "repeat",
        };
      } else {
        items.push({ js: lit(c.codePointAt(0)!), min: 1, max: 1, kind: "atom" });
      }
    }
    let min = 0;
    let max = 0;
    for (const it of items) {
      min += it.min;
      max += it.max;
    }
    return { js: items.map((it) => it.js).join(""), min, max, kind: "atom" };
  }

  /** After `{`: the repeat bounds, or undefined when `{` is a literal (position restored). */
  private braces(): [number, number] | undefined {
    const here = this.pos;
    if (this.peek() === "}") return undefined;
    let lo = "";
    let hi = "";
    while (/^[0-9]$/.test(this.peek() ?? "")) lo += this.chars[this.pos++];
    if (this.eat(",")) {
      while (/^[0-9]$/.test(this.peek() ?? "")) hi += this.chars[this.pos++];
    } else hi = lo;
    if (!this.eat("}")) {
      this.pos = here;
      return undefined;
    }
    const min = lo ? Number(lo) : 0;
    const max = hi ? Number(hi) : Infinity;
    if (min >= MAXREPEAT || (max !== Infinity && max >= MAXREPEAT)) {
      throw new PyRegexError("the repetition number is too large", "OverflowError");
    }
    if (max < min) throw this.error("min repeat greater than max repeat", here);
    return [min, max];
  }

  private category(c: string, flags: Flags, inClass: boolean): string | undefined {
    const word = flags.a ? ASCII_WORD : WORD;
    const space = flags.a ? ASCII_SPACE : SPACE;
    switch (c) {
      case "d":
        return flags.a ? (inClass ? "0-9" : "[0-9]") : "\\p{Nd}";
      case "D":
        return flags.a ? "[^0-9]" : "\\P{Nd}";
      case "w":
        return inClass ? word : `[${word}]`;
      case "W":
        return `[^${word}]`;
      case "s":
        return inClass ? space : `[${space}]`;
      case "S":
        return `[^${space}]`;
    }
    return undefined;
  }

  private readHex(count: number, escape: string): number {
    let digits = "";
    for (let k = 0; k < count; k++) {
      const d = this.peek();
      if (d === undefined || !/^[0-9a-fA-F]$/.test(d)) {
        throw this.error(`incomplete escape ${escape}${digits}`, this.pos - 2 - digits.length);
      }
      digits += d;
      this.pos++;
    }
    return parseInt(digits, 16);
  }

  /** Escapes valid in and out of classes that denote one code point, or undefined. */
  private simpleEscape(c: string, start: number): number | undefined {
    switch (c) {
      case "a":
        return 7;
      case "f":
        return 12;
      case "n":
        return 10;
      case "r":
        return 13;
      case "t":
        return 9;
      case "v":
        return 11;
      case "\\":
        return 92;
      case "x":
        return this.readHex(2, "\\x");
      case "u":
        return this.readHex(4, "\\u");
      case "U": {
        const cp = this.readHex(8, "\\U");
        if (cp > 0x10ffff) throw this.error(`bad escape \\U${cp.toString(16)}`, start);
        return cp;
      }
      case "N":
        throw new PyRegexError(
          `the named Unicode escape \\N{...} at position ${start} is not supported by this worker`,
          "NotSupported",
        );
    }
    return undefined;
  }

  private escape(flags: Flags): Item {
    const start = this.pos - 1;
    const c = this.chars[this.pos++];
    if (c === undefined) throw this.error("bad escape (end of pattern)", start);
    const word = flags.a ? ASCII_WORD : WORD;
    switch (c) {
      case "A":
        return { js: "^", min: 0, max: 0, kind: "at" };
      case "Z":
        return { js: "$", min: 0, max: 0, kind: "at" };
      case "b":
        return {
          js: `(?:(?<=[${word}])(?![${word}])|(?<![${word}])(?=[${word}]))`,
          min: 0,
          max: 0,
          kind: "at",
        };
      case "B":
        return {
          js:
            `(?:(?<=[\\s\\S])|(?=[\\s\\S]))(?:(?<=[${word}])(?=[${word}])|(?<![${word}])(?![${word}]))`,
          min: 0,
          max: 0,
          kind: "at",
        };
    }
    const cat = this.category(c, flags, false);
    if (cat !== undefined) return { js: cat, min: 1, max: 1, kind: "atom" };
    const simple = this.simpleEscape(c, start);
    if (simple !== undefined) return { js: lit(simple), min: 1, max: 1, kind: "atom" };
    if (c === "0") {
      let digits = "";
      while (digits.length < 2 && /^[0-7]$/.test(this.peek() ?? "")) {
        digits += this.chars[this.pos++];
      }
      return { js: lit(parseInt(digits || "0", 8)), min: 1, max: 1, kind: "atom" };
    }
    if (/^[1-9]$/.test(c)) {
      let escape = "\\" + c;
      if (/^[0-9]$/.test(this.peek() ?? "")) {
        escape += this.chars[this.pos++];
        if (
          /^[0-7]$/.test(escape[1]!) && /^[0-7]$/.test(escape[2]!) &&
          /^[0-7]$/.test(this.peek() ?? "")
        ) {
          escape += this.chars[this.pos++];
          const v = parseInt(escape.slice(1), 8);
          if (v > 0o377) {
            throw this.error(`octal escape value ${escape} outside of range 0-0o377`, start);
          }
          return { js: lit(v), min: 1, max: 1, kind: "atom" };
        }
      }
      const group = Number(escape.slice(1));
      return this.groupRef(group, start, escape.length - 1);
    }
    if (/^[A-Za-z]$/.test(c)) throw this.error(`bad escape \\${c}`, start);
    return { js: lit(c.codePointAt(0)!), min: 1, max: 1, kind: "atom" };
  }

  private groupRef(group: number, start: number, _len: number): Item {
    if (group > this.groups) throw this.error(`invalid group reference ${group}`, start + 1);
    if (this.open.has(group)) throw this.error("cannot refer to an open group", start);
    if (this.lookbehindGroups !== undefined && group > this.lookbehindGroups) {
      throw this.error("cannot refer to group defined in the same lookbehind subpattern", start);
    }
    const [min, max] = this.widths.get(group) ?? [0, Infinity];
    return { js: `(?:\\k<p${group}>)`, min, max, kind: "atom" };
  }

  private classItem(flags: Flags, c: string, start: number): { js: string; cp?: number } {
    if (c !== "\\") return { js: lit(c.codePointAt(0)!), cp: c.codePointAt(0)! };
    const e = this.chars[this.pos++];
    if (e === undefined) throw this.error("bad escape (end of pattern)", start);
    if (e === "b") return { js: lit(8), cp: 8 };
    const cat = this.category(e, flags, true);
    if (cat !== undefined) return { js: cat };
    const simple = this.simpleEscape(e, start);
    if (simple !== undefined) return { js: lit(simple), cp: simple };
    if (/^[0-7]$/.test(e)) {
      let digits = e;
      while (digits.length < 3 && /^[0-7]$/.test(this.peek() ?? "")) {
        digits += this.chars[this.pos++];
      }
      const v = parseInt(digits, 8);
      if (v > 0o377) {
        throw this.error(`octal escape value \\${digits} outside of range 0-0o377`, start);
      }
      return { js: lit(v), cp: v };
    }
    if (/^[0-9A-Za-z]$/.test(e)) throw this.error(`bad escape \\${e}`, start);
    return { js: lit(e.codePointAt(0)!), cp: e.codePointAt(0)! };
  }

  private charClass(flags: Flags, here: number): Item {
    const negate = this.eat("^");
    const parts: string[] = [];
    for (;;) {
      const start = this.pos;
      const c = this.chars[this.pos++];
      if (c === undefined) throw this.error("unterminated character set", here);
      if (c === "]" && parts.length > 0) break;
      const first = this.classItem(flags, c, start);
      if (this.eat("-")) {
        const thatStart = this.pos;
        const that = this.chars[this.pos++];
        if (that === undefined) throw this.error("unterminated character set", here);
        if (that === "]") {
          parts.push(first.js, lit(0x2d));
          break;
        }
        const second = this.classItem(flags, that, thatStart);
        const text = this.chars.slice(start, this.pos).join("");
        if (first.cp === undefined || second.cp === undefined || second.cp < first.cp) {
          throw this.error(`bad character range ${text}`, start);
        }
        parts.push(`${first.js}-${second.js}`);
      } else {
        parts.push(first.js);
      }
    }
    return { js: `[${negate ? "^" : ""}${parts.join("")}]`, min: 1, max: 1, kind: "atom" };
  }

  private readName(terminator: string, start: number): string {
    let name = "";
    for (;;) {
      const c = this.chars[this.pos++];
      if (c === undefined) {
        throw this.error(`missing ${terminator}, unterminated name`, start);
      }
      if (c === terminator) break;
      name += c;
    }
    if (!name) throw this.error("missing group name", start);
    return name;
  }

  private parseFlags(first: string, flags: Flags, start: number, topFirst: boolean): Flags | null {
    const add = new Set<string>();
    const del = new Set<string>();
    let c: string | undefined = first;
    if (c !== "-") {
      for (;;) {
        if (c === "L") {
          throw this.error("bad inline flags: cannot use 'L' flag with a str pattern");
        }
        add.add(c);
        if (add.has("a") && add.has("u")) {
          throw this.error("bad inline flags: flags 'a', 'u' and 'L' are incompatible");
        }
        c = this.chars[this.pos++];
        if (c === undefined) throw this.error("missing -, : or )", this.pos - 1);
        if (c === ")" || c === "-" || c === ":") break;
        if (!FLAG_CHARS.includes(c)) {
          throw this.error(/^\p{L}$/u.test(c) ? "unknown flag" : "missing -, : or )", this.pos - 1);
        }
      }
    }
    if (c === ")") {
      if (!topFirst) throw this.error("global flags not at the start of the expression", start);
      const next = { ...flags };
      for (const f of add) if (f in next) next[f as keyof Flags] = true;
      if (next.x && !flags.x) throw new Restart(next);
      Object.assign(this.flags, next);
      Object.assign(flags, next);
      return null;
    }
    if (c === "-") {
      c = this.chars[this.pos++];
      if (c === undefined) throw this.error("missing flag", this.pos - 1);
      if (!FLAG_CHARS.includes(c)) {
        throw this.error(/^\p{L}$/u.test(c) ? "unknown flag" : "missing flag", this.pos - 1);
      }
      for (;;) {
        if (c === "a" || c === "u" || c === "L") {
          throw this.error("bad inline flags: cannot turn off flags 'a', 'u' and 'L'");
        }
        del.add(c);
        c = this.chars[this.pos++];
        if (c === undefined) throw this.error("missing :", this.pos - 1);
        if (c === ":") break;
        if (!FLAG_CHARS.includes(c)) {
          throw this.error(/^\p{L}$/u.test(c) ? "unknown flag" : "missing :", this.pos - 1);
        }
      }
    }
    for (const f of add) {
      if (del.has(f)) throw this.error("bad inline flags: flag turned on and off", this.pos - 1);
    }
    const scoped = { ...flags };
    for (const f of add) if (f in scoped) scoped[f as keyof Flags] = true;
    for (const f of del) if (f in scoped) scoped[f as keyof Flags] = false;
    return scoped;
  }

  /** After `(`: a group item, or undefined for a comment / global flags group. */
  private group(flags: Flags, start: number, topFirst: boolean): Item | undefined {
    let capture = true;
    let name: string | undefined;
    let inner = flags;
    let wrapOpen = "";
    let wrapClose = "";
    if (this.eat("?")) {
      const c = this.chars[this.pos++];
      if (c === undefined) throw this.error("unexpected end of pattern", this.pos);
      if (c === "P") {
        if (this.eat("<")) {
          name = this.readName(">", this.pos);
          if (!isIdentifier(name)) {
            throw this.error(`bad character in group name '${name}'`, start + 4);
          }
          if (this.names.has(name)) {
            throw this.error(
              `redefinition of group name '${name}' as group ${this.groups + 1}; was group ${
                this.names.get(name)
              }`,
              start + 4,
            );
          }
        } else if (this.eat("=")) {
          const ref = this.readName(")", this.pos);
          if (!isIdentifier(ref)) {
            throw this.error(`bad character in group name '${ref}'`, start + 4);
          }
          const group = this.names.get(ref);
          if (group === undefined) throw this.error(`unknown group name '${ref}'`, start + 4);
          return this.groupRef(group, start, ref.length);
        } else {
          const d = this.peek();
          throw this.error(
            d === undefined ? "unexpected end of pattern" : `unknown extension ?P${d}`,
            start + 1,
          );
        }
      } else if (c === ":") {
        capture = false;
      } else if (c === "#") {
        for (;;) {
          const d = this.chars[this.pos++];
          if (d === undefined) throw this.error("missing ), unterminated comment", start);
          if (d === ")") return undefined;
        }
      } else if (c === "=" || c === "!" || c === "<") {
        let behind = false;
        let kind = c;
        if (c === "<") {
          const d = this.chars[this.pos++];
          if (d !== "=" && d !== "!") {
            throw this.error(
              d === undefined ? "unexpected end of pattern" : `unknown extension ?<${d}`,
              start + 1,
            );
          }
          behind = true;
          kind = d;
        }
        const saved = this.lookbehindGroups;
        if (behind) this.lookbehindGroups = this.groups;
        const body = this.alternation(flags);
        this.lookbehindGroups = saved;
        if (!this.eat(")")) throw this.error("missing ), unterminated subpattern", start);
        if (behind && body.min !== body.max) {
          throw new PyRegexError("look-behind requires fixed-width pattern");
        }
        return { js: `(?${behind ? "<" : ""}${kind}${body.js})`, min: 0, max: 0, kind: "atom" };
      } else if (c === "(") {
        throw new PyRegexError(
          `conditional groups (?(...)...) at position ${start} are not supported by this worker`,
          "NotSupported",
        );
      } else if (c === ">") {
        const atomicName = `a${++this.atomic}`;
        const body = this.alternation(flags);
        if (!this.eat(")")) throw this.error("missing ), unterminated subpattern", start);
        return {
          js: `(?:(?=(?<${atomicName}>${body.js}))\\k<${atomicName}>)`,
          min: body.min,
          max: body.max,
          kind: "atom",
        };
      } else if (FLAG_CHARS.includes(c) || c === "-") {
        const scoped = this.parseFlags(c, flags, start, topFirst);
        if (scoped === null) return undefined;
        capture = false;
        inner = scoped;
        if (scoped.i !== flags.i) {
          wrapOpen = scoped.i ? "(?i:" : "(?-i:";
          wrapClose = ")";
        }
      } else {
        throw this.error(`unknown extension ?${c}`, start + 1);
      }
    }
    let group = 0;
    if (capture) {
      group = ++this.groups;
      this.open.add(group);
      if (name !== undefined) this.names.set(name, group);
    }
    const body = this.alternation(inner);
    if (!this.eat(")")) throw this.error("missing ), unterminated subpattern", start);
    if (capture) {
      this.open.delete(group);
      this.widths.set(group, [body.min, body.max]);
    }
    const js = capture
      ? `(?<p${group}>${wrapOpen}${body.js}${wrapClose})`
      : `(?:${wrapOpen}${body.js}${wrapClose})`;
    return { js, min: body.min, max: body.max, kind: "atom" };
  }
}

/** A compiled Python pattern. */
export class PyRegex {
  /** The Python pattern text. */
  readonly pattern: string;
  /** Number of capturing groups Python sees. */
  readonly groups: number;
  private readonly regex: RegExp;
  private readonly source: string;
  private readonly flags: string;
  /** The pattern can match both empty and non-empty text and may prefer the empty match. */
  private readonly retryNonEmpty: boolean;

  private constructor(pattern: string, parser: Parser, body: Item) {
    this.pattern = pattern;
    this.groups = parser.groupCount;
    this.source = body.js;
    this.flags = parser.flags.i ? "giv" : "gv";
    this.retryNonEmpty = body.min === 0 && body.max > 0 && parser.prefersShorter;
    this.regex = PyRegex.build(pattern, this.source, this.flags);
  }

  private static build(pattern: string, source: string, flags: string): RegExp {
    try {
      return new RegExp(source, flags);
    } catch (err) {
      throw new PyRegexError(
        `the Python pattern ${JSON.stringify(pattern)} could not be translated for this worker: ${
          (err as Error).message
        }`,
        "NotSupported",
        { cause: err },
      );
    }
  }

  /** Translates a Python pattern (Python 3.11 `re` with default flags, i.e. Unicode). */
  static compile(pattern: string): PyRegex {
    let flags: Flags = { i: false, m: false, s: false, x: false, a: false };
    for (;;) {
      const parser = new Parser(pattern, { ...flags });
      try {
        return new PyRegex(pattern, parser, parser.parse());
      } catch (err) {
        if (err instanceof Restart) {
          flags = err.flags;
          continue;
        }
        throw err;
      }
    }
  }

  /**
   * The leftmost match at or after `from` (code unit offset), as Python's search finds it.
   * With `advance`, a match at `from` must not be empty (Python's rule after an empty match).
   */
  private find(text: string, from: number, advance: boolean): RegExpExecArray | null {
    const rx = this.regex;
    const n = text.length;
    let pos = from;
    for (;;) {
      rx.lastIndex = pos;
      const m = rx.exec(text);
      if (m === null) return null;
      const i = m.index;
      // V8 tries zero-width assertions inside a surrogate pair; Python has no such position.
      if (i > 0 && i < n && isLow(text.charCodeAt(i)) && isHigh(text.charCodeAt(i - 1))) {
        pos = i + 1;
        continue;
      }
      if (advance && i === from && m[0].length === 0) {
        if (this.retryNonEmpty) {
          const longer = this.nonEmptyAt(text, from);
          if (longer !== null) return longer;
        }
        if (from >= n) return null;
        pos = from + (isHigh(text.charCodeAt(from)) && isLow(text.charCodeAt(from + 1)) ? 2 : 1);
        advance = false;
        continue;
      }
      return m;
    }
  }

  /** A non-empty match starting exactly at `at`, if the pattern has one (rare patterns only). */
  private nonEmptyAt(text: string, at: number): RegExpExecArray | null {
    let cps = 0;
    for (let k = 0; k < at; k++) {
      if (!(isLow(text.charCodeAt(k)) && k > 0 && isHigh(text.charCodeAt(k - 1)))) cps++;
    }
    const rx = PyRegex.build(
      this.pattern,
      `(?:${this.source})(?<!^[\\u{0}-\\u{10ffff}]{${cps}})`,
      this.flags.replace("g", "y"),
    );
    rx.lastIndex = at;
    return rx.exec(text);
  }

  /** Start offsets of the matches `split` splits at, in order. */
  matchStarts(text: string): number[] {
    const starts: number[] = [];
    let last = 0;
    let previousEmpty = false;
    while (last <= text.length) {
      const m = this.find(text, last, previousEmpty);
      if (m === null) break;
      starts.push(m.index);
      const end = m.index + m[0].length;
      previousEmpty = end === m.index;
      last = end;
    }
    return starts;
  }

  /** Python `re.search(pattern, text) is not None`. */
  search(text: string): boolean {
    return this.find(text, 0, false) !== null;
  }

  /**
   * Python `re.split(pattern, text)`: the pieces between matches, each followed by the match's
   * groups (`null` for a group that did not take part). Empty matches split too, as in Python
   * 3.7+; a match may not be empty at the position where the previous empty match was.
   */
  split(text: string): (string | null)[] {
    const out: (string | null)[] = [];
    let last = 0;
    let previousEmpty = false;
    while (last <= text.length) {
      const m = this.find(text, last, previousEmpty);
      if (m === null) break;
      out.push(text.slice(last, m.index));
      const named = m.groups;
      for (let g = 1; g <= this.groups; g++) out.push(named?.[`p${g}`] ?? null);
      const end = m.index + m[0].length;
      previousEmpty = end === m.index;
      last = end;
    }
    out.push(text.slice(last));
    return out;
  }
}

function isHigh(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

const cache = new Map<string, PyRegex>();

/** {@link PyRegex.compile} with a small cache (patterns come from vectorizer configs). */
export function compilePyRegex(pattern: string): PyRegex {
  let rx = cache.get(pattern);
  if (rx === undefined) {
    rx = PyRegex.compile(pattern);
    if (cache.size > 256) cache.clear();
    cache.set(pattern, rx);
  }
  return rx;
}
