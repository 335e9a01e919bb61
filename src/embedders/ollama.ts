/**
 * Ollama embeddings through the official `ollama` client (contract §4.6.3).
 *
 * Same requests as pgai (`/api/show`, `/api/pull` of a missing model, `/api/embed` with the known
 * `options` keys and `keep_alive`, batches of PGAI_VECTORIZER_OLLAMA_MAX_CHUNKS_PER_BATCH) with
 * pgai's weaknesses fixed (§7.11): every request has a time limit, setup failures are reported
 * instead of swallowed, and transient failures (connection errors, 429, 5xx) are retried.
 */

import { Ollama } from "ollama";
import { getLogger } from "../log.ts";
import { batchIndices } from "./batching.ts";
import {
  EmbeddingConfigError,
  type OllamaEmbeddingConfig,
  optionalObject,
  optionalString,
  requiredString,
} from "./config.ts";
import {
  combineSignals,
  type Embedder,
  type EmbedderOptions,
  type Env,
  envValue,
  type RequestPolicy,
  requestPolicy,
  resolveEnv,
} from "./embedder.ts";
import { blamesInput, EmbeddingProviderError, isRetryableStatus } from "./errors.ts";
import { retryDelayMs, sleep } from "./http.ts";
import { vectorsInOrder } from "./vectors.ts";

const log = getLogger("embedders");

/** Default inputs per `/api/embed` request. */
export const OLLAMA_DEFAULT_MAX_CHUNKS = 2048;
const MAX_CHUNKS_ENV = "PGAI_VECTORIZER_OLLAMA_MAX_CHUNKS_PER_BATCH";
const DEFAULT_HOST = "http://127.0.0.1:11434";
/** ollama-python's text for a failed connection. */
const CONNECTION_ERROR = "Failed to connect to Ollama. Please check that Ollama is downloaded, " +
  "running and accessible. https://ollama.com/download";

type OptionKind = "bool" | "int" | "float" | "strings";
/** The `options` keys the Ollama clients know, with their types; others are dropped, as in pgai. */
const OPTION_KINDS: Readonly<Record<string, OptionKind>> = {
  numa: "bool",
  num_ctx: "int",
  num_batch: "int",
  num_gpu: "int",
  main_gpu: "int",
  low_vram: "bool",
  f16_kv: "bool",
  logits_all: "bool",
  vocab_only: "bool",
  use_mmap: "bool",
  use_mlock: "bool",
  embedding_only: "bool",
  num_thread: "int",
  num_keep: "int",
  seed: "int",
  num_predict: "int",
  top_k: "int",
  top_p: "float",
  tfs_z: "float",
  typical_p: "float",
  repeat_last_n: "int",
  temperature: "float",
  repeat_penalty: "float",
  presence_penalty: "float",
  frequency_penalty: "float",
  mirostat: "int",
  mirostat_tau: "float",
  mirostat_eta: "float",
  penalize_newline: "bool",
  stop: "strings",
};

/** A failed HTTP exchange as the ollama client reports it. */
interface OllamaResponseError extends Error {
  error: string;
  status_code: number;
}

function isResponseError(error: unknown): error is OllamaResponseError {
  return error instanceof Error && error.name === "ResponseError" &&
    typeof (error as Partial<OllamaResponseError>).status_code === "number";
}

/** Settings read from the config and environment on first use. */
interface OllamaSettings {
  readonly maxChunks: number;
  readonly options: Record<string, unknown> | undefined;
}

/** Embeds through an Ollama server's `/api/embed`. */
export class OllamaEmbedder implements Embedder {
  readonly implementation = "ollama";
  readonly model: string;
  /** The server address as configured (normalized by the client). */
  readonly host: string;
  readonly #config: OllamaEmbeddingConfig;
  readonly #env: Env;
  readonly #policy: RequestPolicy;
  readonly #signal: AbortSignal | undefined;
  readonly #fetch: typeof fetch;
  #settings: OllamaSettings | undefined;

