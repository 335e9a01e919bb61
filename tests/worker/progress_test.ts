import assert from "node:assert/strict";
import { ProgressReporter } from "../../src/worker/progress.ts";

Deno.test("progress of batches committed while a call is under way goes out in one call", async () => {
  const calls: number[] = [];
  let release = () => {};
  const progress = new ProgressReporter(1, async (items) => {
    calls.push(items);
    if (calls.length === 1) await new Promise<void>((resolve) => release = resolve);
  });
  progress.add(50);
  progress.add(50);
  progress.add(30);
  progress.add(0);
  assert.deepEqual(calls, [50]);
  release();
  await progress.drain();
  assert.deepEqual(calls, [50, 80]);
  progress.add(7);
  await progress.drain();
  assert.deepEqual(calls, [50, 80, 7]);
});

Deno.test("a failed progress call is logged and later successes are still recorded", async () => {
  const calls: number[] = [];
  const progress = new ProgressReporter(1, (items) => {
    calls.push(items);
    return calls.length === 1 ? Promise.reject(new Error("connection lost")) : Promise.resolve();
  });
  progress.add(10);
  await progress.drain();
  progress.add(5);
  await progress.drain();
  assert.deepEqual(calls, [10, 5]);
});
