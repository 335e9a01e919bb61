/**
 * Python's and numpy's text forms of numbers.
 *
 * Template values are rendered as `str()` of what psycopg returns: `float` uses Python's `repr`
 * (shortest round-trip digits, exponent outside 1e-4..1e16), `Decimal` keeps the scale and
 * switches to scientific notation for small numbers, and pgvector's `vector` is a float32 numpy
 * array printed by numpy's `array2string`. These differ from JavaScript's number formatting.
 */

/** Shortest round-trip decimal digits and decimal exponent of a finite, non-zero double. */
function shortest(x: number): { digits: string; exp: number } {
  const s = Math.abs(x).toExponential();
  const e = s.indexOf("e");
  return { digits: s.slice(0, e).replace(".", ""), exp: Number(s.slice(e + 1)) };
}

function sciExponent(exp: number, minDigits: number): string {
  return (exp < 0 ? "-" : "+") + String(Math.abs(exp)).padStart(minDigits, "0");
}

/** Python `repr(float)` (also `str(float)`). */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  const { digits, exp } = shortest(x);
  if (exp < -4 || exp >= 16) {
    const mantissa = digits.length > 1 ? digits[0] + "." + digits.slice(1) : digits;
    return sign + mantissa + "e" + sciExponent(exp, 2);
  }
  if (exp < 0) return sign + "0." + "0".repeat(-exp - 1) + digits;
  if (digits.length <= exp + 1) return sign + digits + "0".repeat(exp + 1 - digits.length) + ".0";
  return sign + digits.slice(0, exp + 1) + "." + digits.slice(exp + 1);
}

/**
 * Python `str(Decimal(text))` for a Postgres `numeric` text value (plain digits, `NaN`,
 * `Infinity`, `-Infinity`).
 */
export function pyDecimalStr(text: string): string {
  if (text === "NaN" || text === "Infinity" || text === "-Infinity") return text;
  let sign = "";
  let body = text;
  if (body[0] === "-" || body[0] === "+") {
    if (body[0] === "-") sign = "-";
    body = body.slice(1);
  }
  const dot = body.indexOf(".");
  const intPart = dot < 0 ? body : body.slice(0, dot);
  const fracPart = dot < 0 ? "" : body.slice(dot + 1);
  let coeff = (intPart + fracPart).replace(/^0+/, "");
  if (coeff === "") coeff = "0";
  const exp = -fracPart.length;
  const leftDigits = exp + coeff.length;
  const dotPlace = exp <= 0 && leftDigits > -6 ? leftDigits : 1;
  let intStr: string;
  let fracStr: string;
  if (dotPlace <= 0) {
    intStr = "0";
    fracStr = "." + "0".repeat(-dotPlace) + coeff;
  } else if (dotPlace >= coeff.length) {
    intStr = coeff + "0".repeat(dotPlace - coeff.length);
    fracStr = "";
  } else {
    intStr = coeff.slice(0, dotPlace);
    fracStr = "." + coeff.slice(dotPlace);
  }
  const e = leftDigits === dotPlace ? "" : "E" + sciExponent(leftDigits - dotPlace, 1);
  return sign + intStr + fracStr + e;
}

/** Shortest digits that identify the float32 value `x` among float32 values. */
function shortestFloat32(x: number): { digits: string; exp: number } {
  const a = Math.abs(x);
  for (let p = 1; p < 17; p++) {
    const s = a.toExponential(p - 1);
    if (Math.fround(Number(s)) === a) {
      const e = s.indexOf("e");
      return { digits: s.slice(0, e).replace(".", ""), exp: Number(s.slice(e + 1)) };
    }
  }
  return shortest(a);
}

/** Exact decimal expansion of a finite double: integer digits and fraction digits. */
function exactDecimal(a: number): { int: string; frac: string } {
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, a);
  const hi = buf.getUint32(0);
  const lo = buf.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e2: number;
  if (biased === 0) e2 = -1074;
  else {
    mant |= 1n << 52n;
    e2 = biased - 1075;
  }
  if (e2 >= 0) return { int: (mant << BigInt(e2)).toString(), frac: "" };
  const scaled = (mant * 5n ** BigInt(-e2)).toString().padStart(-e2 + 1, "0");
  return { int: scaled.slice(0, scaled.length + e2), frac: scaled.slice(scaled.length + e2) };
}

/** numpy positional digits of float32 `a >= 0`: shortest, or rounded (half-even) at 8 decimals. */
function positional(a: number, precision: number): { int: string; frac: string } {
  if (a === 0) return { int: "0", frac: "" };
  const { digits, exp } = shortestFloat32(a);
  const fracDigits = digits.length - exp - 1;
  if (fracDigits <= precision) {
    if (exp < 0) return { int: "0", frac: "0".repeat(-exp - 1) + digits };
    if (digits.length <= exp + 1) {
      return { int: digits + "0".repeat(exp + 1 - digits.length), frac: "" };
    }
    return { int: digits.slice(0, exp + 1), frac: digits.slice(exp + 1) };
  }
  const exact = exactDecimal(a);
  const kept = exact.int + exact.frac.slice(0, precision).padEnd(precision, "0");
  const rest = exact.frac.slice(precision);
  let n = BigInt(kept);
  const half = rest === ""
    ? -1
    : rest[0]! > "5"
    ? 1
    : rest[0]! < "5"
    ? -1
    : /[1-9]/.test(rest.slice(1))
    ? 1
    : 0;
  if (half > 0 || (half === 0 && n % 2n === 1n)) n += 1n;
  const s = n.toString().padStart(precision + 1, "0");
  return {
    int: s.slice(0, s.length - precision),
    frac: s.slice(s.length - precision).replace(/0+$/, ""),
  };
}

