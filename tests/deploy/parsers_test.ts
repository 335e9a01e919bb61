// The readers behind the deploy checks must reject what they claim to reject.
import assert from "node:assert/strict";
import {
  durationSeconds,
  execForm,
  imageTag,
  isPinnedImage,
  memoryBytes,
  parseDockerfile,
  parseUnitFile,
} from "./parsers.ts";

Deno.test("parseDockerfile joins continuations, drops comments and numbers stages", () => {
  const parsed = parseDockerfile(
    'FROM a:1 AS build\n# RUN hidden\nRUN one \\\n  # inside\n  two\nFROM b:2\nCMD ["x"]\n',
  );
  assert.deepEqual(parsed, [
    { keyword: "FROM", args: "a:1 AS build", stage: 0 },
    { keyword: "RUN", args: "one two", stage: 0 },
    { keyword: "FROM", args: "b:2", stage: 1 },
    { keyword: "CMD", args: '["x"]', stage: 1 },
  ]);
});

Deno.test("execForm accepts JSON string arrays only", () => {
  assert.deepEqual(execForm('["/pgai", "health"]'), ["/pgai", "health"]);
  assert.equal(execForm("/pgai health"), undefined);
  assert.equal(execForm("[1, 2]"), undefined);
});

Deno.test("parseUnitFile ignores commented directives and keeps repeated keys", () => {
  const unit = parseUnitFile(
    "[Service]\n#MemoryDenyWriteExecute=yes\n; Foo=1\nSystemCallFilter=@system-service\nSystemCallFilter=~@privileged\nCapabilityBoundingSet=\n",
  );
  const service = unit.get("Service")!;
  assert.equal(service.get("MemoryDenyWriteExecute"), undefined);
  assert.deepEqual(service.get("SystemCallFilter"), ["@system-service", "~@privileged"]);
  assert.deepEqual(service.get("CapabilityBoundingSet"), [""]);
  assert.throws(() => parseUnitFile("Orphan=1\n"), /outside a section/);
});

Deno.test("durationSeconds reads compose and systemd durations", () => {
  assert.equal(durationSeconds("30s"), 30);
  assert.equal(durationSeconds("1m30s"), 90);
  assert.equal(durationSeconds("2min"), 120);
  assert.equal(durationSeconds("45"), 45);
  assert.equal(durationSeconds(12), 12);
  assert.throws(() => durationSeconds("soon"), /not a duration/);
});

Deno.test("isPinnedImage rejects untagged and latest images", () => {
  assert.equal(isPinnedImage("pgvector/pgvector:0.8.0-pg17"), true);
  assert.equal(isPinnedImage("gcr.io/distroless/cc-debian12:nonroot"), true);
  assert.equal(isPinnedImage(`alpine@sha256:${"a".repeat(64)}`), true);
  assert.equal(isPinnedImage("ollama/ollama"), false);
  assert.equal(isPinnedImage("ollama/ollama:latest"), false);
  assert.equal(isPinnedImage("localhost:5000/worker"), false);
  assert.equal(imageTag("localhost:5000/worker:1.2"), "1.2");
});

Deno.test("memoryBytes understands binary and decimal suffixes", () => {
  assert.equal(memoryBytes("256Mi"), 256 * 1024 * 1024);
  assert.equal(memoryBytes("1G"), 1e9);
  assert.equal(memoryBytes("1024"), 1024);
  assert.throws(() => memoryBytes("lots"), /not a memory quantity/);
});
