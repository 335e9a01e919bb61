/**
 * Column values rendered as the Python worker renders them in templates.
 *
 * pgai formats `$column` with `str()` of the object psycopg returns for the value (with
 * pgvector's loaders registered). This module takes the Postgres text output of a value plus its
 * type OID and produces that string: `True`, `1.50`, `1e-05`, `2024-01-02 03:04:05+00:00`,
 * `{'a': 1}`, `['x', None]`, `b'\x00'`, `[1. 2. 3.]`… Types psycopg has no loader for (enums,
 * composites, money, geometric types, unknown OIDs) stay as their Postgres text, like in Python.
 * Values psycopg refuses raise {@link PyRenderError}.
 */
import {
  PyRenderError,
  type PyShown,
  showDate,
  showInterval,
  showTime,
  showTimestamp,
  showTimestampTz,
  showTimeTz,
} from "./pydatetime.ts";
import { numpyFloat32Repr, numpyFloat32Str, pyDecimalStr, pyFloatRepr } from "./pynum.ts";
import { pyReprBytes, pyReprStr } from "./pystr.ts";
import type { RenderContext } from "./row.ts";

export { PyRenderError } from "./pydatetime.ts";

/** A Python `int` (kept as its decimal text: any size). */
class PyInt {
  constructor(readonly digits: string) {}
}

/** A Python `dict` (insertion order; JSON objects only, so keys are strings). */
class PyDict {
  constructor(readonly entries: readonly (readonly [string, PyValue])[]) {}
}

/** An object whose `str` and `repr` are known (dates, Decimal, UUID, ranges, vectors…). */
class PyObject implements PyShown {
  constructor(readonly str: string, readonly repr: () => string) {}
}

type PyValue =
  | null
  | boolean
  | number
  | string
  | PyInt
  | Uint8Array
  | PyValue[]
  | PyDict
  | PyShown;

function pyStr(v: PyValue): string {
  if (v === null) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "number") return pyFloatRepr(v);
  if (typeof v === "string") return v;
  if (v instanceof PyInt) return v.digits;
  if (v instanceof Uint8Array) return pyReprBytes(v);
  if (Array.isArray(v)) return "[" + v.map(pyRepr).join(", ") + "]";
  if (v instanceof PyDict) {
    return "{" + v.entries.map(([k, x]) => pyReprStr(k) + ": " + pyRepr(x)).join(", ") + "}";
  }
  return v.str;
}

function pyRepr(v: PyValue): string {
  if (typeof v === "string") return pyReprStr(v);
  if (v !== null && typeof v === "object" && "repr" in v) return v.repr();
  return pyStr(v);
}

type Loader = (text: string) => PyValue;

// ---------------------------------------------------------------------------------------------
// Scalars

const loadBool: Loader = (t) => t === "t";
const loadInt: Loader = (t) => new PyInt(t);
const loadFloat: Loader = (t) => Number(t);
const loadNumeric: Loader = (t) => {
  const s = pyDecimalStr(t);
  return new PyObject(s, () => `Decimal('${s}')`);
};
const loadUuid: Loader = (t) => {
  const s = t.toLowerCase();
  return new PyObject(s, () => `UUID('${s}')`);
};

function loadBytea(t: string): Uint8Array {
  if (t.startsWith("\\x")) {
    const n = (t.length - 2) >> 1;
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = parseInt(t.substr(2 + 2 * i, 2), 16);
    return out;
  }
  // bytea_output = escape: printable ASCII as is, `\\` and `\ooo` escapes
  const out: number[] = [];
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === 0x5c) {
      if (t[i + 1] === "\\") {
        out.push(0x5c);
        i++;
      } else {
        out.push(parseInt(t.substr(i + 1, 3), 8));
        i += 3;
      }
    } else out.push(c);
  }
  return Uint8Array.from(out);
}

// ---------------------------------------------------------------------------------------------
// JSON (Python json.loads semantics: exact ints, floats, last duplicate key wins in place)

const INT_MAX_STR_DIGITS = 4300;

class JsonReader {
  private i = 0;
  constructor(private readonly s: string) {}

  read(): PyValue {
    const v = this.value();
    this.ws();
    if (this.i !== this.s.length) throw this.fail("Extra data");
    return v;
  }

