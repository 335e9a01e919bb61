import assert from "node:assert/strict";
import { BatchMemory, COLLECT_EVERY_BYTES } from "../../src/worker/memory.ts";

Deno.test("a batch collects garbage after every 2 MB of vectors it writes", () => {
  let collections = 0;
  const memory = new BatchMemory(COLLECT_EVERY_BYTES, () => collections++);
  const fullResponse = 341 * 768 * 4; // an OpenAI response at the 1 MiB cap
  const written = [1, 2, 3, 4, 5].map(() => memory.written(fullResponse));
  assert.deepEqual(written, [false, true, false, true, false]);
  assert.equal(collections, 2);
});

Deno.test("an ordinary batch never pays for a collection", () => {
  let collections = 0;
  const memory = new BatchMemory(COLLECT_EVERY_BYTES, () => collections++);
  assert.equal(memory.written(150 * 768 * 4), false);
  assert.equal(collections, 0);
});

Deno.test("without an exposed gc the batch memory does nothing", () => {
  const memory = new BatchMemory(10, undefined);
  assert.equal(memory.written(100), false);
});
