/**
 * Type information from `pg_type` for the column types of fetched source rows.
 *
 * Built-in types have fixed OIDs, but extension types (pgvector's `vector`, `halfvec`,
 * `sparsevec`), enums, composites and their array types get database-specific OIDs. Formatting
 * needs to know which OIDs are pgvector types to render them as the Python worker does.
 */
import type postgres from "postgres";
import { type PgTypeInfo, type TypeCatalog, typeCatalogOf } from "../pipeline/row.ts";

/** Highest OID of a type built into Postgres; those are rendered from a fixed table. */
const LAST_BUILTIN_OID = 16383;

interface TypeRow {
  oid: number;
  name: string;
  type: string;
  elem: number;
  base: number;
  delim: string;
  category: string;
  range_subtype: number;
}

/**
 * Loads `pg_type` entries for `oids` (and the element types of array types among them).
 * Built-in OIDs are skipped; an empty catalog is returned without a query when none remain.
 */
export async function loadTypeCatalog(
  sql: postgres.Sql,
  oids: Iterable<number>,
): Promise<TypeCatalog> {
  const wanted = [...new Set(oids)].filter((oid) => oid > LAST_BUILTIN_OID);
  if (wanted.length === 0) return typeCatalogOf([]);
  // An array literal rather than a JS array, which npm:postgres can only send on connections
  // that fetched the array types at connect time (executor connections skip that).
  const oidArray = `{${wanted.join(",")}}`;
  const rows = await sql<TypeRow[]>`
    select t.oid::int8::float8 as oid, t.typname::text as name, t.typtype::text as type,
           t.typelem::int8::float8 as elem, t.typbasetype::int8::float8 as base,
           t.typdelim::text as delim, t.typcategory::text as category,
           coalesce(r.rngsubtype, 0)::int8::float8 as range_subtype
      from pg_catalog.pg_type t
      left join pg_catalog.pg_range r on r.rngtypid = t.oid
     where t.oid = any(${oidArray}::oid[])
        or t.oid in (select typelem from pg_catalog.pg_type where oid = any(${oidArray}::oid[]))`;
  return typeCatalogOf(rows.map((r): PgTypeInfo => ({
    oid: Number(r.oid),
    name: r.name,
    type: r.type,
    elem: Number(r.elem),
    base: Number(r.base),
    delim: r.delim,
    category: r.category,
    rangeSubtype: Number(r.range_subtype),
  })));
}
