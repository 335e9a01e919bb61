import assert from "node:assert/strict";
import { configureLogging, getLogger, type LogConfig, useColors } from "../src/log.ts";
import { registerSecret } from "../src/secrets.ts";

const NOON = new Date(2025, 0, 31, 12, 0, 5, 678); // local time, as structlog prints it

function capture(options: Partial<LogConfig> = {}): string[] {
  const lines: string[] = [];
  configureLogging({ now: () => NOON, sink: (line) => lines.push(line), ...options });
  return lines;
}

Deno.test("text log lines have structlog's shape: time, padded level, padded event, sorted keys", () => {
  const lines = capture();
  try {
    const log = getLogger("worker");
    log.info("running vectorizer", { vectorizer_id: 1 });
    log.info("finished processing vectorizer", { vectorizer_id: 1, items: 50 });
    log.warn("no vectorizers found");
    log.error("heartbeat failed", { error: new TypeError("fetch failed"), count: 2 });
    assert.deepEqual(lines, [
      "2025-01-31 12:00:05 [info     ] running vectorizer             vectorizer_id=1",
      "2025-01-31 12:00:05 [info     ] finished processing vectorizer items=50 vectorizer_id=1",
      "2025-01-31 12:00:05 [warning  ] no vectorizers found",
      "2025-01-31 12:00:05 [error    ] heartbeat failed               count=2 error=TypeError('fetch failed')",
    ]);
  } finally {
    configureLogging();
  }
});

Deno.test("events below the configured level are dropped; FATAL/CRITICAL is the top level", () => {
  const lines = capture({ level: "warn" });
  try {
    const log = getLogger("worker");
    log.debug("debug detail");
    log.info("info detail");
    log.warn("kept warning");
    log.critical("kept critical");
    assert.deepEqual(lines.map((line) => line.slice(20)), [
      "[warning  ] kept warning",
      "[critical ] kept critical",
    ]);
  } finally {
    configureLogging();
  }
});

Deno.test("field values: errors with their causes, JSON for structures, undefined left out", () => {
  const lines = capture();
  try {
    const cause = new RangeError("socket closed");
    class EmbeddingProviderError extends Error {}
    getLogger("x").info("values", {
      error: new EmbeddingProviderError("rate limited: it's busy", { cause }),
      list: [1, "two"],
      nested: { a: null, b: true },
      missing: undefined,
      text: "plain text",
    });
    assert.equal(
      lines[0],
      "2025-01-31 12:00:05 [info     ] values                         " +
        `error=EmbeddingProviderError("rate limited: it's busy") caused by RangeError('socket closed') ` +
        'list=[1,"two"] nested={"a":null,"b":true} text=plain text',
    );
  } finally {
    configureLogging();
  }
});

Deno.test("passwords in database URLs and registered API keys never reach the log", () => {
  registerSecret("sk-live-abcdef123456");
  for (const format of ["text", "json"] as const) {
    const lines = capture({ format });
    try {
      const log = getLogger("worker");
      log.error("could not connect to postgres://app:hunter22@db/app", {
        db_url: "postgres://app:hunter22@db/app",
        error: new Error("auth with sk-live-abcdef123456 failed", {
          cause: new Error("password=hunter22 rejected"),
        }),
        headers: { authorization: "Bearer sk-live-abcdef123456" },
      });
      assert.equal(lines.length, 1);
      const line = lines[0] as string;
      assert.ok(!line.includes("hunter22"), line);
      assert.ok(!line.includes("sk-live-abcdef123456"), line);
      assert.ok(line.includes("postgres://app:****@db/app"), line);
      assert.ok(line.includes("Bearer ****"), line);
    } finally {
      configureLogging();
    }
  }
});

Deno.test("json log lines are one object each: time, level, logger, event, fields", () => {
  const lines = capture({ format: "json" });
  try {
    getLogger("worker").warn("chunk truncated", {
      tokens: 9000,
      error: new Error("outer", { cause: new Error("inner") }),
      level: "field named like a reserved key",
      big: 12n,
    });
    getLogger("cli").info("plain");
    assert.equal(lines.length, 2);
    assert.deepEqual(JSON.parse(lines[0] as string), {
      time: NOON.toISOString(),
      level: "warning",
      logger: "worker",
      event: "chunk truncated",
      tokens: 9000,
      error: { type: "Error", message: "outer", cause: { type: "Error", message: "inner" } },
      level_: "field named like a reserved key",
      big: "12",
    });
    assert.deepEqual(JSON.parse(lines[1] as string), {
      time: NOON.toISOString(),
      level: "info",
      logger: "cli",
      event: "plain",
    });
  } finally {
    configureLogging();
  }
});

Deno.test("colors: ANSI codes around time, level, event and key/values when enabled", () => {
  const lines = capture({ colors: true });
  try {
    getLogger("worker").info("running vectorizer", { vectorizer_id: 1 });
    assert.equal(
      lines[0],
      "\x1b[2m2025-01-31 12:00:05\x1b[0m [\x1b[32minfo     \x1b[0m] " +
        "\x1b[1mrunning vectorizer            \x1b[0m \x1b[36mvectorizer_id\x1b[0m=\x1b[35m1\x1b[0m",
    );
  } finally {
    configureLogging();
  }
});

Deno.test("colors follow the terminal unless NO_COLOR or FORCE_COLOR say otherwise", () => {
  const env = (vars: Record<string, string>) => ({ get: (name: string) => vars[name] });
  assert.equal(useColors(env({}), true), true);
  assert.equal(useColors(env({}), false), false);
  assert.equal(useColors(env({ NO_COLOR: "1" }), true), false);
  assert.equal(useColors(env({ NO_COLOR: "" }), true), true);
  assert.equal(useColors(env({ FORCE_COLOR: "1" }), false), true);
  assert.equal(useColors(env({ FORCE_COLOR: "1", NO_COLOR: "1" }), false), true);
  assert.equal(useColors(env({ FORCE_COLOR: "0" }), true), false);
  assert.equal(useColors(env({ FORCE_COLOR: "false" }), true), false);
});

Deno.test("a failing log output never fails the caller", () => {
  configureLogging({
    sink: () => {
      throw new Error("stdout closed");
    },
  });
  try {
    assert.doesNotThrow(() => getLogger("worker").info("still fine"));
  } finally {
    configureLogging();
  }
});
