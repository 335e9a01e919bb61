/**
 * A source row as the worker fetched it: raw Postgres text values plus column type OIDs.
 *
 * The worker fetches rows without any JS-side parsing, so formatting can render each value
 * exactly the way the Python worker shows what psycopg returns (see `pyrender.ts`). Types that
 * are not built into Postgres (pgvector's types, enums, composites, arrays of them) have
 * database-specific OIDs; the worker resolves those through a {@link TypeCatalog} filled from
 * `pg_type` (`src/db/types.ts`).
 */

/** One column of a fetched source row. */
export interface SourceColumn {
  /** Column name as returned by Postgres (case preserved). */
  readonly name: string;
  /** Type OID from the row description (domains arrive as their base type). */
  readonly typeOid: number;
}

/** One fetched source row: text-format values, `null` for SQL NULL, in column order. */
export interface SourceRow {
  readonly columns: readonly SourceColumn[];
  readonly values: readonly (string | null)[];
}

/** One `pg_type` entry. */
export interface PgTypeInfo {
  readonly oid: number;
  /** `typname`. */
  readonly name: string;
  /** `typtype`: b (base), c (composite), d (domain), e (enum), r (range), m (multirange), p. */
  readonly type: string;
  /** `typelem` (element type of an array type, else 0). */
  readonly elem: number;
  /** `typbasetype` (base type of a domain, else 0). */
  readonly base: number;
  /** `typdelim` (array element delimiter, `,` for almost every type). */
  readonly delim: string;
  /** `typcategory` (A for arrays). */
  readonly category: string;
  /** `pg_range.rngsubtype` for range types, else 0. */
  readonly rangeSubtype: number;
}

/** Lookup of type information by OID (built-in types need no entry). */
export interface TypeCatalog {
  get(oid: number): PgTypeInfo | undefined;
}

/** Session facts that change how values render. */
export interface RenderContext {
  /** Types that are not built into Postgres. Without it, such values render as their text. */
  readonly types?: TypeCatalog;
  /**
   * The connection's `TimeZone` setting. Timestamps with time zone arrive already shifted to it;
   * the name matters only where Python shows it (`repr` inside lists) or cannot load it.
   */
  readonly timeZone?: string;
}

/** A {@link TypeCatalog} over a fixed list of entries. */
export function typeCatalogOf(entries: Iterable<PgTypeInfo>): TypeCatalog {
  const map = new Map<number, PgTypeInfo>();
  for (const e of entries) map.set(e.oid, e);
  return { get: (oid) => map.get(oid) };
}
