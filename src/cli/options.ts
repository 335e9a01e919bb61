/**
 * Command-line options the way pgai's click commands read them: parsing (`--opt value`,
 * `--opt=value`, `-c4`, `-c 4`, repeated options, `--`), value conversion with click's types
 * and messages, and resolution of each option from the command line, then its environment
 * variables, then its default. Bad input raises UsageError (exit status 2) naming the option,
 * the environment variable when the value came from one, and the value.
 */

import { pyInt, pyRepr, pySplit, pyStrip } from "./python.ts";

/** One option of a command. */
export interface OptionSpec {
  /** Key of the parsed value (click's parameter name, e.g. `db_url`). */
  name: string;
  /** Short and long spellings, short first: `["-d", "--db-url"]`. */
  flags: readonly string[];
  /** `value`: takes one value (last wins); `multiple`: repeatable; `flag`: takes none. */
  kind: "value" | "multiple" | "flag";
  /** Placeholder of the value in help (`URL`). */
  metavar?: string;
  /** Environment variables that supply the option when no flag is given, first found wins. */
  envvars?: readonly string[];
  /** Help text. */
  help: string;
  /** Default as shown in help, if any. */
  defaultHelp?: string;
}

/** The command a usage error belongs to, for the `Usage:` and `Try ... --help` lines. */
export interface CommandInfo {
  /** `pgai vectorizer worker` */
  path: string;
  /** What follows the path in the usage line: `[OPTIONS]`, `[OPTIONS] COMMAND [ARGS]...` */
  usage: string;
}

/** Wrong command-line or environment input; the CLI prints it click-style and exits with 2. */
export class UsageError extends Error {
  override name = "UsageError";
  constructor(message: string, readonly command: CommandInfo) {
    super(message);
  }
}

/** A value a type conversion rejects; the message is click's text for it. */
export class BadValue extends Error {
  override name = "BadValue";
}

/** What was on the command line. */
export interface ParsedArgs {
  /** Raw values per option name (`true` entries for flags). */
  values: Map<string, string[]>;
  /** Arguments that are not options, in order (for a group: the command and its arguments). */
  positionals: string[];
  /** `--help` or `--version`, whichever came first, if any. */
  eager: "help" | "version" | undefined;
}

const HELP_FLAG = "--help";
const VERSION_FLAG = "--version";

/**
 * Parses `argv` against `options` (plus `--help`, and `--version` when `withVersion`).
 * A group stops at its first positional argument (the subcommand), as click groups do.
 */
