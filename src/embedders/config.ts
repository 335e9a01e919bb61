/**
 * The `embedding` section of a vectorizer config (contract §4.1, §4.6), as stored by the `ai`
 * schema's SQL functions (`ai.embedding_openai(...)` etc.).
 *
 * Values come from JSON; pgai validates them with pydantic in lax mode, so numbers may arrive as
 * numeric strings. The readers below coerce the same way and name the offending key otherwise.
 */

/** `ai.embedding_openai(...)`. */
export interface OpenAIEmbeddingConfig {
  implementation: "openai";
  model: string;
  dimensions?: number;
  user?: string;
  api_key_name?: string;
  base_url?: string;
}

/** `ai.embedding_ollama(...)`. */
export interface OllamaEmbeddingConfig {
  implementation: "ollama";
  model: string;
  dimensions?: number;
  base_url?: string;
  options?: Record<string, unknown>;
  keep_alive?: string;
}

/** `ai.embedding_voyageai(...)`. */
export interface VoyageAIEmbeddingConfig {
  implementation: "voyageai";
  model: string;
  dimensions?: number;
  input_type?: "document" | "query" | null;
  api_key_name?: string;
  output_dimension?: number;
  output_dtype?: string;
}

/** `ai.embedding_litellm(...)`. */
export interface LiteLLMEmbeddingConfig {
  implementation: "litellm";
  model: string;
  dimensions?: number;
  api_key_name?: string;
  extra_options?: Record<string, unknown>;
}

/** Any supported embedding config. */
export type EmbeddingConfig =
  | OpenAIEmbeddingConfig
  | OllamaEmbeddingConfig
  | VoyageAIEmbeddingConfig
  | LiteLLMEmbeddingConfig;

/** A config value that does not have the expected type. */
export class EmbeddingConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EmbeddingConfigError";
  }
}

/** Read an optional integer, accepting integral numbers and numeric strings (pydantic lax mode). */
export function optionalInt(value: unknown, key: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "string" && /^\s*[+-]?\d+\s*$/.test(value)) return Number(value);
  throw new EmbeddingConfigError(
    `embedding.${key} must be an integer, got ${JSON.stringify(value)}`,
  );
}

/** Read an optional string. */
export function optionalString(value: unknown, key: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  throw new EmbeddingConfigError(`embedding.${key} must be a string, got ${JSON.stringify(value)}`);
}

/** Read a required non-empty string. */
export function requiredString(value: unknown, key: string): string {
  const text = optionalString(value, key);
  if (text === undefined || text === "") {
    throw new EmbeddingConfigError(`embedding.${key} is required`);
  }
  return text;
}

/** Read an optional JSON object. */
export function optionalObject(value: unknown, key: string): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  throw new EmbeddingConfigError(
    `embedding.${key} must be an object, got ${JSON.stringify(value)}`,
  );
}