  private fail(what: string): PyRenderError {
    return new PyRenderError(`${what}: char ${this.i}`, "JSONDecodeError");
  }

  private ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.i++;
      else break;
    }
  }

  private value(): PyValue {
    this.ws();
    const s = this.s;
    const c = s[this.i];
    if (c === "{") {
      this.i++;
      const index = new Map<string, number>();
      const entries: [string, PyValue][] = [];
      this.ws();
      if (s[this.i] === "}") {
        this.i++;
        return new PyDict(entries);
      }
      for (;;) {
        this.ws();
        if (s[this.i] !== '"') throw this.fail("Expecting property name enclosed in double quotes");
        const key = this.string();
        this.ws();
        if (s[this.i++] !== ":") throw this.fail("Expecting ':' delimiter");
        const v = this.value();
        const at = index.get(key);
        if (at === undefined) {
          index.set(key, entries.length);
          entries.push([key, v]);
        } else entries[at] = [key, v];
        this.ws();
        const d = s[this.i++];
        if (d === "}") return new PyDict(entries);
        if (d !== ",") throw this.fail("Expecting ',' delimiter");
      }
    }
    if (c === "[") {
      this.i++;
      const items: PyValue[] = [];
      this.ws();
      if (s[this.i] === "]") {
        this.i++;
        return items;
      }
      for (;;) {
        items.push(this.value());
        this.ws();
        const d = s[this.i++];
        if (d === "]") return items;
        if (d !== ",") throw this.fail("Expecting ',' delimiter");
      }
    }
    if (c === '"') return this.string();
    if (s.startsWith("true", this.i)) {
      this.i += 4;
      return true;
    }
    if (s.startsWith("false", this.i)) {
      this.i += 5;
      return false;
    }
    if (s.startsWith("null", this.i)) {
      this.i += 4;
      return null;
    }
    const m = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/y;
    m.lastIndex = this.i;
    const num = m.exec(s);
    if (num === null) throw this.fail("Expecting value");
    this.i += num[0].length;
    if (num[1] === undefined && num[2] === undefined) {
      const digits = num[0].replace(/^-/, "");
      if (digits.length > INT_MAX_STR_DIGITS) {
        throw new PyRenderError(
          `Exceeds the limit (${INT_MAX_STR_DIGITS} digits) for integer string conversion: value has ${digits.length} digits; use sys.set_int_max_str_digits() to increase the limit`,
          "ValueError",
        );
      }
      return new PyInt(num[0] === "-0" ? "0" : num[0]);
    }
    return Number(num[0]);
  }

  private string(): string {
    const s = this.s;
    this.i++;
    let out = "";
    let start = this.i;
    for (;;) {
      const c = s.charCodeAt(this.i);
      if (Number.isNaN(c)) throw this.fail("Unterminated string starting at");
      if (c === 0x22) {
        out += s.slice(start, this.i);
        this.i++;
        return out;
      }
      if (c === 0x5c) {
        out += s.slice(start, this.i);
        const e = s[this.i + 1];
        this.i += 2;
        switch (e) {
          case "n":
            out += "\n";
            break;
          case "t":
            out += "\t";
            break;
          case "r":
            out += "\r";
            break;
          case "b":
            out += "\b";
            break;
          case "f":
            out += "\f";
            break;
          case "u":
            out += String.fromCharCode(parseInt(s.substr(this.i, 4), 16));
            this.i += 4;
            break;
          default:
            out += e;
        }
        start = this.i;
        continue;
      }
      this.i++;
    }
  }
}

const loadJson: Loader = (t) => new JsonReader(t).read();

// ---------------------------------------------------------------------------------------------
// Network addresses (Python ipaddress objects)

function parseIpv4(s: string): number[] | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  return parts.map(Number);
}

function parseIpv6(s: string): number[] {
  let text = s;
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".", lastColon)) {
    const v4 = parseIpv4(text.slice(lastColon + 1)) ?? [0, 0, 0, 0];
    text = text.slice(0, lastColon + 1) + ((v4[0]! << 8) | v4[1]!).toString(16) + ":" +
      ((v4[2]! << 8) | v4[3]!).toString(16);
  }
  const hex = (part: string) => (part ? part.split(":").map((x) => parseInt(x, 16)) : []);
  const double = text.indexOf("::");
  if (double < 0) return hex(text);
  const head = hex(text.slice(0, double));
  const tail = hex(text.slice(double + 2));
  const zeros = new Array<number>(Math.max(0, 8 - head.length - tail.length)).fill(0);
  return [...head, ...zeros, ...tail];
}

