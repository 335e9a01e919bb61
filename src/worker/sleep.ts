/**
 * Waiting that shutdown can cut short: the poll sleep, heartbeat intervals and backoffs all end
 * as soon as the worker is asked to stop, so stopping never waits for a timer.
 */

/** Resolves after `ms` milliseconds, or at once when `signal` aborts (never rejects). */
export function interruptibleSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