export function parseArgs(
  argv: readonly string[],
  options: readonly OptionSpec[],
  command: CommandInfo,
  settings: { group?: boolean; withVersion?: boolean } = {},
): ParsedArgs {
  const byFlag = new Map<string, OptionSpec>();
  for (const option of options) for (const flag of option.flags) byFlag.set(flag, option);
  const longFlags = [...byFlag.keys()].filter((flag) => flag.startsWith("--"));
  longFlags.push(HELP_FLAG);
  if (settings.withVersion) longFlags.push(VERSION_FLAG);

  const parsed: ParsedArgs = { values: new Map(), positionals: [], eager: undefined };
  const rest = [...argv];
  const fail = (message: string) => new UsageError(message, command);
  const take = (option: OptionSpec, used: string): void => {
    const value = rest.shift();
    if (value === undefined) throw fail(`Option '${used}' requires an argument.`);
    const values = parsed.values.get(option.name) ?? [];
    if (option.kind === "multiple") values.push(value);
    parsed.values.set(option.name, option.kind === "multiple" ? values : [value]);
  };

  while (rest.length > 0) {
    const arg = rest.shift() as string;
    if (arg === "--") {
      parsed.positionals.push(...rest.splice(0));
      break;
    }
    if (!arg.startsWith("-") || arg.length === 1) {
      parsed.positionals.push(arg);
      if (settings.group) {
        parsed.positionals.push(...rest.splice(0));
        break;
      }
      continue;
    }
    const equals = arg.indexOf("=");
    const name = equals >= 0 ? arg.slice(0, equals) : arg;
    const explicit = equals >= 0 ? arg.slice(equals + 1) : undefined;
    const long = byFlag.get(name);
    if ((long && name.startsWith("--")) || name === HELP_FLAG || name === VERSION_FLAG) {
      if (name === HELP_FLAG || (name === VERSION_FLAG && settings.withVersion)) {
        if (explicit !== undefined) throw fail(`Option '${name}' does not take a value.`);
        parsed.eager ??= name === HELP_FLAG ? "help" : "version";
        continue;
      }
      if (long === undefined) throw noSuchOption(name, longFlags, command);
      if (long.kind === "flag") {
        if (explicit !== undefined) throw fail(`Option '${name}' does not take a value.`);
        parsed.values.set(long.name, ["true"]);
      } else {
        if (explicit !== undefined) rest.unshift(explicit);
        take(long, name);
      }
      continue;
    }
    if (arg.startsWith("--")) throw noSuchOption(name, longFlags, command);
    // Short options, possibly grouped (`-c4`, `-c 4`): the first that takes a value ends the group.
    for (let i = 1; i < arg.length; i++) {
      const flag = `-${arg.charAt(i)}`;
      const option = byFlag.get(flag);
      if (option === undefined) throw noSuchOption(flag, [], command);
      if (option.kind === "flag") {
        parsed.values.set(option.name, ["true"]);
        continue;
      }
      if (i + 1 < arg.length) rest.unshift(arg.slice(i + 1));
      take(option, flag);
      break;
    }
  }
  return parsed;
}

function noSuchOption(name: string, longFlags: readonly string[], command: CommandInfo) {
  const close = closeMatches(name, longFlags).sort();
  let message = `No such option: ${name}`;
  if (close.length === 1) message += ` Did you mean ${close[0]}?`;
  else if (close.length > 1) message += ` (Possible options: ${close.join(", ")})`;
  return new UsageError(message, command);
}

/** Up to three candidates similar to `word` (difflib's ratio >= 0.6, best first). */
function closeMatches(word: string, candidates: readonly string[]): string[] {
  return candidates
    .map((candidate) => ({ candidate, score: similarity(candidate, word) }))
    .filter(({ score }) => score >= 0.6)
    .sort((a, b) => b.score - a.score || (a.candidate < b.candidate ? 1 : -1))
    .slice(0, 3)
    .map(({ candidate }) => candidate);
}

/** Ratcliff/Obershelp similarity: twice the matching characters over the total length. */
function similarity(a: string, b: string): number {
  const total = a.length + b.length;
  return total === 0 ? 1 : (2 * matchingCharacters(a, b)) / total;
}

function matchingCharacters(a: string, b: string): number {
  let length = 0;
  let startA = 0;
  let startB = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < b.length; j++) {
      let k = 0;
      while (i + k < a.length && j + k < b.length && a[i + k] === b[j + k]) k++;
      if (k > length) [length, startA, startB] = [k, i, j];
    }
  }
  if (length === 0) return 0;
  return length + matchingCharacters(a.slice(0, startA), b.slice(0, startB)) +
    matchingCharacters(a.slice(startA + length), b.slice(startB + length));
}

/** Fails when a command that takes no arguments got some (click's wording). */
export function rejectExtraArguments(parsed: ParsedArgs, command: CommandInfo): void {
  const extra = parsed.positionals;
  if (extra.length === 0) return;
  const noun = extra.length === 1 ? "argument" : "arguments";
  throw new UsageError(`Got unexpected extra ${noun} (${extra.join(" ")})`, command);
}

/** Reads environment variables (Deno.env or a test's map). */
export interface EnvReader {
  get(name: string): string | undefined;
}

/** Converts one raw value or throws BadValue. */
export type Converter<T> = (raw: string) => T;

function paramHint(option: OptionSpec): string {
  return option.flags.map((flag) => `'${flag}'`).join(" / ");
}

