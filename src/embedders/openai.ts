/**
 * OpenAI (and OpenAI-compatible) embeddings: `POST {base_url}/embeddings` (contract §4.6.2).
 *
 * Matches pgai's requests (body keys, `dimensions` rules, the 2,048-input / 300,000-token split on
 * a 0.25 × UTF-8-bytes estimate, truncation to 8,191 `cl100k_base` tokens for the three models
 * that have that context), the environment its client reads (`OPENAI_BASE_URL`, `OPENAI_ORG_ID`,
 * `OPENAI_PROJECT_ID`) and its error texts (`Error code: 401 - {...}`, `Connection error.`), and
 * fixes pgai's weaknesses (§7.11): vectors are placed by their `index` field, special-token text
 * is embedded as text, vectors travel as base64, and retries are more patient.
 *
 * The request goes out with `fetch` (src/embedders/http.ts), not through the `openai` package:
 * loading that SDK (455 modules) cost the worker ~10 MiB of resident memory and ~40 ms of
 * start-up, and its per-request promises and closures ~20 % of the worker's CPU in a backfill,
 * for a call this module already builds, reads and reports itself. The tests' OpenAI server is
 * checked against the official SDK (tests/support/providers_test.ts).
 */

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
import { HttpRequestError, post } from "./http.ts";
import { parseEmbeddingsResponse } from "./response.ts";
import { estimateTokens, mayExceed, truncateCl100k } from "./tokenizer.ts";
import { VectorBuffers, vectorsByIndex } from "./vectors.ts";

const log = getLogger("embedders");

/** The body of an embeddings request, as pgai sends it (plus `encoding_format`). */
interface EmbeddingRequest {
  readonly input: string[];
  readonly model: string;
  /** Left out of the JSON when undefined, as are `user`'s. */
  readonly dimensions: number | undefined;
  readonly user: string | undefined;
  readonly encoding_format: "base64";
}

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
const DEFAULT_BASE_URL = "https://api.openai.com/v1";
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
  readonly #fetch: typeof fetch | undefined;
  readonly #bodies = new BodyBuffers();
  readonly #vectorBuffers = new VectorBuffers();
  #headers: Record<string, string> | undefined;

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
    this.#fetch = options.fetch;
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
    const headers = this.#requestHeaders();
    const inputs = await this.#prepareInputs(documents);
    const dimensions = this.#dimensions ?? DEFAULT_DIMENSIONS[this.model] ?? 1536;
    const ranges = requestRanges(inputs, maxInputsPerRequest(dimensions));
    for (const [start, end] of ranges) {
      abort?.throwIfAborted();
      yield await this.#request(headers, inputs.slice(start, end), abort);
    }
  }

  recycle(vectors: readonly Float32Array[]): void {
    this.#vectorBuffers.give(vectors);
  }

  /**
   * The headers of every request, made on first use: a missing key fails the embed call, as the
   * client does in pgai. Organization and project come from the environment, as there.
   */
  #requestHeaders(): Record<string, string> {
    if (this.#headers) return this.#headers;
    if (this.#apiKey === undefined) {
      throw new EmbeddingProviderError(this.implementation, MISSING_KEY);
    }
    const headers: Record<string, string> = {
      accept: "application/json",
      authorization: `Bearer ${this.#apiKey}`,
    };
    const organization = envValue(this.#env, "OPENAI_ORG_ID");
    if (organization !== undefined) headers["openai-organization"] = organization;
    const project = envValue(this.#env, "OPENAI_PROJECT_ID");
    if (project !== undefined) headers["openai-project"] = project;
    this.#headers = headers;
    return headers;
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
    headers: Record<string, string>,
    input: string[],
    signal: AbortSignal | undefined,
  ): Promise<Float32Array[]> {
    // pgai's keys in pgai's order, then the encoding.
    const body: EmbeddingRequest = {
      input,
      model: this.model,
      dimensions: this.#dimensions !== undefined && this.model !== ADA_002
        ? this.#dimensions
        : undefined,
      user: this.#user,
      encoding_format: "base64",
    };
    let response: EmbeddingResponse;
    try {
      // The body's bytes are parsed as they are, the base64 vectors decoded straight into one
      // buffer, without a string for the body or for each vector (a body that is not JSON fails
      // with the byte where it goes wrong).
      response = await post(
        {
          provider: this.implementation,
          url: `${(this.#baseURL ?? DEFAULT_BASE_URL).replace(/\/+$/, "")}/embeddings`,
          headers,
          body: JSON.stringify(body),
          policy: this.#policy,
          signal,
          fetch: this.#fetch,
        },
        (raw) =>
          this.#bodies.read(
            raw,
            (bytes) =>
              parseEmbeddingsResponse(
                bytes,
                input.length,
                (n) => this.#vectorBuffers.take(n),
              ) as EmbeddingResponse,
          ),
      );
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw this.#providerError(error);
    }
    log.debug("embedded batch", {
      provider: this.implementation,
      model: this.model,
      inputs: input.length,
      prompt_tokens: response?.usage?.prompt_tokens ?? null,
    });
    return vectorsByIndex(this.implementation, response?.data, input.length);
  }

  /** pgai's text for a failed request (Python openai's `str(exception)`). */
  #providerError(error: unknown): EmbeddingProviderError {
    if (!(error instanceof HttpRequestError)) {
      const message = error instanceof Error ? error.message : String(error);
      return new EmbeddingProviderError(this.implementation, message, { cause: error });
    }
    if (error.status === undefined) {
      return new EmbeddingProviderError(
        this.implementation,
        error.timedOut ? "Request timed out." : "Connection error.",
        { retryable: true, cause: error },
      );
    }
    const status = error.status;
    const text = (error.body ?? "").trim();
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
