/** Reading source rows in tests the way the worker reads them. */
import type postgres from "postgres";
import type { SourceRow } from "../../src/pipeline/row.ts";

/** Fetches all rows of `query` as the worker does: raw text values plus column type OIDs. */
export async function fetchRows(sql: postgres.Sql, query: string): Promise<SourceRow[]> {
  const result = await sql.unsafe(query).raw();
  const decoder = new TextDecoder();
  const columns = result.columns.map((c) => ({ name: c.name, typeOid: c.type }));
  return result.map((raw) => ({
    columns,
    values: (raw as unknown as (Uint8Array | null)[]).map((v) =>
      v === null ? null : decoder.decode(v)
    ),
  }));
}
