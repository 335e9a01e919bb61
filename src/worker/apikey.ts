/**
 * Resolving a vectorizer's API key (contract §2.5).
 *
 * Only when the stored `embedding` config names an `api_key_name`: the environment variable of
 * that name, or, when the variable is unset (not merely empty) and the catalog has
 * `ai.reveal_secret`, the database secret. Keys are registered with the log masking. Unlike pgai
 * (§7.5) the worker resolves keys only for enabled vectorizers.
 */
import type postgres from "postgres";
import { registerSecret } from "../secrets.ts";
import { getLogger } from "../log.ts";
import type { Vectorizer } from "./config.ts";

const log = getLogger("worker");

/** No key could be found; the text is pgai's (`api_key_name=X vectorizer_id=N`). */
export class ApiKeyNotFoundError extends Error {
  constructor(name: string, vectorizerId: number) {
    super(`api_key_name=${name} vectorizer_id=${vectorizerId}`);
    this.name = "ApiKeyNotFoundError";
  }
}

/** Embedders that take no API key; a configured key name is reported and ignored. */
const KEYLESS = new Set(["ollama"]);

/**
 * The API key for `vectorizer`, or undefined when its config names none.
 * @throws ApiKeyNotFoundError when the named key is unset or empty
 */
export async function resolveApiKey(
  vectorizer: Vectorizer,
  env: Record<string, string | undefined>,
  revealSecret: boolean,
  sql: postgres.Sql,
): Promise<string | undefined> {
  const embedding = vectorizer.config.embedding;
  if (!("api_key_name" in embedding)) return undefined;
  const name = String(embedding.api_key_name);
  if (KEYLESS.has(embedding.implementation)) {
    log.error(`cannot set secret value '${name}' for vectorizer with id: '${vectorizer.id}'`);
    return undefined;
  }
  let value = env[name];
  if (value !== undefined) {
    log.debug(`obtained secret '${name}' from environment`);
  } else if (revealSecret) {
    const [row] = await sql.unsafe<{ value: string | null }[]>(
      "select ai.reveal_secret($1::text) as value",
      [name],
    );
    value = row?.value ?? undefined;
    if (value) log.debug(`obtained secret '${name}' from database`);
  }
  if (!value) throw new ApiKeyNotFoundError(name, vectorizer.id);
  registerSecret(value);
  return value;
}
