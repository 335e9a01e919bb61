/**
 * The `litellm` embedding implementation (contract §4.6.5), without LiteLLM: pgai routes a
 * `provider/model` name through the LiteLLM Python library; we speak the providers' HTTP APIs
 * directly, with LiteLLM's per-provider request limits so that requests split as in pgai.
 *
 * Native: `openai` (bare OpenAI names too, or any OpenAI-compatible `api_base`), `azure` (Azure
 * OpenAI deployments), `mistral`, `cohere`, `voyage`. Other providers (bedrock, vertex_ai,
 * gemini, huggingface, ...) fail with "provider X is not supported yet".
 *
 * Error texts follow LiteLLM's shape (`litellm.RateLimitError: CohereException - ...`); the exact
 * wording of LiteLLM's mapped exceptions varies by provider and is approximated.
 */

import { getLogger } from "../log.ts";
import { registerSecret } from "../secrets.ts";
import { batchIndices } from "./batching.ts";
import {
  EmbeddingConfigError,
  type LiteLLMEmbeddingConfig,
  optionalObject,
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
import { blamesInput, EmbeddingProviderError, pythonRepr } from "./errors.ts";
import { HttpRequestError, postJson } from "./http.ts";
import { countCl100kTokens, estimateTokensGenerously, utf8ByteLength } from "./tokenizer.ts";
import { voyageMaxTokens } from "./voyageai.ts";
import { vectorsByIndex, vectorsInOrder } from "./vectors.ts";

const log = getLogger("embedders");

const MAX_CHUNKS_ENV = "PGAI_LITELLM_MAX_CHUNKS_PER_BATCH";
/** LiteLLM's inputs-per-request limits by provider (pgai's table). */
const PROVIDER_MAX_CHUNKS: Readonly<Record<string, number>> = {
  cohere: 96,
  openai: 2048,
  azure: 2048,
  bedrock: 96,
  gemini: 250,
  huggingface: 2048,
  mistral: 128,
  vertex_ai: 250,
  voyage: 128,
};
const UNKNOWN_PROVIDER_MAX_CHUNKS = 5;
const KNOWN_PROVIDERS = new Set([
  ...Object.keys(PROVIDER_MAX_CHUNKS),
  "anthropic",
  "azure_ai",
  "cloudflare",
  "databricks",
  "deepinfra",
  "fireworks_ai",
  "groq",
  "hosted_vllm",
  "jina_ai",
  "lm_studio",
  "nvidia_nim",
  "ollama",
  "openrouter",
  "sagemaker",
  "together_ai",
  "watsonx",
  "xinference",
]);
const CL100K_MODELS = new Set([
  "text-embedding-ada-002",
  "text-embedding-3-small",
  "text-embedding-3-large",
]);
/** Azure OpenAI data-plane API version used when neither the config nor the env sets one. */
export const AZURE_DEFAULT_API_VERSION = "2024-10-21";

/** A LiteLLM model name split into provider and provider-side model. */
export interface LiteLLMRoute {
  readonly provider: string;
  readonly model: string;
}

/**
 * LiteLLM's provider routing: `provider/model` when the prefix is a provider name, bare OpenAI
 * model names (`text-embedding-3-small`) go to `openai`.
 */
export function routeModel(name: string): LiteLLMRoute {
  const slash = name.indexOf("/");
  if (slash > 0) {
    const prefix = name.slice(0, slash);
    if (KNOWN_PROVIDERS.has(prefix)) return { provider: prefix, model: name.slice(slash + 1) };
  }
  if (/^(text-embedding-|text-similarity-|text-search-|code-search-)/.test(name)) {
    return { provider: "openai", model: name };
  }
  return { provider: slash > 0 ? name.slice(0, slash) : "", model: name };
}

/** Request limits for a provider: inputs per request and total tokens per request. */
export interface LiteLLMLimits {
  readonly maxChunks: number;
  readonly maxTokens: number | undefined;
}

/** pgai's limits for `route`, honouring PGAI_LITELLM_MAX_CHUNKS_PER_BATCH. */
export function litellmLimits(route: LiteLLMRoute, env: Env): LiteLLMLimits {
  let maxChunks = PROVIDER_MAX_CHUNKS[route.provider];
  if (maxChunks === undefined) {
    log.warn(
      `unknown provider '${route.provider}', falling back to ${UNKNOWN_PROVIDER_MAX_CHUNKS} ` +
        "max chunks per batch",
    );
    maxChunks = UNKNOWN_PROVIDER_MAX_CHUNKS;
  }
  const override = env[MAX_CHUNKS_ENV];
  if (override !== undefined && override !== "") {
    const value = /^\s*\+?\d+\s*$/.test(override) ? Number(override) : Number.NaN;
    if (Number.isSafeInteger(value) && value >= 1) maxChunks = value;
    else {
      log.warn(
        `Value for ${MAX_CHUNKS_ENV} is not a valid int. Continuing with default provider value`,
        { value: override },
      );
    }
  }
  let maxTokens: number | undefined;
  switch (route.provider) {
    case "mistral":
      maxTokens = 16_000;
      break;
    case "vertex_ai":
      maxTokens = 20_000;
      break;
    case "openai":
    case "azure":
      maxTokens = 600_000;
      break;
    case "voyage":
      maxTokens = voyageMaxTokens(route.model);
      break;
  }
  return { maxChunks, maxTokens };
}

/** Token counts used to split requests, per provider (contract §4.6.5). */
function tokenCounts(
  route: LiteLLMRoute,
  documents: readonly string[],
  maxTokens: number | undefined,
): number[] | Promise<number[]> {
  switch (route.provider) {
    case "mistral":
    case "voyage":
      return documents.map(estimateTokensGenerously);
    case "openai":
    case "azure": {
      if (!CL100K_MODELS.has(route.model) || maxTokens === undefined) {
        return documents.map(() => 0);
      }
      // Tokens never outnumber bytes: when all texts together fit the budget in bytes, the
      // split depends on the input count alone and tokenizing can be skipped.
      const bytes = documents.reduce((sum, text) => sum + utf8ByteLength(text), 0);
      if (bytes <= maxTokens) return documents.map(() => 0);
      return countCl100kTokens(documents);
    }
    default:
      return documents.map(() => 0);
  }
}

/** One provider's wire format. */
interface Wire {
  /** Exception prefix in LiteLLM's messages (`OpenAIException`). */
  readonly label: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  body(input: string[]): unknown;
  vectors(json: unknown, expected: number): Float32Array[];
}

/** Embeds through the provider named in a LiteLLM model string. */
export class LiteLLMEmbedder implements Embedder {
  readonly implementation = "litellm";
  readonly model: string;
  readonly route: LiteLLMRoute;
  readonly #extra: Record<string, unknown>;
  readonly #apiKey: string | undefined;
  readonly #env: Env;
  readonly #policy: RequestPolicy;
  readonly #signal: AbortSignal | undefined;
  readonly #fetch: typeof fetch | undefined;

  constructor(config: LiteLLMEmbeddingConfig, options: EmbedderOptions = {}) {
    this.model = requiredString(config.model, "model");
    this.route = routeModel(this.model);
    this.#extra = optionalObject(config.extra_options, "extra_options") ?? {};
    this.#env = resolveEnv(options);
    this.#apiKey = options.apiKey ?? stringOption(this.#extra, "api_key");
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
    const { maxChunks, maxTokens } = litellmLimits(this.route, this.#env);
    const ranges = batchIndices(
      await tokenCounts(this.route, documents, maxTokens),
      maxChunks,
      maxTokens,
    );
    const wire = this.#wire();
    for (const [start, end] of ranges) {
      abort?.throwIfAborted();
      const input = documents.slice(start, end);
      let json: unknown;
      try {
        ({ json } = await postJson({
          provider: this.implementation,
          url: wire.url,
          headers: wire.headers,
          body: wire.body(input),
          policy: this.#policy,
          signal: abort,
          fetch: this.#fetch,
        }));
      } catch (error) {
        if (abort?.aborted) throw abort.reason;
        throw this.#error(wire.label, error);
      }
      yield wire.vectors(json, input.length);
    }
  }

  /** The provider's endpoint, headers and body shape. */
  #wire(): Wire {
    try {
      switch (this.route.provider) {
        case "openai":
          return this.#openAIWire("OpenAIException", {
            base: stringOption(this.#extra, "api_base") ?? envValue(this.#env, "OPENAI_API_BASE") ??
              envValue(this.#env, "OPENAI_BASE_URL") ?? "https://api.openai.com/v1",
            key: this.#key("OPENAI_API_KEY"),
            query: "",
            auth: "bearer",
          });
        case "mistral":
          return this.#openAIWire("MistralException", {
            base: stringOption(this.#extra, "api_base") ??
              envValue(this.#env, "MISTRAL_API_BASE") ?? "https://api.mistral.ai/v1",
            key: this.#key("MISTRAL_API_KEY"),
            query: "",
            auth: "bearer",
          });
        case "azure":
          return this.#azureWire();
        case "cohere":
          return this.#cohereWire();
        case "voyage":
          return this.#voyageWire();
        default:
          throw new EmbeddingProviderError(
            this.implementation,
            `provider ${
              this.route.provider === "" ? `of model '${this.model}'` : `'${this.route.provider}'`
            } is not supported yet by this worker (supported: openai, azure, mistral, cohere, voyage)`,
          );
      }
    } catch (error) {
      if (!(error instanceof EmbeddingConfigError)) throw error;
      throw new EmbeddingProviderError(this.implementation, error.message, { cause: error });
    }
  }

  /** The API key: the vectorizer's, `extra_options.api_key`, or the provider's variables. */
  #key(...envNames: string[]): string {
    const key = this.#apiKey ?? envNames.map((name) => envValue(this.#env, name)).find(Boolean);
    registerSecret(key);
    if (key === undefined) {
      throw new EmbeddingConfigError(
        `no API key for ${this.route.provider}: set api_key_name, extra_options.api_key or ${
          envNames.join("/")
        }`,
      );
    }
    return key;
  }

  #openAIWire(
    label: string,
    target: { base: string; key: string; query: string; auth: "bearer" | "api-key" },
  ): Wire {
    const extra = this.#extra;
    const model = this.route.model;
    return {
      label,
      url: `${target.base.replace(/\/+$/, "")}/embeddings${target.query}`,
      headers: target.auth === "bearer"
        ? { authorization: `Bearer ${target.key}` }
        : { "api-key": target.key },
      body: (input) => ({
        input,
        model,
        ...pick(extra, ["dimensions", "user"]),
        encoding_format: stringOption(extra, "encoding_format") ?? "base64",
      }),
      vectors: (json, expected) =>
        vectorsByIndex(this.implementation, (json as { data?: [] }).data, expected),
    };
  }

  #azureWire(): Wire {
    const base = stringOption(this.#extra, "api_base") ?? envValue(this.#env, "AZURE_API_BASE") ??
      envValue(this.#env, "AZURE_OPENAI_ENDPOINT");
    if (base === undefined) {
      throw new EmbeddingConfigError(
        "azure needs extra_options.api_base or AZURE_API_BASE (https://<resource>.openai.azure.com)",
      );
    }
    const version = stringOption(this.#extra, "api_version") ??
      envValue(this.#env, "AZURE_API_VERSION") ?? AZURE_DEFAULT_API_VERSION;
    const deployment = encodeURIComponent(this.route.model);
    return this.#openAIWire("AzureException", {
      base: `${base.replace(/\/+$/, "")}/openai/deployments/${deployment}`,
      key: this.#key("AZURE_API_KEY", "AZURE_OPENAI_API_KEY"),
      query: `?api-version=${encodeURIComponent(version)}`,
      auth: "api-key",
    });
  }

  #cohereWire(): Wire {
    const base = stringOption(this.#extra, "api_base") ?? envValue(this.#env, "COHERE_API_BASE") ??
      "https://api.cohere.ai";
    const key = this.#key("COHERE_API_KEY", "CO_API_KEY");
    const model = this.route.model;
    const inputType = stringOption(this.#extra, "input_type") ?? "search_document";
    return {
      label: "CohereException",
      url: /\/v\d+\/?$/.test(base) ? endpoint(base, "/embed") : endpoint(base, "/v1/embed"),
      headers: { authorization: `Bearer ${key}` },
      body: (texts) => ({ model, texts, input_type: inputType }),
      vectors: (json, expected) => {
        const embeddings = (json as { embeddings?: unknown }).embeddings;
        // `embedding_types` responses nest the floats under "float".
        const list = Array.isArray(embeddings)
          ? embeddings
          : (embeddings as { float?: unknown } | undefined)?.float;
        return vectorsInOrder(this.implementation, list, expected);
      },
    };
  }

  #voyageWire(): Wire {
    const base = stringOption(this.#extra, "api_base") ?? envValue(this.#env, "VOYAGE_API_BASE") ??
      "https://api.voyageai.com/v1";
    const key = this.#key("VOYAGE_API_KEY");
    const model = this.route.model;
    const extra = this.#extra;
    return {
      label: "VoyageException",
      url: endpoint(base, "/embeddings"),
      headers: { authorization: `Bearer ${key}` },
      body: (input) => ({
        input,
        model,
        ...pick(extra, ["input_type", "truncation", "output_dimension", "output_dtype"]),
      }),
      vectors: (json, expected) =>
        vectorsByIndex(this.implementation, (json as { data?: [] }).data, expected),
    };
  }

  /** LiteLLM-shaped text for a failed request. */
  #error(label: string, error: unknown): EmbeddingProviderError {
    if (!(error instanceof HttpRequestError)) {
      const message = error instanceof Error ? error.message : String(error);
      return new EmbeddingProviderError(this.implementation, message, { cause: error });
    }
    if (error.status === undefined) {
      const message = error.timedOut
        ? `litellm.Timeout: ${label} - Connection timed out after ${
          this.#policy.timeoutMs / 1000
        } seconds.`
        : `litellm.APIConnectionError: ${label} - ${error.message}`;
      return new EmbeddingProviderError(this.implementation, message, {
        retryable: true,
        cause: error,
      });
    }
    const status = error.status;
    const text = (error.body ?? "").trim();
    let detail = text;
    if (label !== "CohereException" && label !== "VoyageException") {
      // OpenAI-compatible providers fail through the openai client: `Error code: N - {...}`.
      try {
        const body = JSON.parse(text);
        detail = `Error code: ${status} - ${typeof body === "string" ? body : pythonRepr(body)}`;
      } catch {
        detail = text || `Error code: ${status}`;
      }
    }
    return new EmbeddingProviderError(
      this.implementation,
      `litellm.${exceptionName(status)}: ${label} - ${detail}`,
      {
        status,
        retryable: error.retryable,
        inputRejected: blamesInput(status, text),
        cause: error,
      },
    );
  }
}

/** LiteLLM's exception class for an HTTP status. */
function exceptionName(status: number): string {
  switch (status) {
    case 400:
      return "BadRequestError";
    case 401:
      return "AuthenticationError";
    case 403:
      return "PermissionDeniedError";
    case 404:
      return "NotFoundError";
    case 408:
      return "Timeout";
    case 422:
      return "UnprocessableEntityError";
    case 429:
      return "RateLimitError";
    case 500:
      return "InternalServerError";
    case 502:
    case 503:
      return "ServiceUnavailableError";
    default:
      return "APIError";
  }
}

/** `base` when it already names the endpoint, else `base` + `path`. */
function endpoint(base: string, path: string): string {
  const trimmed = base.replace(/\/+$/, "");
  return trimmed.endsWith(path) ? trimmed : `${trimmed}${path}`;
}

function stringOption(options: Record<string, unknown>, key: string): string | undefined {
  const value = options[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  throw new EmbeddingConfigError(
    `embedding.extra_options.${key} must be a string, got ${JSON.stringify(value)}`,
  );
}

function pick(options: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    if (options[key] !== undefined && options[key] !== null) out[key] = options[key];
  }
  return out;
}