/** Python's IPv6 text: lowercase hex, longest run (>= 2) of zero groups as `::`. */
function formatIpv6(groups: readonly number[]): string {
  const hex = groups.map((g) => g.toString(16));
  let bestStart = -1;
  let bestLen = 0;
  let start = -1;
  let len = 0;
  for (let i = 0; i < hex.length; i++) {
    if (hex[i] === "0") {
      if (start === -1) start = i;
      len++;
      if (len > bestLen) {
        bestLen = len;
        bestStart = start;
      }
    } else {
      start = -1;
      len = 0;
    }
  }
  if (bestLen > 1) {
    const end = bestStart + bestLen;
    const left = hex.slice(0, bestStart).join(":");
    const right = hex.slice(end).join(":");
    return left + "::" + right;
  }
  return hex.join(":");
}

function loadNet(kind: "inet" | "cidr"): Loader {
  return (t) => {
    const slash = t.indexOf("/");
    const addr = slash < 0 ? t : t.slice(0, slash);
    const prefix = slash < 0 ? undefined : t.slice(slash + 1);
    const v6 = addr.includes(":");
    const shown = v6 ? formatIpv6(parseIpv6(addr)) : addr;
    const family = v6 ? "IPv6" : "IPv4";
    if (prefix === undefined) {
      const cls = kind === "cidr" ? "Network" : "Address";
      const str = kind === "cidr" ? `${shown}/${v6 ? 128 : 32}` : shown;
      return new PyObject(str, () => `${family}${cls}('${str}')`);
    }
    const str = `${shown}/${prefix}`;
    const cls = kind === "cidr" ? "Network" : "Interface";
    return new PyObject(str, () => `${family}${cls}('${str}')`);
  };
}

// ---------------------------------------------------------------------------------------------
// Ranges and multiranges (psycopg Range / Multirange)

const RANGE = /([\(\[])(?:"((?:[^"]|"")*)"|([^",]+))?,(?:"((?:[^"]|"")*)"|([^"\)\]]+))?([\)\]])/y;

