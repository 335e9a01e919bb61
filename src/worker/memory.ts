/**
 * Giving back the memory of a large batch while it runs.
 *
 * A batch writes its vectors one API response at a time, but each response leaves its buffers
 * (COPY data and the copies npm:postgres makes of it, request bodies) outside the JavaScript
 * heap, where V8 frees them only when a collection finds their wrappers dead. A batch with one
 * huge document (thousands of chunks, a dozen responses) allocates little on the heap between
 * responses, so V8 would let all of it pile up. So after every MB of vectors written within one
 * batch, the worker asks for a young-generation collection: those wrappers die young, and a
 * scavenge (a millisecond or two) frees their memory as a full collection (~25 ms) would.
 * Measured on the 2 MB document: no collections 126 MiB peak RSS; a full one every 2 MB 102 MiB
 * at ~4,600 chunks/s; a minor one every MB 101 MiB at 5,500-6,400 chunks/s. Ordinary batches
 * (150 chunks: 460 KB of 768-d vectors, 920 KB of 1536-d) never reach the amount.
 *
 * This needs V8's `gc` function, which the shipped binary, the Docker image and `deno task pgai`
 * expose (`--v8-flags=--expose-gc`); without it nothing happens and memory is left to V8.
 */

/** Vector bytes (1 MB: about one full OpenAI response) written within one batch between collections. */
export const COLLECT_EVERY_BYTES = 1_000_000;

/** V8's `gc` as `--expose-gc` defines it. */
export type GcFunction = (options?: { type?: "minor" | "major" }) => void;

/** Counts the vector bytes a batch writes and runs a minor collection after every MB of them. */
export class BatchMemory {
  #since = 0;
  readonly #every: number;
  readonly #gc: GcFunction | undefined;

  /**
   * @param every vector bytes between collections
   * @param gc the collector; V8's `gc` when exposed
   */
  constructor(
    every = COLLECT_EVERY_BYTES,
    gc = (globalThis as { gc?: GcFunction }).gc,
  ) {
    this.#every = every;
    this.#gc = gc;
  }

  /** Records `bytes` of vectors written; collects when enough have been written since the last. */
  written(bytes: number): boolean {
    this.#since += bytes;
    if (this.#since < this.#every || this.#gc === undefined) return false;
    this.#since = 0;
    this.#gc({ type: "minor" });
    return true;
  }
}
