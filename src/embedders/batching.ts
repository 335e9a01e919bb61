/**
 * Splitting one embed call into API requests (contract §4.6.1, pgai's `batch_indices`).
 *
 * Every provider has a per-request limit on the number of inputs and, for some, on the total
 * number of tokens. The split must match pgai's exactly so that the same inputs produce the same
 * requests (and therefore the same failures and costs).
 */

import { BatchLimitError } from "./errors.ts";

/** A half-open range `[start, end)` of document indices sent in one request. */
export type BatchRange = readonly [start: number, end: number];

/**
 * Group documents into request ranges.
 *
 * @param tokenCounts per-document token counts (floats allowed, e.g. byte-length estimates)
 * @param maxChunks maximum documents per request (must be ≥ 1)
 * @param maxTokens maximum total tokens per request, or undefined for no token limit
 * @param floatCounts whether counts are float estimates (only changes the error text)
 * @throws BatchLimitError when one document alone exceeds `maxTokens`
 */
export function batchIndices(
  tokenCounts: readonly number[],
  maxChunks: number,
  maxTokens?: number,
  floatCounts = false,
): BatchRange[] {
  if (!Number.isInteger(maxChunks) || maxChunks < 1) {
    throw new RangeError(`max chunks per batch must be a positive integer, got ${maxChunks}`);
  }
  const ranges: BatchRange[] = [];
  let start = 0;
  let count = 0;
  for (let i = 0; i < tokenCounts.length; i++) {
    const tokens = tokenCounts[i]!;
    if (maxTokens !== undefined && tokens > maxTokens) {
      throw new BatchLimitError(tokens, maxTokens, floatCounts);
    }
    const overTokens = maxTokens !== undefined && roundHalfEven(count + tokens) > maxTokens;
    if (i > start && (overTokens || i - start + 1 > maxChunks)) {
      ranges.push([start, i]);
      start = i;
      count = 0;
    }
    count += tokens;
  }
  if (tokenCounts.length > start) ranges.push([start, tokenCounts.length]);
  return ranges;
}

/** Python's `round()` for floats: to the nearest integer, ties to even. */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff < 0.5) return floor;
  if (diff > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}
