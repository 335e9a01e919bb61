/**
 * Embedding providers: build the embedder a vectorizer's `embedding` config asks for.
 *
 * Each provider lives in its own module; this one picks by `implementation`, registers the API
 * key as a secret so it never reaches a log line, and re-exports the shared types.
 */

import { registerSecret } from "../secrets.ts";
import { type EmbeddingConfig, EmbeddingConfigError } from "./config.ts";
import type { Embedder, EmbedderOptions } from "./embedder.ts";
import { LiteLLMEmbedder } from "./litellm.ts";
import { OllamaEmbedder } from "./ollama.ts";
import { OpenAIEmbedder } from "./openai.ts";
import { VoyageAIEmbedder } from "./voyageai.ts";

export type {
  EmbeddingConfig,
  LiteLLMEmbeddingConfig,
  OllamaEmbeddingConfig,
  OpenAIEmbeddingConfig,
  VoyageAIEmbeddingConfig,
} from "./config.ts";
export { EmbeddingConfigError } from "./config.ts";
export type { Embedder, EmbedderOptions, Env } from "./embedder.ts";
export { BatchLimitError, EmbeddingProviderError } from "./errors.ts";
export { LiteLLMEmbedder, OllamaEmbedder, OpenAIEmbedder, VoyageAIEmbedder };

/** The embedding implementations this worker supports. */
export const EMBEDDING_IMPLEMENTATIONS = ["openai", "ollama", "voyageai", "litellm"] as const;

/**
 * Create the embedder for a vectorizer's `embedding` config.
 *
 * Construction does no I/O. Problems that pgai only notices while embedding (an ada-002 model
 * with other dimensions, a bad PGAI_VECTORIZER_OLLAMA_MAX_CHUNKS_PER_BATCH, an unsupported LiteLLM
 * provider) surface as `EmbeddingProviderError` from `embed()`, so they are recorded the same way.
 *
 * @throws EmbeddingConfigError for an unknown implementation or a malformed config value
 */
export function createEmbedder(config: EmbeddingConfig, options: EmbedderOptions = {}): Embedder {
  registerSecret(options.apiKey);
  switch (config.implementation) {
    case "openai":
      return new OpenAIEmbedder(config, options);
    case "ollama":
      return new OllamaEmbedder(config, options);
    case "voyageai":
      return new VoyageAIEmbedder(config, options);
    case "litellm":
      return new LiteLLMEmbedder(config, options);
    default:
      throw new EmbeddingConfigError(
        `unknown embedding implementation ${
          JSON.stringify((config as { implementation?: unknown }).implementation)
        } (expected one of ${EMBEDDING_IMPLEMENTATIONS.join(", ")})`,
      );
  }
}
