/**
 * Giving back the memory of a large batch while it runs.
 *
 * A batch writes its vectors one API response at a time, but each response leaves its buffers
 * (vectors, COPY data) outside the JavaScript heap, where V8 frees them only when a collection
 * finds them dead — and V8 lets tens of MB of such memory pile up before it collects. A batch
 * with one huge document (thousands of chunks, a dozen responses) would hold all of them at once.
 * So after every few MB of vectors written within one batch, the worker asks for a collection.
 * Ordinary batches (a few hundred chunks) never reach that amount and never pay for it.
 *
 * This needs V8's `gc` function, which the shipped binary, the Docker image and `deno task pgai`
 * expose (`--v8-flags=--expose-gc`); without it nothing happens and memory is left to V8.
 */

/** Vector bytes (2 MB: about two full OpenAI responses) written within one batch between collections. */
export const COLLECT_EVERY_BYTES = 2_000_000;

type GcFunction = () => void;

/** Counts the vector bytes a batch writes and collects garbage after every few MB of them. */
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
    this.#gc();
    return true;
  }
}