  constructor(config: OllamaEmbeddingConfig, options: EmbedderOptions = {}) {
    this.model = requiredString(config.model, "model");
    this.#config = config;
    this.#env = resolveEnv(options);
    this.host = optionalString(config.base_url, "base_url") ??
      envValue(this.#env, "OLLAMA_HOST") ?? DEFAULT_HOST;
    this.#policy = requestPolicy(options);
    this.#signal = options.signal;
    this.#fetch = options.fetch ?? fetch;
  }

  /**
   * Make sure the model exists on the server, pulling it when `/api/show` says it is missing.
   * @throws EmbeddingProviderError when the server cannot be reached or the pull fails
   */
  async setup(): Promise<void> {
    const signal = this.#signal;
    const client = this.#client(signal, this.#policy.timeoutMs);
    try {
      await client.show({ model: this.model });
      return;
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (!isResponseError(error) || !error.error.includes(`model '${this.model}' not found`)) {
        if (isResponseError(error) && error.status_code === 404) {
          // A server without /api/show (an Ollama-compatible proxy) may still embed.
          log.warn("ollama model check failed, continuing", {
            model: this.model,
            error: error.error,
          });
          return;
        }
        throw this.#providerError(error);
      }
    }
    log.warn(`pulling ollama model '${this.model}', this may take a while`, { model: this.model });
    try {
      // A pull downloads gigabytes: no time limit, only the embedder's abort signal.
      await this.#client(signal, undefined).pull({
        model: this.model,
        insecure: false,
        stream: false,
      });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw this.#providerError(error);
    }
  }

  async *embed(documents: readonly string[], signal?: AbortSignal): AsyncGenerator<Float32Array[]> {
    if (documents.length === 0) return;
    const settings = this.#resolveSettings();
    const abort = combineSignals(this.#signal, signal);
    const client = this.#client(abort, this.#policy.timeoutMs);
    const ranges = batchIndices(documents.map(() => 0), settings.maxChunks);
    for (const [start, end] of ranges) {
      abort?.throwIfAborted();
      yield await this.#embedBatch(client, documents.slice(start, end), settings, abort);
    }
  }

  async #embedBatch(
    client: Ollama,
    input: string[],
    settings: OllamaSettings,
    signal: AbortSignal | undefined,
  ): Promise<Float32Array[]> {
    const keepAlive = optionalString(this.#config.keep_alive, "keep_alive");
    for (let attempt = 1;; attempt++) {
      let response: Awaited<ReturnType<Ollama["embed"]>>;
      try {
        response = await client.embed({
          model: this.model,
          input,
          ...(settings.options ? { options: settings.options } : {}),
          ...(keepAlive !== undefined ? { keep_alive: keepAlive } : {}),
        });
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        const failure = this.#providerError(error);
        if (!failure.retryable || attempt > this.#policy.maxRetries) throw failure;
        const delay = retryDelayMs(undefined, attempt);
        log.warn("embedding request failed, retrying", {
          provider: this.implementation,
          error: failure.message,
          attempt,
          retries_left: this.#policy.maxRetries - attempt + 1,
          delay_ms: Math.round(delay),
        });
        await sleep(delay, signal);
        continue;
      }
      log.debug("embedded batch", {
        provider: this.implementation,
        model: this.model,
        inputs: input.length,
        prompt_eval_count: response.prompt_eval_count ?? null,
      });
      return vectorsInOrder(this.implementation, response.embeddings, input.length);
    }
  }

  /** Batch size and `options`, validated on first use (errors count as provider failures). */
  #resolveSettings(): OllamaSettings {
    if (this.#settings) return this.#settings;
    try {
      this.#settings = {
        maxChunks: ollamaMaxChunks(this.#env),
        options: ollamaOptions(optionalObject(this.#config.options, "options")),
      };
    } catch (error) {
      if (!(error instanceof EmbeddingConfigError)) throw error;
      throw new EmbeddingProviderError(this.implementation, error.message, { cause: error });
    }
    return this.#settings;
  }

  /** A client whose requests obey `signal` and a time limit. */
  #client(signal: AbortSignal | undefined, timeoutMs: number | undefined): Ollama {
    const baseFetch = this.#fetch;
    const limitedFetch = async (input: RequestInfo | URL, init?: RequestInit) => {
      const signals = [init?.signal, signal, timeoutMs ? AbortSignal.timeout(timeoutMs) : undefined]
        .filter((s): s is AbortSignal => s !== undefined && s !== null);
      const response = await baseFetch(input, { ...init, signal: AbortSignal.any(signals) });
      return asJsonError(response);
    };
    return new Ollama({ host: this.host, fetch: limitedFetch });
  }

  /** ollama-python's `str(exception)` for a failure, with retry/blame facts. */
  #providerError(error: unknown): EmbeddingProviderError {
    if (isResponseError(error)) {
      const status = error.status_code;
      return new EmbeddingProviderError(
        this.implementation,
        `${error.error} (status code: ${status})`,
        {
          status,
          retryable: isRetryableStatus(status),
          inputRejected: blamesInput(status, error.error),
          cause: error,
        },
      );
    }
    const timedOut = error instanceof DOMException && error.name === "TimeoutError";
    return new EmbeddingProviderError(
      this.implementation,
      timedOut ? `Request timed out after ${this.#policy.timeoutMs} ms` : CONNECTION_ERROR,
      { retryable: true, cause: error },
    );
  }
}

/**
 * Give non-JSON error responses a JSON body: the ollama client prints (to stdout) when an error
 * body is not JSON, which would corrupt the worker's log stream.
 */
async function asJsonError(response: Response): Promise<Response> {
  if (response.ok || response.headers.get("content-type")?.includes("application/json")) {
    return response;
  }
  const text = await response.text();
  return new Response(JSON.stringify({ error: text || response.statusText }), {
    status: response.status,
    statusText: response.statusText,
    headers: { "content-type": "application/json" },
  });
}

/**
 * Inputs per request: PGAI_VECTORIZER_OLLAMA_MAX_CHUNKS_PER_BATCH, default 2048.
 * @throws EmbeddingConfigError when the variable is not a positive integer
 */
export function ollamaMaxChunks(env: Env): number {
  const raw = env[MAX_CHUNKS_ENV];
  if (raw === undefined || raw === "") return OLLAMA_DEFAULT_MAX_CHUNKS;
  const value = /^\s*\+?\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new EmbeddingConfigError(
      `${MAX_CHUNKS_ENV} must be a positive integer, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

/**
 * Keep the known Ollama `options` and coerce their values like pydantic's lax mode
 * (`"12"` → 12, `"true"` → true); unknown keys are dropped and null values left out.
 * @throws EmbeddingConfigError for a value of the wrong type
 */
export function ollamaOptions(
  options: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined {
  if (options === undefined) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    const kind = OPTION_KINDS[key];
    if (kind === undefined || value === null || value === undefined) continue;
    out[key] = coerceOption(key, kind, value);
  }
  return out;
}

const TRUE_WORDS = new Set(["1", "on", "t", "true", "y", "yes"]);
const FALSE_WORDS = new Set(["0", "off", "f", "false", "n", "no"]);

function coerceOption(key: string, kind: OptionKind, value: unknown): unknown {
  const bad = (what: string) =>
    new EmbeddingConfigError(
      `embedding.options.${key} must be ${what}, got ${JSON.stringify(value)}`,
    );
  switch (kind) {
    case "bool":
      if (typeof value === "boolean") return value;
      if (value === 0 || value === 1) return value === 1;
      if (typeof value === "string") {
        const word = value.trim().toLowerCase();
        if (TRUE_WORDS.has(word)) return true;
        if (FALSE_WORDS.has(word)) return false;
      }
      throw bad("a boolean");
    case "int": {
      const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
      if (typeof number === "number" && Number.isInteger(number)) return number;
      throw bad("an integer");
    }
    case "float": {
      const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
      if (typeof number === "number" && !Number.isNaN(number)) return number;
      throw bad("a number");
    }
    case "strings":
      if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value;
      throw bad("a list of strings");
  }
}
