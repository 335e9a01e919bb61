/**
 * The `--poll-interval` grammar of pgai 0.12.1: pytimeparse 1.1.8 first (unit lists such as
 * `1h30m` or `1 hour, 30 minutes`, clock forms such as `1:30`, fractions, a sign), then a plain
 * Python integer of seconds. The results are pgai's to the last detail, including its odd
 * integer/float arithmetic (`1.5m` = 90, `1m30.5s` = 90.5). What the worker then does with
 * negative or tiny values is a CLI policy, not part of the grammar.
 */

import { PY_SPACE, pyFloat, pyInt, pyRepr, pyStrip } from "./cli/python.ts";

/** A value that is neither a pytimeparse duration nor an integer, or a negative integer. */
export class DurationError extends Error {
  override name = "DurationError";
}

/** A negative integer of seconds (which pgai rejects, unlike negative pytimeparse durations). */
export class NegativeDurationError extends DurationError {
  override name = "NegativeDurationError";
}

const S = `[${PY_SPACE}]`;
const D = "\\p{Nd}";
const NUMBER = `[${D}.]+`;
const SEPARATORS = "[,/]";

const unit = (name: string, names: string) => `(?<${name}>${NUMBER})${S}*(?:${names})`;
const WEEKS = unit("weeks", "w|wks?|weeks?");
const DAYS = unit("days", "d|dys?|days?");
const HOURS = unit("hours", "h|hrs?|hours?");
const MINS = unit("mins", "m|mins?|minutes?");
const SECS = unit("secs", "s|secs?|seconds?");
const CLOCK_SECS = `(?<secs>${D}{2}(?:\\.${D}+)?)`;
const SECCLOCK = `:${CLOCK_SECS}`;
const MINCLOCK = `(?<mins>${D}{1,2}):${CLOCK_SECS}`;
const HOURCLOCK = `(?<hours>${D}+):(?<mins>${D}{2}):${CLOCK_SECS}`;
const DAYCLOCK = `(?<days>${D}+):(?<hours>${D}{2}):(?<mins>${D}{2}):${CLOCK_SECS}`;

const opt = (part: string) => `(?:${part})?`;
const optSep = (part: string) => `(?:${part}${S}*(?:${SEPARATORS}${S}*)?)?`;

/** pytimeparse's formats, tried in this order; each must match the whole (unsigned) text. */
const FORMATS = [
  `${optSep(WEEKS)}${S}*${optSep(DAYS)}${S}*${optSep(HOURS)}${S}*${optSep(MINS)}${S}*${opt(SECS)}`,
  MINCLOCK,
  `${optSep(WEEKS)}${S}*${optSep(DAYS)}${S}*${HOURCLOCK}`,
  DAYCLOCK,
  SECCLOCK,
].map((format) => new RegExp(`^${S}*${format}${S}*$`, "iu"));

/** pytimeparse's sign split; `.` and `$` follow Python (no newline; end or before a final one). */
const SIGNED = new RegExp(`^${S}*(?<sign>[+|-])?${S}*(?<unsigned>[^\\n]*)(?=\\n?$)`);

const FIELDS = ["weeks", "days", "hours", "mins", "secs"] as const;
const MULTIPLIERS: Record<(typeof FIELDS)[number], number> = {
  weeks: 604800,
  days: 86400,
  hours: 3600,
  mins: 60,
  secs: 1,
};

/** Largest duration Python's `timedelta` holds (999999999 days), in seconds. */
export const MAX_DURATION_SECONDS = 999999999 * 86400;

function invalid(text: string): DurationError {
  return new DurationError(`${pyRepr(text)} is not a valid duration string or integer`);
}

function tooLong(text: string): DurationError {
  return new DurationError(`${pyRepr(text)} is too long (at most 999999999 days)`);
}

/**
 * pytimeparse 1.1.8 `timeparse(text)`: seconds (an integer unless a fractional seconds field
 * makes it a float), or undefined when no format matches. Where pytimeparse itself crashes
 * (a malformed number such as `1.2.3m`, a newline inside the text) this throws DurationError.
 */
export function timeparse(text: string): number | undefined {
  const signed = SIGNED.exec(text);
  if (!signed?.groups) throw invalid(text);
  const sign = signed.groups.sign === "-" ? -1 : 1;
  const unsigned = signed.groups.unsigned ?? "";
  for (const format of FORMATS) {
    const match = format.exec(unsigned);
    if (!match?.groups || pyStrip(match[0]) === "") continue;
    const fields = FIELDS.flatMap((key) => {
      const value = match.groups?.[key];
      return value === undefined ? [] : [[key, value] as const];
    });
    const secs = match.groups.secs;
    let result: number;
    if (fields.every(([, value]) => !value.includes("."))) {
      result = sign * fields.reduce((sum, [key, value]) => sum + MULTIPLIERS[key] * int(value), 0);
    } else if (secs === undefined || !secs.includes(".")) {
      const others = fields.reduce(
        (sum, [key, value]) => key === "secs" ? sum : sum + MULTIPLIERS[key] * float(value, text),
        0,
      );
      if (!Number.isFinite(others)) throw tooLong(text);
      result = sign * Math.trunc(others) + (secs === undefined ? 0 : int(secs));
    } else {
      result = sign * fields.reduce(
        (sum, [key, value]) => sum + MULTIPLIERS[key] * float(value, text),
        0,
      );
    }
    return result === 0 ? 0 : result;
  }
  return undefined;
}

function int(digits: string): number {
  return pyInt(digits) as number;
}

function float(value: string, text: string): number {
  const number = pyFloat(value);
  if (Number.isNaN(number)) throw invalid(text);
  return number;
}

/**
 * pgai's `--poll-interval` conversion: pytimeparse, else a Python integer of seconds.
 * Returns seconds exactly as pgai computes them (negative durations included, as pgai accepts
 * them from pytimeparse); throws DurationError with pgai's wording for an invalid value or a
 * negative integer, and for values beyond what Python's timedelta holds.
 */
export function parseDuration(text: string): number {
  let seconds = timeparse(text);
  if (seconds === undefined) {
    seconds = pyInt(text);
    if (seconds === undefined) throw invalid(text);
    if (seconds < 0) throw new NegativeDurationError("time duration can't be negative");
  }
  if (!(Math.abs(seconds) <= MAX_DURATION_SECONDS)) {
    throw tooLong(text);
  }
  return seconds;
}
