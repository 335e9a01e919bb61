/**
 * Postgres date/time text values shown as Python's `datetime` objects would show them.
 *
 * psycopg turns `date`, `time`, `timetz`, `timestamp`, `timestamptz` and `interval` into
 * `datetime` objects; templates then see their `str()` (e.g. `2024-01-02 03:04:05+00:00`,
 * `1 day, 2:03:04`) and lists show their `repr()`. The Postgres text output (DateStyle ISO,
 * IntervalStyle postgres) is parsed here and re-printed with Python's rules, including the
 * values psycopg refuses (infinite or BC dates, years past 9999, `24:00:00`).
 */

/** A value psycopg could not turn into a Python object (psycopg raises `DataError`). */
export class PyRenderError extends Error {
  /** The Python exception class psycopg raises. */
  readonly pythonClass: string;
  constructor(message: string, pythonClass = "DataError", options?: ErrorOptions) {
    super(message, options);
    this.name = "PyRenderError";
    this.pythonClass = pythonClass;
  }
}

/** Python `repr` of a str known to need no escaping and to contain no quote. */
function quoted(s: string): string {
  return `'${s}'`;
}

const pad2 = (n: number) => String(n).padStart(2, "0");

interface Clock {
  h: number;
  m: number;
  s: number;
  us: number;
}

function parseMicros(frac: string | undefined): number {
  if (!frac) return 0;
  return Number(frac.slice(0, 6).padEnd(6, "0"));
}

function clockStr(c: Clock): string {
  return `${pad2(c.h)}:${pad2(c.m)}:${pad2(c.s)}` +
    (c.us ? "." + String(c.us).padStart(6, "0") : "");
}

/** Trailing zero fields dropped the way `datetime.__repr__` does. */
function clockReprArgs(c: Clock, always: number[]): string {
  const args = [...always, c.h, c.m, c.s, c.us];
  if (args[args.length - 1] === 0) args.pop();
  if (args[args.length - 1] === 0) args.pop();
  return args.join(", ");
}

/** Python `str` of a UTC offset in seconds (`+05:30`, `-00:19:32`). */
function offsetStr(seconds: number): string {
  const sign = seconds < 0 ? "-" : "+";
  const a = Math.abs(seconds);
  const hh = Math.floor(a / 3600);
  const mm = Math.floor((a % 3600) / 60);
  const ss = a % 60;
  return `${sign}${pad2(hh)}:${pad2(mm)}` + (ss ? `:${pad2(ss)}` : "");
}

/** Python `repr` of `datetime.timedelta(days, seconds, microseconds)` (already normalized). */
function timedeltaRepr(days: number | bigint, seconds: number, micros: number): string {
  const args: string[] = [];
  if (days) args.push(`days=${days}`);
  if (seconds) args.push(`seconds=${seconds}`);
  if (micros) args.push(`microseconds=${micros}`);
  return `datetime.timedelta(${args.length ? args.join(", ") : "0"})`;
}

/** Python `repr` of `datetime.timezone(timedelta(seconds=offset))`. */
function fixedZoneRepr(offset: number): string {
  if (offset === 0) return "datetime.timezone.utc";
  const days = Math.floor(offset / 86400);
  return `datetime.timezone(${timedeltaRepr(days, offset - days * 86400, 0)})`;
}

/** A rendered value: Python `str()` and `repr()`. */
export interface PyShown {
  readonly str: string;
  repr(): string;
}

const DATE = /^(\d{4,})-(\d\d)-(\d\d)( BC)?$/;

function dateError(text: string): PyRenderError {
  if (text === "-infinity" || text.endsWith("BC")) {
    return new PyRenderError(`date too small (before year 1): ${quoted(text)}`);
  }
  if (text === "infinity" || /^\d{5,}/.test(text)) {
    return new PyRenderError(`date too large (after year 10K): ${quoted(text)}`);
  }
  return new PyRenderError(`can't parse date ${quoted(text)}`);
}

function checkDate(y: number, m: number, d: number, text: string, what: string): void {
  const days = new Date(Date.UTC(2000, m, 0)).getUTCDate();
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const max = m === 2 ? (leap ? 29 : 28) : days;
  if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > max) {
    throw new PyRenderError(`can't parse ${what} ${quoted(text)}: day is out of range for month`);
  }
}