/** numpy's element formatter for a float32 array (FloatingFormat, default print options). */
function float32Formatter(values: readonly number[]): (x: number) => string {
  let expFormat = false;
  let maxVal = 0;
  let minVal = Infinity;
  for (const v of values) {
    const a = Math.abs(v);
    if (a === 0 || !Number.isFinite(a)) continue;
    if (a > maxVal) maxVal = a;
    if (a < minVal) minVal = a;
  }
  if (minVal !== Infinity) {
    expFormat = maxVal >= 1e8 || minVal < 0.0001 || maxVal / minVal > 1000;
  }
  if (expFormat) {
    let precision = 0;
    let padLeft = 0;
    let expSize = 2;
    for (const v of values) {
      const { digits, exp } = v === 0 ? { digits: "0", exp: 0 } : shortestFloat32(v);
      precision = Math.max(precision, digits.length - 1);
      padLeft = Math.max(padLeft, v < 0 || Object.is(v, -0) ? 2 : 1);
      expSize = Math.max(expSize, String(Math.abs(exp)).length);
    }
    return (x) => {
      const { digits, exp } = x === 0 ? { digits: "0", exp: 0 } : shortestFloat32(x);
      const sign = x < 0 || Object.is(x, -0) ? "-" : "";
      const int = (sign + digits[0]).padStart(padLeft, " ");
      return int + "." + digits.slice(1).padEnd(precision, "0") + "e" +
        sciExponent(exp, expSize);
    };
  }
  let padLeft = 0;
  let padRight = 0;
  for (const v of values) {
    const p = positional(Math.abs(v), 8);
    const neg = v < 0 || Object.is(v, -0);
    padLeft = Math.max(padLeft, p.int.length + (neg ? 1 : 0));
    padRight = Math.max(padRight, p.frac.length);
  }
  return (x) => {
    const p = positional(Math.abs(x), 8);
    const neg = x < 0 || Object.is(x, -0);
    return ((neg ? "-" : "") + p.int).padStart(padLeft, " ") + "." + p.frac.padEnd(padRight, " ");
  };
}

function extendLine(
  state: { s: string; line: string },
  word: string,
  width: number,
  prefix: string,
): void {
  let wrap = state.line.length + word.length > width;
  if (state.line.length <= prefix.length) wrap = false;
  if (wrap) {
    state.s += state.line.trimEnd() + "\n";
    state.line = prefix;
  }
  state.line += word;
}

/** numpy `array2string` for a 1-D float32 array (linewidth 75, threshold 1000, edgeitems 3). */
function array2string(
  values: readonly number[],
  separator: string,
  prefix: string,
  lineWidth: number,
): string {
  const summarize = values.length > 1000;
  const shown = summarize ? [...values.slice(0, 3), ...values.slice(-3)] : values;
  const format = float32Formatter(shown);
  const hanging = " " + " ".repeat(prefix.length);
  const elemWidth = lineWidth - Math.max(separator.trimEnd().length, 1);
  const state = { s: "", line: hanging };
  const leading = summarize ? 3 : 0;
  const trailing = summarize ? 3 : values.length;
  for (let i = 0; i < leading; i++) {
    extendLine(state, format(values[i]!), elemWidth, hanging);
    state.line += separator;
  }
  if (summarize) {
    extendLine(state, "...", elemWidth, hanging);
    state.line += separator;
  }
  for (let i = trailing; i > 1; i--) {
    extendLine(state, format(values[values.length - i]!), elemWidth, hanging);
    state.line += separator;
  }
  extendLine(state, format(values[values.length - 1]!), elemWidth, hanging);
  state.s += state.line;
  return "[" + state.s.slice(hanging.length) + "]";
}

/** `str()` of a 1-D float32 numpy array (what psycopg+pgvector return for `vector`). */
export function numpyFloat32Str(values: readonly number[]): string {
  if (values.length === 0) return "[]";
  return array2string(values, " ", "", 75);
}

/** `repr()` of a 1-D float32 numpy array (`array([...], dtype=float32)`). */
export function numpyFloat32Repr(values: readonly number[]): string {
  const body = values.length === 0 ? "[]" : array2string(values, ", ", "array(", 75 - 1);
  const arr = "array(" + body + ",";
  const lastLine = arr.length - (arr.lastIndexOf("\n") + 1);
  const extras = (values.length > 1000 ? `shape=(${values.length},), ` : "") + "dtype=float32)";
  return arr + (lastLine + extras.length + 1 > 75 ? "\n" + " ".repeat(6) : " ") + extras;
}
