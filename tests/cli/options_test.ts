import assert from "node:assert/strict";
import {
  boolean,
  choice,
  type CommandInfo,
  integer,
  integerRange,
  type OptionSpec,
  parseArgs,
  rejectExtraArguments,
  resolveList,
  resolveValue,
  text,
  UsageError,
} from "../../src/cli/options.ts";

const COMMAND: CommandInfo = { path: "pgai test", usage: "[OPTIONS]" };
const OPTIONS: OptionSpec[] = [
  {
    name: "db_url",
    flags: ["-d", "--db-url"],
    kind: "value",
    envvars: ["T_DB", "T_DB_OLD"],
    help: "",
  },
  { name: "ids", flags: ["-i", "--vectorizer-id"], kind: "multiple", envvars: ["T_IDS"], help: "" },
  {
    name: "concurrency",
    flags: ["-c", "--concurrency"],
    kind: "value",
    envvars: ["T_C"],
    help: "",
  },
  { name: "once", flags: ["--once"], kind: "flag", envvars: ["T_ONCE"], help: "" },
];
const byName = (name: string) => OPTIONS.find((o) => o.name === name) as OptionSpec;
const NO_ENV = { get: () => undefined };

function usageError(fn: () => unknown, message: string) {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof UsageError, String(error));
    assert.equal(error.message, message);
    return true;
  });
}

Deno.test("option values attach with '=', follow as the next argument, or stick to short flags", () => {
  for (
    const argv of [
      ["--db-url=postgres://x", "-c4"],
      ["--db-url", "postgres://x", "-c", "4"],
      ["-dpostgres://x", "--concurrency=4"],
      ["-d", "postgres://x", "--concurrency", "4"],
    ]
  ) {
    const parsed = parseArgs(argv, OPTIONS, COMMAND);
    assert.deepEqual(parsed.values.get("db_url"), ["postgres://x"], argv.join(" "));
    assert.deepEqual(parsed.values.get("concurrency"), ["4"], argv.join(" "));
  }
});

Deno.test("a repeated option keeps every value; a single-valued one keeps the last", () => {
  const parsed = parseArgs(
    ["-i", "1", "--vectorizer-id=2", "-i3", "-c", "1", "-c", "2"],
    OPTIONS,
    COMMAND,
  );
  assert.deepEqual(parsed.values.get("ids"), ["1", "2", "3"]);
  assert.deepEqual(parsed.values.get("concurrency"), ["2"]);
});

Deno.test("an option's value may look like an option, as in click", () => {
  const parsed = parseArgs(["-c", "-1", "--db-url", "--once"], OPTIONS, COMMAND);
  assert.deepEqual(parsed.values.get("concurrency"), ["-1"]);
  assert.deepEqual(parsed.values.get("db_url"), ["--once"]);
  assert.equal(parsed.values.has("once"), false);
});

Deno.test("'--' ends the options; later arguments are positional", () => {
  const parsed = parseArgs(["--once", "--", "--db-url", "x"], OPTIONS, COMMAND);
  assert.deepEqual(parsed.positionals, ["--db-url", "x"]);
  usageError(
    () => rejectExtraArguments(parsed, COMMAND),
    "Got unexpected extra arguments (--db-url x)",
  );
  usageError(
    () => rejectExtraArguments(parseArgs(["extra"], OPTIONS, COMMAND), COMMAND),
    "Got unexpected extra argument (extra)",
  );
});

Deno.test("unknown options are usage errors, with click's suggestions for near misses", () => {
  usageError(() => parseArgs(["--foo"], OPTIONS, COMMAND), "No such option: --foo");
  usageError(() => parseArgs(["--foo=1"], OPTIONS, COMMAND), "No such option: --foo");
  usageError(() => parseArgs(["-x"], OPTIONS, COMMAND), "No such option: -x");
  usageError(() => parseArgs(["-h"], OPTIONS, COMMAND), "No such option: -h");
  usageError(
    () => parseArgs(["--db-ur", "x"], OPTIONS, COMMAND),
    "No such option: --db-ur Did you mean --db-url?",
  );
  usageError(
    () => parseArgs(["--concurency", "2"], OPTIONS, COMMAND),
    "No such option: --concurency (Possible options: --concurrency, --once)",
  );
  usageError(() => parseArgs(["--version"], OPTIONS, COMMAND), "No such option: --version");
});

Deno.test("missing and unexpected option values are usage errors", () => {
  usageError(() => parseArgs(["-c"], OPTIONS, COMMAND), "Option '-c' requires an argument.");
  usageError(
    () => parseArgs(["--db-url"], OPTIONS, COMMAND),
    "Option '--db-url' requires an argument.",
  );
  usageError(
    () => parseArgs(["--once=true"], OPTIONS, COMMAND),
    "Option '--once' does not take a value.",
  );
  usageError(
    () => parseArgs(["--help=1"], OPTIONS, COMMAND),
    "Option '--help' does not take a value.",
  );
});

