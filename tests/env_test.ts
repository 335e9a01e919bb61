import assert from "node:assert/strict";
import { join } from "node:path";
import { DotenvError, expandDotenv, findDotenv, loadDotenv, parseDotenv } from "../src/env.ts";

/** An environment backed by a Map, in place of Deno.env. */
class MapEnv {
  readonly vars: Map<string, string>;
  constructor(initial: Record<string, string> = {}) {
    this.vars = new Map(Object.entries(initial));
  }
  get(name: string) {
    return this.vars.get(name);
  }
  has(name: string) {
    return this.vars.has(name);
  }
  set(name: string, value: string) {
    this.vars.set(name, value);
  }
}

function values(text: string, env: Record<string, string> = {}) {
  const menv = new MapEnv(env);
  return Object.fromEntries(expandDotenv(parseDotenv(text).bindings, menv));
}

Deno.test(".env statements: export prefix, spaces around '=', comments", () => {
  const text = [
    "# a comment",
    "export A=1",
    "B = two words  # trailing comment",
    "C=a#b",
    "D= #x",
    "   E=indented",
    "O=  spaced   ",
    "exportX=1",
    "export=2",
    "",
    "",
  ].join("\n");
  assert.deepEqual(values(text), {
    A: "1",
    B: "two words",
    C: "a#b",
    D: "#x",
    E: "indented",
    O: "spaced",
    exportX: "1",
    export: "2",
  });
});

Deno.test(".env quoting: single quotes keep escapes, double quotes decode them, both span lines", () => {
  const text = [
    String.raw`S='single \'q\' \\ \n'`,
    String.raw`D="double\tq \"x\" \\ \x41 \u0041 \a\b\f\r\v"`,
    `M="multi`,
    `line" # comment after`,
    `Q='it''s'`,
    `'QUOTED KEY'=value`,
  ].join("\n");
  assert.deepEqual(values(text), {
    S: String.raw`single 'q' \ \n`,
    D: 'double\tq "x" \\ \\x41 \\u0041 \x07\b\f\r\v',
    M: "multi\nline",
    "QUOTED KEY": "value",
  });
  // `Q='it''s'` is not a statement python-dotenv understands
  assert.deepEqual(parseDotenv(text).invalidLines, [5]);
});

Deno.test(".env: KEY= sets the empty string and a bare KEY sets nothing", () => {
  const { bindings } = parseDotenv("EMPTY=\nBARE\nBARE_WITH_COMMENT # note\n");
  assert.deepEqual(bindings, [
    { key: "EMPTY", value: "" },
    { key: "BARE", value: undefined },
    { key: "BARE_WITH_COMMENT", value: undefined },
  ]);
});

Deno.test(".env: unparseable statements are skipped and reported by line", () => {
  const text = 'A=1\nK="a" b\n=oops\nB=2\r\nC="unterminated\nD=4\n';
  const parsed = parseDotenv(text);
  assert.deepEqual(parsed.bindings, [{ key: "A", value: "1" }, { key: "B", value: "2" }, {
    key: "D",
    value: "4",
  }]);
  assert.deepEqual(parsed.invalidLines, [2, 3, 5]);
});

Deno.test(".env expansion: real environment first, then earlier entries, then the default", () => {
  const text = [
    "A=1",
    "FROM_FILE=${A}",
    "FROM_ENV=${A_ENV}",
    "SHADOWED=${B}", // B is set both in the environment and (later) in the file
    "B=file",
    "DEFAULTED=${MISSING:-fallback}",
    "EMPTY_ENV=${EMPTY:-unused}", // set but empty: empty, not the default
    "BARE",
    "AFTER_BARE=${BARE:-unused}", // a bare entry counts as present and empty
    "NO_BRACES=$A",
    "UNKNOWN=${NOPE}",
    "SINGLE='${A}'", // python-dotenv expands single-quoted values too
    "SELF=x",
    "SELF=${SELF}y",
  ].join("\n");
  assert.deepEqual(values(text, { A_ENV: "env", B: "env", EMPTY: "" }), {
    A: "1",
    FROM_FILE: "1",
    FROM_ENV: "env",
    SHADOWED: "env",
    B: "file",
    DEFAULTED: "fallback",
    EMPTY_ENV: "",
    BARE: undefined,
    AFTER_BARE: "",
    NO_BRACES: "$A",
    UNKNOWN: "",
    SINGLE: "1",
    SELF: "xy",
  });
});

Deno.test(".env never overrides variables already set, even to the empty string", () => {
  const dir = Deno.makeTempDirSync({ prefix: "cli_env_" });
  try {
    Deno.writeTextFileSync(join(dir, ".env"), "SET=file\nEMPTY=file\nNEW=file\nBARE\n");
    const env = new MapEnv({ SET: "process", EMPTY: "" });
    const result = loadDotenv(dir, env);
    assert.equal(result.path, join(dir, ".env"));
    assert.deepEqual(result.set, ["NEW"]);
    assert.deepEqual(Object.fromEntries(env.vars), { SET: "process", EMPTY: "", NEW: "file" });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test(".env is found in the nearest ancestor directory; a directory named .env is skipped", () => {
  const dir = Deno.makeTempDirSync({ prefix: "cli_env_" });
  try {
    const nested = join(dir, "a", "b");
    Deno.mkdirSync(join(nested, ".env"), { recursive: true }); // a directory, not a file
    Deno.writeTextFileSync(join(dir, "a", ".env"), "LEVEL=a\n");
    Deno.writeTextFileSync(join(dir, ".env"), "LEVEL=top\n");
    assert.equal(findDotenv(nested), join(dir, "a", ".env"));
    const env = new MapEnv();
    loadDotenv(nested, env);
    assert.equal(env.get("LEVEL"), "a");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test(".env: no file found means nothing is loaded", () => {
  const dir = Deno.makeTempDirSync({ prefix: "cli_env_" });
  try {
    const found = findDotenv(dir);
    // an ancestor of the temporary directory could hold a .env; it must not be inside dir
    assert.ok(found === undefined || !found.startsWith(dir), found);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test(".env: a byte-order mark is dropped and invalid UTF-8 is a DotenvError", () => {
  const dir = Deno.makeTempDirSync({ prefix: "cli_env_" });
  try {
    const path = join(dir, ".env");
    Deno.writeFileSync(
      path,
      new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode("K=v\n")]),
    );
    const env = new MapEnv();
    loadDotenv(dir, env);
    assert.equal(env.get("K"), "v");
    Deno.writeFileSync(path, new Uint8Array([0x4b, 0x3d, 0xff, 0x0a]));
    assert.throws(() => loadDotenv(dir, new MapEnv()), (error) => {
      assert.ok(error instanceof DotenvError);
      assert.match(error.message, /cannot read .*\.env/);
      return true;
    });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test(".env: unparseable lines become warnings naming the line and file", () => {
  const dir = Deno.makeTempDirSync({ prefix: "cli_env_" });
  try {
    Deno.writeTextFileSync(join(dir, ".env"), "GOOD=1\n=bad\n");
    const env = new MapEnv();
    const result = loadDotenv(dir, env);
    assert.equal(env.get("GOOD"), "1");
    assert.deepEqual(result.warnings, [
      `could not parse the statement starting at line 2 of ${join(dir, ".env")}`,
    ]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
