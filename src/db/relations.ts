/**
 * Names and column types of the tables a vectorizer touches (queue, failed queue, target, source).
 *
 * Queries are built from catalog identifiers, so every name is quoted here; column types are read
 * once per executor from `pg_attribute` (as pgai does for the COPY) to cast text values back to
 * their exact types and to encode primary keys in binary COPY format with each type's own send
 * function.
 */
import type postgres from "postgres";

/** Quotes an SQL identifier. */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `"schema"."table"`. */
export function qualified(schema: string, table: string): string {
  return `${ident(schema)}.${ident(table)}`;
}

/** An SQL string literal. */
export function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** One column of a table. */
export interface ColumnInfo {
  name: string;
  /** `format_type(atttypid, atttypmod)`, usable in casts (`character varying(20)`). */
  type: string;
  typeOid: number;
  /** `pg_type.typname` (`vector`, `int4`, ...). */
  typname: string;
  /** Binary output function (`int4send`), schema-qualified when needed. */
  send: string;
}

/** Raised when a table the vectorizer needs is missing or lacks a column. */
export class RelationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RelationError";
  }
}

/**
 * Columns of `schema.table` by name.
 * @throws RelationError when the table does not exist
 */
export async function tableColumns(
  sql: postgres.Sql | postgres.TransactionSql,
  schema: string,
  table: string,
): Promise<Map<string, ColumnInfo>> {
  const rows = await sql.unsafe<
    { name: string; type: string; type_oid: number; typname: string; send: string }[]
  >(
    `select a.attname as name, pg_catalog.format_type(a.atttypid, a.atttypmod) as type,
            a.atttypid::int4 as type_oid, t.typname::text as typname, t.typsend::regproc::text as send
       from pg_catalog.pg_attribute a
       join pg_catalog.pg_type t on t.oid = a.atttypid
      where a.attrelid = to_regclass($1) and a.attnum > 0 and not a.attisdropped
      order by a.attnum`,
    [qualified(schema, table)],
  );
  if (rows.length === 0) {
    throw new RelationError(`table ${qualified(schema, table)} does not exist`);
  }
  return new Map(rows.map((r) => [r.name, {
    name: r.name,
    type: r.type,
    typeOid: r.type_oid,
    typname: r.typname,
    send: r.send,
  }]));
}

/**
 * The named column, or a {@link RelationError} naming the table and column.
 */
export function requireColumn(
  columns: Map<string, ColumnInfo>,
  name: string,
  tableName: string,
): ColumnInfo {
  const c = columns.get(name);
  if (!c) throw new RelationError(`column ${ident(name)} of ${tableName} does not exist`);
  return c;
}