Deno.test("--help wins over bad values but not over unknown options", () => {
  assert.equal(parseArgs(["-c", "zero", "--help"], OPTIONS, COMMAND).eager, "help");
  usageError(
    () => parseArgs(["--help", "--nope"], OPTIONS, COMMAND),
    "No such option: --nope Did you mean --once?",
  );
  // `-c --help` gives --help to -c as its value, as click does
  assert.equal(parseArgs(["-c", "--help"], OPTIONS, COMMAND).eager, undefined);
});

Deno.test("a group stops parsing at its command name", () => {
  const parsed = parseArgs(["worker", "--once", "-c", "2"], [], COMMAND, { group: true });
  assert.deepEqual(parsed.positionals, ["worker", "--once", "-c", "2"]);
  assert.equal(
    parseArgs(["--version", "--help"], [], COMMAND, { group: true, withVersion: true }).eager,
    "version",
  );
});

Deno.test("values resolve from the flag, else the first non-empty variable, else nothing", () => {
  const env = (vars: Record<string, string>) => ({ get: (name: string) => vars[name] });
  const db = byName("db_url");
  const resolve = (argv: string[], vars: Record<string, string>) =>
    resolveValue(parseArgs(argv, OPTIONS, COMMAND), db, env(vars), text, COMMAND);
  assert.equal(resolve(["-d", "flag"], { T_DB: "env" }), "flag");
  assert.equal(resolve([], { T_DB: "env", T_DB_OLD: "old" }), "env");
  assert.equal(resolve([], { T_DB: "", T_DB_OLD: "old" }), "old");
  assert.equal(resolve([], { T_DB: "" }), undefined);
  assert.equal(resolve([], {}), undefined);
});

Deno.test("repeatable options read a whitespace-separated variable unless given as flags", () => {
  const ids = byName("ids");
  const resolve = (argv: string[], value: string | undefined) =>
    resolveList(parseArgs(argv, OPTIONS, COMMAND), ids, { get: () => value }, integer, COMMAND);
  assert.deepEqual(resolve([], "1 2\t3\n"), [1, 2, 3]);
  assert.deepEqual(resolve(["-i", "7"], "1 2"), [7]);
  assert.deepEqual(resolve([], "   "), []);
  assert.deepEqual(resolve([], undefined), []);
  usageError(
    () => resolve([], "1,2"),
    "Invalid value for '-i' / '--vectorizer-id' (from environment variable T_IDS): '1,2' is not a valid integer.",
  );
});

Deno.test("click's value types: integers, ranges, booleans, choices", () => {
  assert.equal(integer(" 4 "), 4);
  assert.equal(integer("1_0"), 10);
  assert.equal(integer("+3"), 3);
  assert.throws(() => integer("4.0"), /'4.0' is not a valid integer\./);
  assert.throws(() => integer("99999999999999999999"), /is too large/);
  assert.throws(() => integerRange(1)("0"), /^BadValue: 0 is not in the range x>=1\.$/);
  assert.throws(() => integerRange(1, 65535)("70000"), /70000 is not in the range 1<=x<=65535\./);
  for (const yes of ["1", "true", "T", "Yes", "y", " ON "]) assert.equal(boolean(yes), true, yes);
  for (const no of ["0", "false", "F", "NO", "n", "off"]) assert.equal(boolean(no), false, no);
  assert.throws(() => boolean("maybe"), /'maybe' is not a valid boolean\./);
  assert.throws(() => boolean(""), /'' is not a valid boolean\./);
  const level = choice(["DEBUG", "INFO", "WARN"] as const);
  assert.equal(level("debug"), "DEBUG");
  assert.equal(level("Warn"), "WARN");
  assert.throws(() => level("warning"), /'warning' is not one of 'debug', 'info', 'warn'\./);
});

Deno.test("bad values name the option, and the variable when they came from one", () => {
  const c = byName("concurrency");
  const resolve = (argv: string[], vars: Record<string, string>) =>
    resolveValue(
      parseArgs(argv, OPTIONS, COMMAND),
      c,
      { get: (n) => vars[n] },
      integerRange(1),
      COMMAND,
    );
  usageError(
    () => resolve(["-c", "0"], {}),
    "Invalid value for '-c' / '--concurrency': 0 is not in the range x>=1.",
  );
  usageError(
    () => resolve([], { T_C: "zero" }),
    "Invalid value for '-c' / '--concurrency' (from environment variable T_C): 'zero' is not a valid integer.",
  );
  const once = byName("once");
  assert.equal(
    resolveValue(parseArgs(["--once"], OPTIONS, COMMAND), once, NO_ENV, boolean, COMMAND),
    true,
  );
  assert.equal(
    resolveValue(parseArgs([], OPTIONS, COMMAND), once, NO_ENV, boolean, COMMAND),
    undefined,
  );
  usageError(
    () =>
      resolveValue(
        parseArgs([], OPTIONS, COMMAND),
        once,
        { get: () => "sometimes" },
        boolean,
        COMMAND,
      ),
    "Invalid value for '--once' (from environment variable T_ONCE): 'sometimes' is not a valid boolean.",
  );
});
