/**
 * OpenAI (and OpenAI-compatible) embeddings through the official `openai` client (contract §4.6.2).
 *
 * Matches pgai's requests (body keys, `dimensions` rules, the 2,048-input / 300,000-token split on
 * a 0.25 × UTF-8-bytes estimate, truncation to 8,191 `cl100k_base` tokens for the three models
 * that have that context) and error texts (`Error code: 401 - {...}`), and fixes pgai's
 * weaknesses (§7.11): vectors are placed by their `index` field, special-token text is embedded
 * as text, vectors travel as base64, and retries are more patient.
 */

import OpenAI from "openai";
import { getLogger } from "../log.ts";
import { registerSecret } from "../secrets.ts";
import { batchIndices, type BatchRange } from "./batching.ts";
import {
  type OpenAIEmbeddingConfig,
  optionalInt,
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
import { BodyBuffers } from "./body.ts";
import { blamesInput, EmbeddingProviderError, isRetryableStatus, pythonRepr } from "./errors.ts";
import { parseEmbeddingsResponse } from "./response.ts";
import { estimateTokens, mayExceed, truncateCl100k } from "./tokenizer.ts";
import { VectorBuffers, vectorsByIndex } from "./vectors.ts";

const log = getLogger("embedders");

/** The parts of an embeddings response body the embedder reads. */
type EmbeddingResponse =
  | { data?: { index?: number; embedding: unknown }[]; usage?: { prompt_tokens?: number } }
  | null;

/** Inputs per request accepted by the OpenAI embeddings API. */
export const OPENAI_MAX_CHUNKS = 2048;
/** Total tokens per request accepted by the OpenAI embeddings API. */
export const OPENAI_MAX_TOKENS = 300_000;
/**
 * Our own bound, below pgai's limits: a request asks for at most as many inputs as fit this many
 * bytes of float32 vectors (341 inputs at 768 dimensions, 170 at 1536, 85 at 3072), so that one
 * response, its JSON text and its decoded vectors stay within a few MB of memory. pgai sends up to
 * 2048 inputs at once; the vectors are the same, only a big batch takes more requests.
 */
export const OPENAI_RESPONSE_VECTOR_BYTES = 1024 * 1024;
/** Vector length of each model when `dimensions` is not set (1536 for models not listed). */
const DEFAULT_DIMENSIONS: Readonly<Record<string, number>> = {
  "text-embedding-ada-002": 1536,
  "text-embedding-3-small": 1536,
  "text-embedding-3-large": 3072,
};
/** Context length of the `cl100k_base` embedding models. */
export const OPENAI_CONTEXT_TOKENS = 8191;
const TRUNCATED_MODELS = new Set([
  "text-embedding-ada-002",
  "text-embedding-3-small",
  "text-embedding-3-large",
]);
const ADA_002 = "text-embedding-ada-002";
const MISSING_KEY = "The api_key client option must be set either by passing api_key to the " +
  "client or by setting the OPENAI_API_KEY environment variable";

/** Embeds through `POST {base_url}/embeddings`. */
export class OpenAIEmbedder implements Embedder {
  readonly implementation = "openai";
  readonly model: string;
  readonly #dimensions: number | undefined;
  readonly #user: string | undefined;
  readonly #baseURL: string | undefined;
  readonly #apiKey: string | undefined;
  readonly #env: Env;
  readonly #policy: RequestPolicy;
  readonly #signal: AbortSignal | undefined;
  readonly #fetch: typeof fetch;
  readonly #rawErrorBodies = new WeakMap<Headers, string>();
  readonly #bodies = new BodyBuffers();
  readonly #vectorBuffers = new VectorBuffers();
  #client: OpenAI | undefined;

  constructor(config: OpenAIEmbeddingConfig, options: EmbedderOptions = {}) {
    this.model = requiredString(config.model, "model");
    this.#dimensions = optionalInt(config.dimensions, "dimensions");
    this.#user = optionalString(config.user, "user");
    this.#env = resolveEnv(options);
    this.#baseURL = optionalString(config.base_url, "base_url") ??
      envValue(this.#env, "OPENAI_BASE_URL");
    this.#apiKey = options.apiKey ?? envValue(this.#env, "OPENAI_API_KEY");
    registerSecret(this.#apiKey);
    this.#policy = requestPolicy(options);
    this.#signal = options.signal;
    this.#fetch = options.fetch ?? fetch;
  }

  setup(): Promise<void> {
    return Promise.resolve();
  }

  async *embed(documents: readonly string[], signal?: AbortSignal): AsyncGenerator<Float32Array[]> {
    if (documents.length === 0) return;
    if (this.model === ADA_002 && this.#dimensions !== 1536) {
      throw new EmbeddingProviderError(
        this.implementation,
        "dimensions must be 1536 for text-embedding-ada-002",
      );
    }
    const abort = combineSignals(this.#signal, signal);
    const client = this.#openClient();
    const inputs = await this.#prepareInputs(documents);
    const dimensions = this.#dimensions ?? DEFAULT_DIMENSIONS[this.model] ?? 1536;
    const ranges = requestRanges(inputs, maxInputsPerRequest(dimensions));
    for (const [start, end] of ranges) {
      abort?.throwIfAborted();
      yield await this.#request(client, inputs.slice(start, end), abort);
    }
  }

  recycle(vectors: readonly Float32Array[]): void {
    this.#vectorBuffers.give(vectors);
  }

  /** The SDK client, created on first use (a missing key fails the embed call, as in pgai). */
  #openClient(): OpenAI {
    if (this.#client) return this.#client;
    if (this.#apiKey === undefined) {
      throw new EmbeddingProviderError(this.implementation, MISSING_KEY);
    }
    const baseFetch = this.#fetch;
    const rawBodies = this.#rawErrorBodies;
    // Keep the raw body of failed responses: pgai's error text is the Python repr of the whole
    // JSON body, which the SDK error only carries in part.
    const keepErrorBodies = async (input: RequestInfo | URL, init?: RequestInit) => {
      const response = await baseFetch(input, init);
      if (response.ok) return response;
      const text = await response.text();
      const copy = new Response(text, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
      rawBodies.set(copy.headers, text);
      return copy;
    };
    this.#client = new OpenAI({
      apiKey: this.#apiKey,
      baseURL: this.#baseURL ?? "https://api.openai.com/v1",
      organization: envValue(this.#env, "OPENAI_ORG_ID") ?? null,
      project: envValue(this.#env, "OPENAI_PROJECT_ID") ?? null,
      maxRetries: this.#policy.maxRetries,
      timeout: this.#policy.timeoutMs,
      fetch: keepErrorBodies,
      logLevel: "info",
      logger: {
        error: (message: string) => log.error(message, { provider: this.implementation }),
        warn: (message: string) => log.warn(message, { provider: this.implementation }),
        // The client reports each retry at info level, every request at debug level.
        info: (message: string) =>
          message.includes("retrying")
            ? log.warn("embedding request failed, retrying", {
              provider: this.implementation,
              detail: message,
            })
            : log.debug(message, { provider: this.implementation }),
        debug: (message: string) => log.debug(message, { provider: this.implementation }),
      },
    });
    return this.#client;
  }

  /** Truncate long inputs of the `cl100k_base` models to their context length. */
  async #prepareInputs(documents: readonly string[]): Promise<string[]> {
    const inputs = [...documents];
    if (!TRUNCATED_MODELS.has(this.model)) return inputs;
    for (let index = 0; index < inputs.length; index++) {
      const document = inputs[index]!;
      if (!mayExceed(document, OPENAI_CONTEXT_TOKENS)) continue;
      const result = await truncateCl100k(document, OPENAI_CONTEXT_TOKENS);
      if (result.truncated) {
        log.warn("truncating document to the model's context length", {
          model: this.model,
          document_index: index,
          max_tokens: OPENAI_CONTEXT_TOKENS,
        });
        inputs[index] = result.text;
      }
    }
    return inputs;
  }

  async #request(
    client: OpenAI,
    input: string[],
    signal: AbortSignal | undefined,
  ): Promise<Float32Array[]> {
    const body: OpenAI.EmbeddingCreateParams = { input, model: this.model };
    if (this.#dimensions !== undefined && this.model !== ADA_002) {
      body.dimensions = this.#dimensions;
    }
    if (this.#user !== undefined) body.user = this.#user;
    body.encoding_format = "base64";
    let response: EmbeddingResponse;
    try {
      // The raw response (the client has checked its status, with retries): its bytes are parsed
      // here, the base64 vectors decoded straight into one buffer, without a string for the body
      // or for each vector (a body that is not JSON fails with the byte where it goes wrong).
      const raw = await client.embeddings.create(body, signal ? { signal } : undefined)
        .asResponse();
      response = await this.#bodies.read(
        raw,
        (bytes) =>
          parseEmbeddingsResponse(
            bytes,
            input.length,
            (n) => this.#vectorBuffers.take(n),
          ) as EmbeddingResponse,
      );
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw this.#providerError(error);
    }
    const count = input.length;
    // The SDK keeps the finished request (and so `body.input`) reachable from closures allocated
    // in V8's old generation until the next full collection: emptied, the texts die young.
    input.length = 0;
    log.debug("embedded batch", {
      provider: this.implementation,
      model: this.model,
      inputs: count,
      prompt_tokens: response?.usage?.prompt_tokens ?? null,
    });
    return vectorsByIndex(this.implementation, response?.data, count);
  }

  /** pgai's text for an SDK error (Python openai's `str(exception)`). */
  #providerError(error: unknown): EmbeddingProviderError {
    if (error instanceof OpenAI.APIConnectionTimeoutError) {
      return new EmbeddingProviderError(this.implementation, "Request timed out.", {
        retryable: true,
        cause: error,
      });
    }
    if (error instanceof OpenAI.APIConnectionError) {
      return new EmbeddingProviderError(this.implementation, "Connection error.", {
        retryable: true,
        cause: error,
      });
    }
    if (error instanceof OpenAI.APIError && typeof error.status === "number") {
      const status = error.status;
      const raw = error.headers ? this.#rawErrorBodies.get(error.headers) : undefined;
      const text = (raw ?? "").trim();
      let message: string;
      let body: unknown = text;
      try {
        body = JSON.parse(text);
        message = `Error code: ${status} - ${pythonStr(body)}`;
      } catch {
        message = text || `Error code: ${status}`;
      }
      return new EmbeddingProviderError(this.implementation, message, {
        status,
        retryable: isRetryableStatus(status),
        inputRejected: blamesInput(status, body),
        cause: error,
      });
    }
    const message = error instanceof Error ? error.message : String(error);
    return new EmbeddingProviderError(this.implementation, message, { cause: error });
  }
}

/** Inputs per request for vectors of `dimensions` values: {@link OPENAI_RESPONSE_VECTOR_BYTES}. */
function maxInputsPerRequest(dimensions: number): number {
  const fit = Math.floor(OPENAI_RESPONSE_VECTOR_BYTES / (Math.max(1, dimensions) * 4));
  return Math.min(OPENAI_MAX_CHUNKS, Math.max(1, fit));
}

/**
 * pgai's split of the inputs into requests (with at most `maxInputs` per request). When even 3
 * bytes per UTF-16 unit (an upper bound of the UTF-8 length) keeps the whole call within one
 * request's limits, the exact estimates would give that same single request, so the bytes are not
 * counted.
 */
function requestRanges(inputs: readonly string[], maxInputs: number): BatchRange[] {
  if (inputs.length <= maxInputs) {
    let units = 0;
    for (const input of inputs) units += input.length;
    if (units * 3 * 0.25 <= OPENAI_MAX_TOKENS) return [[0, inputs.length]];
  }
  return batchIndices(inputs.map(estimateTokens), maxInputs, OPENAI_MAX_TOKENS, true);
}

/** Python's `str()` of a JSON value: strings unquoted, everything else as `repr()`. */
function pythonStr(value: unknown): string {
  return typeof value === "string" ? value : pythonRepr(value);
}
