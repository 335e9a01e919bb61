import assert from "node:assert/strict";
import { batchIndices, roundHalfEven } from "../../src/embedders/batching.ts";
import { BatchLimitError } from "../../src/embedders/errors.ts";

const tokenDocuments = [5, 1, 1, 1, 1, 1, 1, 1, 1];
const stringDocuments = [1, 8, 2, 5, 9, 5, 6, 11];

Deno.test("batching sends nothing for no documents", () => {
  assert.deepEqual(batchIndices([], 1), []);
});

Deno.test("batching splits by chunk count only when there is no token limit", () => {
  assert.deepEqual(batchIndices(tokenDocuments, 1), tokenDocuments.map((_, i) => [i, i + 1]));
  assert.deepEqual(batchIndices(tokenDocuments, 3), [[0, 3], [3, 6], [6, 9]]);
  assert.deepEqual(batchIndices(tokenDocuments, 5), [[0, 5], [5, 9]]);
});

Deno.test("batching starts a new request when either limit would be exceeded", () => {
  assert.deepEqual(batchIndices(tokenDocuments, 5, 6), [[0, 2], [2, 7], [7, 9]]);
  assert.deepEqual(batchIndices(stringDocuments, 5, 20), [[0, 4], [4, 7], [7, 8]]);
});

Deno.test("batching rejects a chunk larger than the token budget with pgai's text", () => {
  assert.throws(() => batchIndices(tokenDocuments, 5, 2), {
    name: "BatchLimitError",
    message: "chunk length 5 greater than max_tokens_per_batch 2",
  });
  assert.throws(
    () => batchIndices([2.5, 301000], 10, 300000, true),
    (error) =>
      error instanceof BatchLimitError &&
      error.message === "chunk length 301000.0 greater than max_tokens_per_batch 300000",
  );
});

Deno.test("batching rounds the running float total half to even before comparing", () => {
  // 2 + 2 + 0.5 = 4.5 rounds down to 4: still fits a budget of 4.
  assert.deepEqual(batchIndices([2, 2, 0.5], 10, 4), [[0, 3]]);
  // 2 + 3 + 0.5 = 5.5 rounds up to 6 > 5: the third chunk starts a new request.
  assert.deepEqual(batchIndices([2, 3, 0.5], 10, 5), [[0, 2], [2, 3]]);
  assert.deepEqual([0.5, 1.5, 2.5, 3.5, 2.4, 2.6].map(roundHalfEven), [0, 2, 2, 4, 2, 3]);
});

Deno.test("batching refuses a max chunk count below one instead of looping", () => {
  assert.throws(() => batchIndices([1, 2], 0), RangeError);
});
