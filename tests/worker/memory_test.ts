import assert from "node:assert/strict";
import { BatchMemory, COLLECT_EVERY_BYTES, type GcFunction } from "../../src/worker/memory.ts";

Deno.test("a batch runs a young-generation collection after every MB of vectors it writes", () => {
  const calls: Parameters<GcFunction>[] = [];
  const memory = new BatchMemory(COLLECT_EVERY_BYTES, (...args) => calls.push(args));
  const halfResponse = 170 * 768 * 4; // half an OpenAI response at the 1 MiB cap
  const written = [1, 2, 3, 4, 5].map(() => memory.written(halfResponse));
  assert.deepEqual(written, [false, true, false, true, false]);
  assert.deepEqual(calls, [[{ type: "minor" }], [{ type: "minor" }]]);
});

Deno.test("the exposed V8 gc runs a scavenge, not a full collection, when asked for a minor one", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      "--v8-flags=--expose-gc,--trace-gc",
      'console.log("before"); gc({ type: "minor" });',
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const after = new TextDecoder().decode(out.stdout).split("before\n")[1] ?? "";
  assert.match(after, /Scavenge/);
  assert.doesNotMatch(after, /Mark-Compact/);
});

Deno.test("an ordinary batch never pays for a collection", () => {
  let collections = 0;
  const memory = new BatchMemory(COLLECT_EVERY_BYTES, () => collections++);
  assert.equal(memory.written(150 * 768 * 4), false);
  assert.equal(
    new BatchMemory(COLLECT_EVERY_BYTES, () => collections++).written(150 * 1536 * 4),
    false,
  );
  assert.equal(collections, 0);
});

Deno.test("without an exposed gc the batch memory does nothing", () => {
  const memory = new BatchMemory(10, undefined);
  assert.equal(memory.written(100), false);
});
