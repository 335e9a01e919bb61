/**
 * What every embedding provider offers the worker, and the options they share.
 *
 * An embedder turns a list of texts into vectors with as many API requests as the provider's
 * limits require, yielding each request's vectors as soon as they arrive so that the worker can
 * store them while the next request is in flight.
 */

/** Environment variables visible to embedders (API keys, base URLs, batch sizes). */
export type Env = Readonly<Record<string, string | undefined>>;

/** Options shared by all embedders. */
export interface EmbedderOptions {
  /** The resolved API key (from `api_key_name`), when the vectorizer has one. */
  apiKey?: string | undefined;
  /** Environment variables; defaults to the process environment. */
  env?: Env | undefined;
  /** Aborts setup and every request (in addition to the per-call signal). */
  signal?: AbortSignal | undefined;
  /** Retries after a retryable failure (429, 5xx, 408, 409, network errors). Default 5. */
  maxRetries?: number | undefined;
  /** Time limit of one HTTP request in milliseconds. Default 600,000 (10 minutes). */
  timeoutMs?: number | undefined;
  /** The fetch implementation; defaults to the global one. */
  fetch?: typeof fetch | undefined;
}

/** Turns texts into vectors through one provider. */
export interface Embedder {
  /** The config's `implementation` (`openai`, `ollama`, `voyageai`, `litellm`). */
  readonly implementation: string;
  /** The model name from the config. */
  readonly model: string;
  /** One-time preparation before embedding (Ollama: make sure the model is present). */
  setup(): Promise<void>;
  /**
   * Embed `documents`, yielding one array of vectors per API request, in document order: the
   * yielded arrays concatenated have exactly one vector per document.
   *
   * @throws EmbeddingProviderError for provider failures (message = pgai's `error_reason`)
   * @throws BatchLimitError when one document exceeds the per-request token budget
   * @throws the signal's reason when aborted
   */
  embed(documents: readonly string[], signal?: AbortSignal): AsyncGenerator<Float32Array[]>;
  /**
   * Optional: the caller is done with one yielded array of vectors and will never read them again,
   * so the embedder may decode a later response into their memory.
   */
  recycle?(vectors: readonly Float32Array[]): void;
}

/** Retry and timeout settings after applying defaults. */
export interface RequestPolicy {
  readonly maxRetries: number;
  readonly timeoutMs: number;
}

/** Default number of retries after the first attempt. */
export const DEFAULT_MAX_RETRIES = 5;
/** Default time limit of one request. */
export const DEFAULT_TIMEOUT_MS = 600_000;

/** Apply defaults and check the retry/timeout options. */
export function requestPolicy(options: EmbedderOptions): RequestPolicy {
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(maxRetries) || maxRetries < 0) {
    throw new RangeError(`maxRetries must be a non-negative integer, got ${maxRetries}`);
  }
  if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be positive, got ${timeoutMs}`);
  return { maxRetries, timeoutMs };
}

/** The environment to read: the given one, or the process environment. */
export function resolveEnv(options: EmbedderOptions): Env {
  return options.env ?? Deno.env.toObject();
}

/** Combine the embedder-wide signal and a call's signal. */
export function combineSignals(
  ...signals: (AbortSignal | undefined)[]
): AbortSignal | undefined {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length <= 1) return present[0];
  return AbortSignal.any(present);
}

/** A non-empty environment value, or undefined. */
export function envValue(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === "" ? undefined : value;
}