/** `date` text (ISO) as Python `datetime.date`. */
export function showDate(text: string): PyShown {
  const m = DATE.exec(text);
  if (m === null || m[4] !== undefined || m[1]!.length > 4) throw dateError(text);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  checkDate(y, mo, d, text, "date");
  return { str: text, repr: () => `datetime.date(${y}, ${mo}, ${d})` };
}

const TIME = /^(\d+):(\d+):(\d+)(?:\.(\d+))?(?:([-+])(\d+)(?::(\d+))?(?::(\d+))?)?$/;

function parseClock(m: RegExpExecArray, text: string, what: string): Clock {
  const c = { h: Number(m[1]), m: Number(m[2]), s: Number(m[3]), us: parseMicros(m[4]) };
  if (c.h > 23) {
    throw new PyRenderError(`can't parse ${what} ${quoted(text)}: hour must be in 0..23`);
  }
  return c;
}

function parseOffset(sign: string, h: string, m?: string, s?: string): number {
  const off = Number(h) * 3600 + Number(m ?? 0) * 60 + Number(s ?? 0);
  return sign === "-" ? -off : off;
}

/** `time` text as Python `datetime.time`. */
export function showTime(text: string): PyShown {
  const m = TIME.exec(text);
  if (m === null || m[5] !== undefined) throw new PyRenderError(`can't parse time ${quoted(text)}`);
  const c = parseClock(m, text, "time");
  return { str: clockStr(c), repr: () => `datetime.time(${clockReprArgs(c, [])})` };
}

/** `timetz` text as Python `datetime.time` with a fixed-offset `tzinfo`. */
export function showTimeTz(text: string): PyShown {
  const m = TIME.exec(text);
  if (m === null || m[5] === undefined) {
    throw new PyRenderError(`can't parse timetz ${quoted(text)}`);
  }
  const c = parseClock(m, text, "timetz");
  const off = parseOffset(m[5], m[6]!, m[7], m[8]);
  if (Math.abs(off) >= 86400) {
    throw new PyRenderError(
      `can't parse timetz ${
        quoted(text)
      }: offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24).`,
    );
  }
  return {
    str: clockStr(c) + offsetStr(off),
    repr: () => `datetime.time(${clockReprArgs(c, [])}, tzinfo=${fixedZoneRepr(off)})`,
  };
}

const TIMESTAMP =
  /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:([-+])(\d\d)(?::(\d\d))?(?::(\d\d))?)?( BC)?$/;

function timestampError(text: string, ex?: string): PyRenderError {
  if (text === "-infinity" || text.endsWith("BC")) {
    return new PyRenderError(`timestamp too small (before year 1): ${quoted(text)}`);
  }
  if (text === "infinity" || /^\d{5,}/.test(text)) {
    return new PyRenderError(`timestamp too large (after year 10K): ${quoted(text)}`);
  }
  return new PyRenderError(`can't parse timestamp ${quoted(text)}: ${ex ?? "(unknown)"}`);
}

interface Stamp {
  y: number;
  mo: number;
  d: number;
  c: Clock;
}

function parseStamp(m: RegExpExecArray, text: string): Stamp {
  if (m[12] !== undefined || m[1]!.length > 4) throw timestampError(text);
  const s = {
    y: Number(m[1]),
    mo: Number(m[2]),
    d: Number(m[3]),
    c: { h: Number(m[4]), m: Number(m[5]), s: Number(m[6]), us: parseMicros(m[7]) },
  };
  checkDate(s.y, s.mo, s.d, text, "timestamp");
  if (s.c.h > 23) throw timestampError(text, "hour must be in 0..23");
  return s;
}

function stampStr(s: Stamp): string {
  return `${String(s.y).padStart(4, "0")}-${pad2(s.mo)}-${pad2(s.d)} ${clockStr(s.c)}`;
}

function stampReprArgs(s: Stamp): string {
  return clockReprArgs(s.c, [s.y, s.mo, s.d]);
}

/** `timestamp` text as Python naive `datetime.datetime`. */
export function showTimestamp(text: string): PyShown {
  const m = TIMESTAMP.exec(text);
  if (m === null || m[8] !== undefined) throw timestampError(text);
  const s = parseStamp(m, text);
  return { str: stampStr(s), repr: () => `datetime.datetime(${stampReprArgs(s)})` };
}

const loadableZones = new Map<string, boolean>();