function undouble(s: string): string {
  return s.replace(/(["\\])\1/g, "$1");
}

function readRange(t: string, at: number, load: Loader): [PyValue, number] {
  if (t.startsWith("empty", at)) {
    return [new PyObject("empty", () => "Range(empty=True)"), at + 5];
  }
  RANGE.lastIndex = at;
  const m = RANGE.exec(t);
  if (m === null) throw new PyRenderError(`failed to parse range: '${t.slice(at)}'`);
  const bound = (quotedText: string | undefined, plain: string | undefined): PyValue =>
    plain !== undefined
      ? load(plain)
      : quotedText !== undefined
      ? load(undouble(quotedText))
      : null;
  const lower = bound(m[2], m[3]);
  const upper = bound(m[4], m[5]);
  let lb = m[1]!;
  let ub = m[6]!;
  if (lower === null && lb === "[") lb = "(";
  if (upper === null && ub === "]") ub = ")";
  const range = new PyObject(
    `${lb}${pyStr(lower)}, ${pyStr(upper)}${ub}`,
    () => `Range(${pyRepr(lower)}, ${pyRepr(upper)}, '${lb}${ub}')`,
  );
  return [range, at + m[0].length];
}

function loadRange(load: Loader): Loader {
  return (t) => readRange(t, 0, load)[0];
}

function loadMultirange(load: Loader): Loader {
  return (t) => {
    if (t[0] !== "{") {
      throw new PyRenderError(`malformed multirange starting with ${t.slice(0, 1)}`);
    }
    const ranges: PyValue[] = [];
    if (t !== "{}") {
      let at = 1;
      for (;;) {
        const [r, end] = readRange(t, at, load);
        ranges.push(r);
        const sep = t[end];
        if (sep === ",") at = end + 1;
        else if (sep === "}") break;
        else throw new PyRenderError("malformed multirange: separator missing");
      }
    }
    return new PyObject(
      "{" + ranges.map(pyStr).join(", ") + "}",
      () => "Multirange([" + ranges.map(pyRepr).join(", ") + "])",
    );
  };
}

// ---------------------------------------------------------------------------------------------
// Arrays (psycopg's text array parser)

function loadArray(element: Loader, delimiter: string): Loader {
  return (t) => {
    let s = t;
    if (s[0] === "[") {
      const eq = s.indexOf("=");
      if (eq < 0) throw new PyRenderError("malformed array: no '=' after dimension information");
      s = s.slice(eq + 1);
    }
    const stack: PyValue[][] = [];
    let current: PyValue[] = [];
    let result: PyValue[] = current;
    let i = 0;
    const n = s.length;
    while (i < n) {
      const c = s[i]!;
      if (c === "{") {
        const a: PyValue[] = [];
        if (stack.length) stack[stack.length - 1]!.push(a);
        stack.push(a);
        current = a;
        i++;
      } else if (c === "}") {
        if (!stack.length) throw new PyRenderError("malformed array: unexpected '}'");
        result = stack.pop()!;
        current = stack[stack.length - 1] ?? result;
        i++;
      } else if (c === '"') {
        let j = i + 1;
        let v = "";
        while (j < n && s[j] !== '"') {
          if (s[j] === "\\") j++;
          v += s[j] ?? "";
          j++;
        }
        current.push(element(v));
        i = j + 1;
      } else if (c === delimiter || c === "\\") {
        i++;
        continue;
      } else {
        let j = i;
        while (
          j < n && s[j] !== delimiter && s[j] !== "{" && s[j] !== "}" && s[j] !== '"' &&
          s[j] !== "\\"
        ) {
          j++;
        }
        const token = s.slice(i, j);
        current.push(token === "NULL" ? null : element(token));
        i = j;
      }
      if (s[i] === ",") i++;
    }
    return result;
  };
}

// ---------------------------------------------------------------------------------------------
// pgvector (numpy array for vector, HalfVector / SparseVector objects)

function vectorValues(t: string): number[] {
  return t.slice(1, -1).split(",").map((x) => Math.fround(Number(x)));
}

const loadVector: Loader = (t) => {
  const values = vectorValues(t);
  return new PyObject(numpyFloat32Str(values), () => numpyFloat32Repr(values));
};

const loadHalfvec: Loader = (t) => {
  const values = t.slice(1, -1).split(",").map((x) => pyFloatRepr(Math.f16round(Number(x))));
  const s = `HalfVector([${values.join(", ")}])`;
  return new PyObject(s, () => s);
};

const loadSparsevec: Loader = (t) => {
  const slash = t.lastIndexOf("/");
  const body = t.slice(1, slash - 1);
  const entries = body === "" ? [] : body.split(",").map((e) => {
    const [i, v] = e.split(":") as [string, string];
    return `${Number(i) - 1}: ${pyFloatRepr(Number(v))}`;
  });
  const s = `SparseVector({${entries.join(", ")}}, ${t.slice(slash + 1)})`;
  return new PyObject(s, () => s);
};

// ---------------------------------------------------------------------------------------------
// Dispatch by type OID

/** Loaders of the built-in types psycopg converts (all other built-ins stay text). */
function builtinScalar(oid: number, ctx: RenderContext | undefined): Loader | undefined {
  switch (oid) {
    case 16:
      return loadBool;
    case 17:
      return loadBytea;
    case 20:
    case 21:
    case 23:
    case 26:
      return loadInt;
    case 700:
    case 701:
      return loadFloat;
    case 1700:
      return loadNumeric;
    case 114:
    case 3802:
      return loadJson;
    case 1082:
      return showDate;
    case 1083:
      return showTime;
    case 1266:
      return showTimeTz;
    case 1114:
      return showTimestamp;
    case 1184:
      return (t) => showTimestampTz(t, ctx?.timeZone);
    case 1186:
      return showInterval;
    case 2950:
      return loadUuid;
    case 869:
      return loadNet("inet");
    case 650:
      return loadNet("cidr");
  }
  const range = RANGES.get(oid);
  if (range !== undefined) return loadRange(builtinScalar(range, ctx)!);
  const multi = MULTIRANGES.get(oid);
  if (multi !== undefined) return loadMultirange(builtinScalar(multi, ctx)!);
  return undefined;
}

/** Range OID -> subtype OID. */
const RANGES = new Map([[3904, 23], [3926, 20], [3906, 1700], [3912, 1082], [3908, 1114], [
  3910,
  1184,
]]);
/** Multirange OID -> subtype OID. */
const MULTIRANGES = new Map([[4451, 23], [4536, 20], [4532, 1700], [4535, 1082], [4533, 1114], [
  4534,
  1184,
]]);

/** Array OID -> element OID for every built-in type psycopg knows (box uses `;`). */
const ARRAYS = new Map<number, number>([
  [1000, 16],
  [1001, 17],
  [1002, 18],
  [1003, 19],
  [1005, 21],
  [1006, 22],
  [1007, 23],
  [1008, 24],
  [1009, 25],
  [1010, 27],
  [1011, 28],
  [1012, 29],
  [1013, 30],
  [1014, 1042],
  [1015, 1043],
  [1016, 20],
  [1017, 600],
  [1018, 601],
  [1019, 602],
  [1020, 603],
  [1021, 700],
  [1022, 701],
  [1027, 604],
  [1028, 26],
  [1034, 1033],
  [1040, 829],
  [1041, 869],
  [1115, 1114],
  [1182, 1082],
  [1183, 1083],
  [1185, 1184],
  [1187, 1186],
  [1231, 1700],
  [1270, 1266],
  [1561, 1560],
  [1563, 1562],
  [199, 114],
  [3807, 3802],
  [2951, 2950],
  [651, 650],
  [719, 718],
  [629, 628],
  [775, 774],
  [791, 790],
  [2201, 1790],
  [2207, 2202],
  [2208, 2203],
  [2209, 2204],
  [2210, 2205],
  [2211, 2206],
  [4097, 4096],
  [4090, 4089],
  [4192, 4191],
  [3735, 3734],
  [3770, 3769],
  [3643, 3614],
  [3645, 3615],
  [3644, 3642],
  [2949, 2970],
  [3221, 3220],
  [4073, 4072],
  [143, 142],
  [271, 5069],
  [3905, 3904],
  [3927, 3926],
  [3907, 3906],
  [3913, 3912],
  [3909, 3908],
  [3911, 3910],
  [6150, 4451],
  [6157, 4536],
  [6151, 4532],
  [6155, 4535],
  [6152, 4533],
  [6153, 4534],
]);

const PGVECTOR: Record<string, Loader> = {
  vector: loadVector,
  halfvec: loadHalfvec,
  sparsevec: loadSparsevec,
};

const identity: Loader = (t) => t;

function loaderFor(oid: number, ctx: RenderContext | undefined): Loader | undefined {
  const scalar = builtinScalar(oid, ctx);
  if (scalar !== undefined) return scalar;
  const elem = ARRAYS.get(oid);
  if (elem !== undefined) {
    return loadArray(builtinScalar(elem, ctx) ?? identity, elem === 603 ? ";" : ",");
  }
  const info = ctx?.types?.get(oid);
  if (info === undefined) return undefined;
  const vector = PGVECTOR[info.name];
  if (vector !== undefined && info.type === "b" && info.category !== "A") return vector;
  if (info.elem !== 0 && info.category === "A") {
    const e = ctx?.types?.get(info.elem);
    const ev = e === undefined ? undefined : PGVECTOR[e.name];
    if (ev !== undefined) return loadArray(ev, info.delim || ",");
  }
  return undefined;
}

const loaderCache = new WeakMap<object, Map<number, Loader | null>>();
const noContext = {};

function cachedLoader(oid: number, ctx: RenderContext | undefined): Loader | null {
  const key = ctx ?? noContext;
  let byOid = loaderCache.get(key);
  if (byOid === undefined) {
    byOid = new Map();
    loaderCache.set(key, byOid);
  }
  let loader = byOid.get(oid);
  if (loader === undefined) {
    loader = loaderFor(oid, ctx) ?? null;
    byOid.set(oid, loader);
  }
  return loader;
}

/**
 * Python `str()` of the value psycopg returns for a Postgres text-format value of type `typeOid`
 * (`null` is SQL NULL). Throws {@link PyRenderError} where psycopg fails to load the value.
 */
export function renderValue(
  text: string | null,
  typeOid: number,
  context?: RenderContext,
): string {
  if (text === null) return "None";
  const loader = cachedLoader(typeOid, context);
  if (loader === null) return text;
  return pyStr(loader(text));
}
