/**
 * Error rows: what users query to learn why a vectorizer is not making progress (contract §3.8).
 *
 * pgai's three messages are kept so existing dashboards and alerts keep working; `details` may
 * carry more keys than pgai's (`pk` and `failure_step` for a row that failed on its own).
 */
import type postgres from "postgres";
import { type CatalogFeatures, errorsTable } from "./catalog.ts";

/** pgai's message for provider failures. */
export const EMBEDDING_PROVIDER_FAILED = "embedding provider failed";
/** pgai's message for everything else that fails a batch. */
export const VECTORIZER_FAILED = "vectorizer failed with unexpected error";
/** pgai's message for a row whose content could not be loaded. */
export const LOADING_FAILED = "loading failed";

/** One row for the errors table. */
export interface ErrorRecord {
  message: string;
  details: Record<string, unknown>;
}

/** Inserts error rows for vectorizer `id` (into `ai._vectorizer_errors` when the view exists). */
export async function insertErrors(
  sql: postgres.Sql | postgres.TransactionSql,
  features: CatalogFeatures,
  id: number,
  records: readonly ErrorRecord[],
): Promise<void> {
  if (records.length === 0) return;
  await sql.unsafe(
    `insert into ${errorsTable(features)} (id, message, details)
     select $1::int4, e->>'message', (e->'details')::jsonb from json_array_elements($2::text::json) as e`,
    [id, JSON.stringify(records)],
  );
}
