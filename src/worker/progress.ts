/**
 * Recording a vectorizer's progress (`ai.vectorizer_worker_progress`) without holding up batches.
 */
import { getLogger } from "../log.ts";

const log = getLogger("worker");

/**
 * Sends a vectorizer's successes to `ai._worker_progress` on the control connection, one call at a
 * time, adding up the batches committed meanwhile. pgai calls it after every batch in a
 * transaction of its own on the executor's connection; all executors (and workers) of a vectorizer
 * update the same progress row, so with -c 8 those calls queued behind each other's row lock
 * (8-23 ms each). Progress is informational: a failure to record it is logged, not fatal.
 */
export class ProgressReporter {
  #pending = 0;
  #sending: Promise<void> | undefined;
  readonly #send: (items: number) => Promise<void>;
  readonly #vectorizerId: number;

  constructor(vectorizerId: number, send: (items: number) => Promise<void>) {
    this.#vectorizerId = vectorizerId;
    this.#send = send;
  }

  /** Adds the successes of a committed batch; sends them unless a call is under way. */
  add(items: number): void {
    if (items <= 0) return;
    this.#pending += items;
    this.#sending ??= this.#sendPending();
  }

  /** Waits until every success added so far has been sent (or failed to be). */
  async drain(): Promise<void> {
    while (this.#sending) await this.#sending;
  }

  async #sendPending(): Promise<void> {
    try {
      while (this.#pending > 0) {
        const items = this.#pending;
        this.#pending = 0;
        try {
          await this.#send(items);
        } catch (e) {
          log.warn("could not record progress", {
            vectorizer_id: this.#vectorizerId,
            items,
            error: String(e),
          });
        }
      }
    } finally {
      this.#sending = undefined;
    }
  }
}
