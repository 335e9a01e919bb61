/**
 * JSON-over-HTTP requests with retries, for the providers we speak to with `fetch` (OpenAI, Voyage
 * AI and the LiteLLM providers; Ollama goes through its own client).
 *
 * Retries follow the policy of the official SDKs: on 408, 409, 429, 5xx and network failures or
 * timeouts, waiting what the server asks (`retry-after-ms`, `retry-after` in seconds or as an
 * HTTP date, when between 0 and 60 s) or else an exponential backoff of 0.5 s, 1 s, 2 s ... capped
 * at 8 s with up to 25 % jitter; a server's `x-should-retry` overrides the status. The caller turns
 * the final failure into its provider's error text.
 */

import { getLogger } from "../log.ts";
import { isRetryableStatus } from "./errors.ts";
import type { RequestPolicy } from "./embedder.ts";

const log = getLogger("embedders");

/** One JSON POST. */
export interface JsonRequest {
  /** Provider name for log lines. */
  readonly provider: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
  readonly policy: RequestPolicy;
  readonly signal?: AbortSignal | undefined;
  readonly fetch?: typeof fetch | undefined;
}

/** The final failure of a request, after retries. */
export class HttpRequestError extends Error {
  /** HTTP status, when a response arrived. */
  readonly status: number | undefined;
  /** Response headers, when a response arrived. */
  readonly headers: Headers | undefined;
  /** Raw response body, when a response arrived. */
  readonly body: string | undefined;
  /** True when no response arrived within the time limit. */
  readonly timedOut: boolean;
  /** Number of attempts made. */
  readonly attempts: number;

  constructor(
    message: string,
    fields: {
      status?: number;
      headers?: Headers;
      body?: string;
      timedOut?: boolean;
      attempts: number;
      cause?: unknown;
    },
  ) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = "HttpRequestError";
    this.status = fields.status;
    this.headers = fields.headers;
    this.body = fields.body;
    this.timedOut = fields.timedOut ?? false;
    this.attempts = fields.attempts;
  }

  /** Whether another try later could succeed. */
  get retryable(): boolean {
    return this.status === undefined || isRetryableStatus(this.status);
  }
}

/** A successful response: parsed JSON plus headers. */
export interface JsonResponse {
  readonly json: unknown;
  readonly headers: Headers;
}

/**
 * POST `body` as JSON and parse the JSON answer, retrying retryable failures.
 * @throws HttpRequestError after the last failed attempt, or for a success body that is not JSON
 * @throws the signal's reason when aborted
 */
export function postJson(request: JsonRequest): Promise<JsonResponse> {
  return post({ ...request, body: JSON.stringify(request.body) }, async (response, attempt) => {
    const text = await response.text();
    try {
      return { json: JSON.parse(text), headers: response.headers };
    } catch (cause) {
      throw new HttpRequestError(`invalid JSON in response: ${text.slice(0, 200)}`, {
        status: response.status,
        headers: response.headers,
        body: text,
        attempts: attempt,
        cause,
      });
    }
  });
}

/** One POST whose body is already encoded. */
export interface PostRequest extends Omit<JsonRequest, "body"> {
  readonly body: string;
}

/**
 * POST `request.body` (JSON text) and return what `read` makes of the first successful (2xx)
 * response, retrying retryable failures. A failed response's body is kept, as text, on the
 * error. `read` runs within the attempt's time limit; whatever it throws ends the request,
 * unless the time limit ran out meanwhile, which counts as a timed-out attempt.
 * @throws HttpRequestError after the last failed attempt
 * @throws the signal's reason when aborted
 */
export async function post<T>(
  request: PostRequest,
  read: (response: Response, attempt: number) => Promise<T>,
): Promise<T> {
  const doFetch = request.fetch ?? fetch;
  const { maxRetries, timeoutMs } = request.policy;
  const headers = { "content-type": "application/json", ...request.headers };
  for (let attempt = 1;; attempt++) {
    request.signal?.throwIfAborted();
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    let failure: HttpRequestError;
    let response: Response | undefined;
    try {
      response = await doFetch(request.url, {
        method: "POST",
        headers,
        body: request.body,
        signal,
      });
      if (response.ok) return await read(response, attempt);
      failure = new HttpRequestError(`HTTP ${response.status}`, {
        status: response.status,
        headers: response.headers,
        body: await response.text(),
        attempts: attempt,
      });
    } catch (error) {
      if (request.signal?.aborted) throw request.signal.reason;
      const timedOut = timeout.aborted;
      // A custom fetch's own HttpRequestError is final, and so is what `read` finds wrong with a
      // successful answer; a TypeError (fetch's network failure) while reading it is not.
      if (!timedOut && error instanceof HttpRequestError) throw error;
      if (!timedOut && response?.ok && !(error instanceof TypeError)) throw error;
      failure = new HttpRequestError(timedOut ? "request timed out" : String(error), {
        timedOut,
        attempts: attempt,
        cause: error,
      });
    }
    if (!shouldRetry(failure) || attempt > maxRetries) throw failure;
    const delay = retryDelayMs(failure.headers, attempt);
    log.warn("embedding request failed, retrying", {
      provider: request.provider,
      status: failure.status ?? null,
      error: failure.status === undefined ? failure.message : undefined,
      attempt,
      retries_left: maxRetries - attempt + 1,
      delay_ms: Math.round(delay),
    });
    await sleep(delay, request.signal);
  }
}

/**
 * Whether a failed attempt is tried again: the server's `x-should-retry: true|false` when it
 * sends one (as OpenAI's API does and its SDKs obey), else by status or for a network failure.
 */
function shouldRetry(failure: HttpRequestError): boolean {
  const asked = failure.headers?.get("x-should-retry");
  if (asked === "true") return true;
  if (asked === "false") return false;
  return failure.retryable;
}

/**
 * How long to wait before retry number `attempt` (1-based): the server's `retry-after-ms` or
 * `retry-after` when it is between 0 and 60 seconds, else exponential backoff with jitter.
 */
export function retryDelayMs(headers: Headers | undefined, attempt: number): number {
  const asked = serverRetryDelayMs(headers);
  if (asked !== undefined && asked >= 0 && asked <= 60_000) return asked;
  const base = Math.min(0.5 * 2 ** (attempt - 1), 8);
  return base * (1 - Math.random() * 0.25) * 1000;
}

function serverRetryDelayMs(headers: Headers | undefined): number | undefined {
  const ms = headers?.get("retry-after-ms");
  if (ms) {
    const value = Number.parseFloat(ms);
    if (!Number.isNaN(value)) return value;
  }
  const after = headers?.get("retry-after");
  if (after) {
    const seconds = Number.parseFloat(after);
    if (!Number.isNaN(seconds)) return seconds * 1000;
    const date = Date.parse(after);
    if (!Number.isNaN(date)) return date - Date.now();
  }
  return undefined;
}

/** Wait `ms` milliseconds unless `signal` aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