/** Whether Python's `zoneinfo.ZoneInfo(name)` would load the session TimeZone. */
function pythonLoadsZone(name: string): boolean {
  let ok = loadableZones.get(name);
  if (ok === undefined) {
    ok = /^[A-Za-z][A-Za-z0-9_+\-]*(\/[A-Za-z0-9_+\-]+)*$/.test(name);
    if (ok) {
      try {
        new Intl.DateTimeFormat("en-US", { timeZone: name });
      } catch {
        ok = false;
      }
    }
    loadableZones.set(name, ok);
  }
  return ok;
}

function shiftToUtc(s: Stamp, offset: number): Stamp {
  const t = new Date(0);
  t.setUTCFullYear(s.y, s.mo - 1, s.d);
  t.setUTCHours(s.c.h, s.c.m, s.c.s - offset, 0);
  return {
    y: t.getUTCFullYear(),
    mo: t.getUTCMonth() + 1,
    d: t.getUTCDate(),
    c: { h: t.getUTCHours(), m: t.getUTCMinutes(), s: t.getUTCSeconds(), us: s.c.us },
  };
}

/**
 * `timestamptz` text as Python aware `datetime.datetime` in the connection's time zone.
 * Postgres already prints it in the session TimeZone; when Python cannot load that zone,
 * psycopg falls back to UTC and so does this.
 */
export function showTimestampTz(text: string, timeZone?: string): PyShown {
  const m = TIMESTAMP.exec(text);
  if (m === null || m[8] === undefined) throw timestampError(text);
  let s = parseStamp(m, text);
  let off = parseOffset(m[8], m[9]!, m[10], m[11]);
  const zone = timeZone ?? "UTC";
  let tzRepr: string;
  if (zone === "UTC" || !pythonLoadsZone(zone)) {
    if (off !== 0) s = shiftToUtc(s, off);
    off = 0;
    if (s.y < 1 || s.y > 9999) throw timestampError(text);
    tzRepr = "datetime.timezone.utc";
  } else {
    tzRepr = `zoneinfo.ZoneInfo(key=${quoted(zone)})`;
  }
  return {
    str: stampStr(s) + offsetStr(off),
    repr: () => `datetime.datetime(${stampReprArgs(s)}, tzinfo=${tzRepr})`,
  };
}

const INTERVAL_PART = /^([-+]?)(\d+) (year|mon|day)s?$/;
const INTERVAL_TIME = /^([-+]?)(\d+):(\d+):(\d+)(?:\.(\d+))?$/;
const MAX_DAYS = 999999999n;

/**
 * `interval` text (IntervalStyle postgres) as Python `datetime.timedelta`: a year is 365 days, a
 * month 30 days, as psycopg converts it.
 */
export function showInterval(text: string): PyShown {
  let days = 0n;
  let micros = 0n;
  const tokens = text.split(" ");
  let i = 0;
  while (i + 1 < tokens.length) {
    const m = INTERVAL_PART.exec(tokens[i] + " " + tokens[i + 1]);
    if (m === null) break;
    let v = BigInt(m[2]!);
    if (m[1] === "-") v = -v;
    days += m[3] === "year" ? 365n * v : m[3] === "mon" ? 30n * v : v;
    i += 2;
  }
  if (i < tokens.length) {
    const m = i === tokens.length - 1 ? INTERVAL_TIME.exec(tokens[i]!) : null;
    if (m === null) throw new PyRenderError(`can't parse interval ${quoted(text)}`);
    let t = (BigInt(m[2]!) * 3600n + BigInt(m[3]!) * 60n + BigInt(m[4]!)) * 1000000n +
      BigInt(parseMicros(m[5]));
    if (m[1] === "-") t = -t;
    micros = t;
  }
  const total = days * 86400000000n + micros;
  let d = total / 86400000000n;
  let rest = total % 86400000000n;
  if (rest < 0n) {
    rest += 86400000000n;
    d -= 1n;
  }
  if (d > MAX_DAYS || d < -MAX_DAYS) {
    throw new PyRenderError(
      `can't parse interval ${quoted(text)}: days=${d}; must have magnitude <= 999999999`,
    );
  }
  const seconds = Number(rest / 1000000n);
  const us = Number(rest % 1000000n);
  const hh = Math.floor(seconds / 3600);
  const mm = Math.floor((seconds % 3600) / 60);
  const ss = seconds % 60;
  let str = `${hh}:${pad2(mm)}:${pad2(ss)}`;
  if (d !== 0n) str = `${d} day${d === 1n || d === -1n ? "" : "s"}, ` + str;
  if (us) str += "." + String(us).padStart(6, "0");
  return { str, repr: () => timedeltaRepr(d, seconds, us) };
}
