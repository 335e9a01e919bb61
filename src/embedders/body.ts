/**
 * Reading response bodies into buffers that are reused from one request to the next.
 *
 * `response.arrayBuffer()` allocates every body anew (and its chunks before that) outside the
 * JavaScript heap, where it stays until a garbage collection happens to find it dead. A worker that
 * allocates little on the heap, as it does once responses are parsed from bytes, collects rarely,
 * so a backfill would pile up its megabytes of dead bodies. Reading with a BYOB reader into a few
 * recycled buffers keeps that memory at a few buffers however many responses arrive.
 */

/** Size of a new body buffer; it doubles as long bodies need. */
const INITIAL_BYTES = 64 << 10;
/** Buffers that grew beyond this are not kept for reuse. */
const MAX_KEPT_BYTES = 16 << 20;

/** A small pool of body buffers, shared by the concurrent requests of one client. */
export class BodyBuffers {
  readonly #free: Uint8Array[] = [];
  readonly #keep: number;

  /** @param keep buffers kept for reuse (about the number of requests in flight at once) */
  constructor(keep = 4) {
    this.#keep = keep;
  }

  /**
   * Reads the whole body of `response` and returns what `use` makes of its bytes. The bytes are
   * only valid during `use` (the buffer goes back to the pool afterwards), so `use` must copy
   * whatever it keeps.
   */
  async read<T>(response: Response, use: (bytes: Uint8Array) => T): Promise<T> {
    const body = response.body;
    if (body === null) return use(new Uint8Array(0));
    let reader: ReadableStreamBYOBReader;
    try {
      reader = body.getReader({ mode: "byob" });
    } catch {
      // Not a byte stream (a body made by a custom fetch): read it the ordinary way.
      return use(new Uint8Array(await response.arrayBuffer()));
    }
    let buffer = this.#free.pop() ?? new Uint8Array(INITIAL_BYTES);
    let length = 0;
    try {
      for (;;) {
        if (length === buffer.length) {
          const larger = new Uint8Array(buffer.length * 2);
          larger.set(buffer);
          buffer = larger;
        }
        // The reader takes the buffer over and hands back a view of the same memory.
        const { value, done } = await reader.read(buffer.subarray(length));
        // Undefined only for a cancelled stream, whose buffer is gone: nothing left to read.
        buffer = value ? new Uint8Array(value.buffer) : new Uint8Array(0);
        if (done || !value) break;
        length += value.length;
      }
    } finally {
      reader.releaseLock();
    }
    try {
      return use(buffer.subarray(0, length));
    } finally {
      if (this.#free.length < this.#keep && buffer.length <= MAX_KEPT_BYTES) {
        this.#free.push(buffer);
      }
    }
  }
}
