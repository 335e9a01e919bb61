/**
 * Voyage AI embeddings over its HTTP API (contract §4.6.4), the requests pgai's `voyageai` client
 * sends: `POST {VOYAGE_API_BASE}/embeddings` with `truncation: true` and base64 vectors.
 *
 * pgai counts tokens with the model's Hugging Face tokenizer, downloaded on every call; we use a
 * generous local estimate instead (see `estimateTokensGenerously`), so requests are never larger
 * than the API accepts and nothing is downloaded. Unlike pgai, 429 and 5xx answers are retried.
 */

import { registerSecret } from "../secrets.ts";
import { batchIndices } from "./batching.ts";
import {
  EmbeddingConfigError,
  optionalInt,
  optionalString,
  requiredString,
  type VoyageAIEmbeddingConfig,
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
import { blamesInput, EmbeddingProviderError, pythonRepr } from "./errors.ts";
import { HttpRequestError, postJson } from "./http.ts";
import { estimateTokensGenerously } from "./tokenizer.ts";
import { type Base64Dtype, decodeBase64Embedding, toVector, vectorsByIndex } from "./vectors.ts";

/** Inputs per request accepted by the Voyage AI API. */
export const VOYAGE_MAX_CHUNKS = 128;
const DEFAULT_BASE = "https://api.voyageai.com/v1";

/** Total tokens per request accepted by the Voyage AI API for `model`. */
export function voyageMaxTokens(model: string): number {
  switch (model) {
    case "voyage-3.5-lite":
    case "voyage-3-lite":
      return 1_000_000;
    case "voyage-3.5":
    case "voyage-3":
    case "voyage-2":
      return 320_000;
    default:
      return 120_000;
  }
}

/** Embeds through `POST {VOYAGE_API_BASE}/embeddings`. */
export class VoyageAIEmbedder implements Embedder {
  readonly implementation = "voyageai";
  readonly model: string;
  readonly #config: VoyageAIEmbeddingConfig;
  readonly #apiKey: string | undefined;
  readonly #env: Env;
  readonly #policy: RequestPolicy;
  readonly #signal: AbortSignal | undefined;
  readonly #fetch: typeof fetch | undefined;

  constructor(config: VoyageAIEmbeddingConfig, options: EmbedderOptions = {}) {
    this.model = requiredString(config.model, "model");
    this.#config = config;
    this.#env = resolveEnv(options);
    this.#apiKey = options.apiKey ?? envValue(this.#env, "VOYAGE_API_KEY");
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
    const abort = combineSignals(this.#signal, signal);
    const { body, dtype } = this.#requestShape();
    if (this.#apiKey === undefined) {
      throw new EmbeddingProviderError(
        this.implementation,
        "No API key provided. You can set your API key in code using 'voyageai.api_key = " +
          "<API-KEY>', or set the environment variable VOYAGE_API_KEY=<API-KEY>).",
      );
    }
    const ranges = batchIndices(
      documents.map(estimateTokensGenerously),
      VOYAGE_MAX_CHUNKS,
      voyageMaxTokens(this.model),
    );
    const url = `${(envValue(this.#env, "VOYAGE_API_BASE") ?? DEFAULT_BASE).replace(/\/+$/, "")}` +
      "/embeddings";
    for (const [start, end] of ranges) {
      abort?.throwIfAborted();
      const input = documents.slice(start, end);
      let json: unknown;
      try {
        ({ json } = await postJson({
          provider: this.implementation,
          url,
          headers: { authorization: `Bearer ${this.#apiKey}` },
          body: { input, ...body },
          policy: this.#policy,
          signal: abort,
          fetch: this.#fetch,
        }));
      } catch (error) {
        if (abort?.aborted) throw abort.reason;
        throw voyageError(this.implementation, error);
      }
      const data = (json as { data?: { index?: number; embedding: unknown }[] }).data;
      yield vectorsByIndex(
        this.implementation,
        data,
        input.length,
        (embedding) =>
          typeof embedding === "string"
            ? decodeBase64Embedding(embedding, dtype)
            : toVector(embedding),
      );
    }
  }

  /** Request fields besides `input`, in the client's order, and how to decode vectors. */
  #requestShape(): { body: Record<string, unknown>; dtype: Base64Dtype } {
    try {
      const inputType = optionalString(this.#config.input_type, "input_type") ?? null;
      const outputDimension = optionalInt(this.#config.output_dimension, "output_dimension");
      const outputDtype = optionalString(this.#config.output_dtype, "output_dtype");
      const body: Record<string, unknown> = {
        model: this.model,
        input_type: inputType,
        truncation: true,
        encoding_format: "base64",
      };
      if (outputDimension !== undefined) body.output_dimension = outputDimension;
      if (outputDtype !== undefined) body.output_dtype = outputDtype;
      const dtype: Base64Dtype = outputDtype === "int8" || outputDtype === "binary"
        ? "int8"
        : outputDtype === "uint8" || outputDtype === "ubinary"
        ? "uint8"
        : "float";
      return { body, dtype };
    } catch (error) {
      if (!(error instanceof EmbeddingConfigError)) throw error;
      throw new EmbeddingProviderError(this.implementation, error.message, { cause: error });
    }
  }
}

/** The `voyageai` client's `str(exception)` for a failed request. */
function voyageError(provider: string, error: unknown): EmbeddingProviderError {
  if (!(error instanceof HttpRequestError)) {
    const message = error instanceof Error ? error.message : String(error);
    return new EmbeddingProviderError(provider, message, { cause: error });
  }
  const status = error.status;
  if (status === undefined) {
    const message = error.timedOut ? "Request timed out" : "Error communicating with Voyage";
    return new EmbeddingProviderError(provider, message, { retryable: true, cause: error });
  }
  const body = error.body ?? "";
  const facts = {
    status,
    retryable: error.retryable,
    inputRejected: blamesInput(status, body),
    cause: error,
  };
  if (status === 500) {
    return new EmbeddingProviderError(provider, "The server failed to process the request.", facts);
  }
  if (status === 502 || status === 503 || status === 504) {
    return new EmbeddingProviderError(
      provider,
      "The server is overloaded or not ready yet.",
      facts,
    );
  }
  let data: unknown = body;
  if (!error.headers?.get("content-type")?.includes("text/plain")) {
    try {
      data = JSON.parse(body);
    } catch {
      return new EmbeddingProviderError(provider, `HTTP code ${status} from API (${body})`, facts);
    }
  }
  const detail = data !== null && typeof data === "object" && "detail" in data
    ? (data as { detail: unknown }).detail
    : undefined;
  let message = detail === undefined
    ? `Invalid response object from API: ${pythonRepr(body)} (HTTP response code was ${status})`
    : typeof detail === "string"
    ? detail || "<empty message>"
    : pythonRepr(detail);
  const requestId = error.headers?.get("request-id");
  if (detail !== undefined && requestId) message = `Request ${requestId}: ${message}`;
  return new EmbeddingProviderError(provider, message, facts);
}