function convertOrFail<T>(
  option: OptionSpec,
  raw: string,
  convert: Converter<T>,
  command: CommandInfo,
  envvar?: string,
): T {
  try {
    return convert(raw);
  } catch (error) {
    if (!(error instanceof BadValue)) throw error;
    const from = envvar === undefined ? "" : ` (from environment variable ${envvar})`;
    throw new UsageError(
      `Invalid value for ${paramHint(option)}${from}: ${error.message}`,
      command,
    );
  }
}

/** The first non-empty environment variable of the option, if any. */
function fromEnv(option: OptionSpec, env: EnvReader): [string, string] | undefined {
  for (const name of option.envvars ?? []) {
    const value = env.get(name);
    if (value) return [name, value];
  }
  return undefined;
}

/**
 * Resolves a single-valued option: command line, else its first non-empty environment
 * variable, else undefined. Flags (`kind: "flag"`) read their variable as a boolean.
 */
export function resolveValue<T>(
  parsed: ParsedArgs,
  option: OptionSpec,
  env: EnvReader,
  convert: Converter<T>,
  command: CommandInfo,
): T | undefined {
  const given = parsed.values.get(option.name);
  if (given !== undefined) {
    const raw = given[given.length - 1] as string;
    return convertOrFail(option, raw, convert, command);
  }
  const found = fromEnv(option, env);
  if (found === undefined) return undefined;
  return convertOrFail(option, found[1], convert, command, found[0]);
}

/**
 * Resolves a repeatable option: all command-line values, else the whitespace-separated items
 * of its environment variable (click's rule), else an empty list.
 */
export function resolveList<T>(
  parsed: ParsedArgs,
  option: OptionSpec,
  env: EnvReader,
  convert: Converter<T>,
  command: CommandInfo,
): T[] {
  const given = parsed.values.get(option.name);
  if (given !== undefined) return given.map((raw) => convertOrFail(option, raw, convert, command));
  const found = fromEnv(option, env);
  if (found === undefined) return [];
  return pySplit(found[1]).map((raw) => convertOrFail(option, raw, convert, command, found[0]));
}

/** click's STRING type. */
export const text: Converter<string> = (raw) => raw;

/** click's INT type (Python `int()`), limited to exactly representable integers. */
export const integer: Converter<number> = (raw) => {
  const value = pyInt(raw);
  if (value === undefined) throw new BadValue(`${pyRepr(raw)} is not a valid integer.`);
  if (!Number.isSafeInteger(value)) throw new BadValue(`${pyRepr(raw)} is too large.`);
  return value;
};

/** click's IntRange(min, max) type. */
export function integerRange(min: number, max?: number): Converter<number> {
  const range = max === undefined ? `x>=${min}` : `${min}<=x<=${max}`;
  return (raw) => {
    const value = integer(raw);
    if (value < min || (max !== undefined && value > max)) {
      throw new BadValue(`${value} is not in the range ${range}.`);
    }
    return value;
  };
}

const TRUE = new Set(["1", "true", "t", "yes", "y", "on"]);
const FALSE = new Set(["0", "false", "f", "no", "n", "off"]);

/** click's BOOL type: 1/0, true/false, t/f, yes/no, y/n, on/off, any case, spaces ignored. */
export const boolean: Converter<boolean> = (raw) => {
  const normalized = pyStrip(raw).toLowerCase();
  if (TRUE.has(normalized)) return true;
  if (FALSE.has(normalized)) return false;
  throw new BadValue(`${pyRepr(raw)} is not a valid boolean.`);
};

/** click's case-insensitive Choice: returns the canonical spelling of the matching choice. */
export function choice<T extends string>(choices: readonly T[]): Converter<T> {
  const listed = choices.map((c) => pyRepr(c.toLowerCase())).join(", ");
  return (raw) => {
    const found = choices.find((c) => c.toLowerCase() === raw.toLowerCase());
    if (found === undefined) throw new BadValue(`${pyRepr(raw)} is not one of ${listed}.`);
    return found;
  };
}
