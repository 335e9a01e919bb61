/**
 * The formatting stage as an executor runs it: the template compiled once, plus what rendering
 * values like psycopg needs from the executor's session (its TimeZone, and the `pg_type` entries
 * of the non-built-in types among the source columns, loaded when a batch first meets them).
 */
import type postgres from "postgres";
import { loadTypeCatalog } from "../db/types.ts";
import { type CompiledTemplate, compileTemplate } from "../pipeline/formatting.ts";
import type { RenderContext, SourceColumn, SourceRow, TypeCatalog } from "../pipeline/row.ts";
import type { FormattingConfig } from "./config.ts";

/** Formats chunks of fetched rows for one executor. */
export class Formatter {
  readonly #template: CompiledTemplate | undefined;
  #context: RenderContext = {};
  #timeZone: string | undefined;
  #types: TypeCatalog | undefined;
  readonly #known = new Set<number>();
  #preparedFor: readonly SourceColumn[] | undefined;

  constructor(config: FormattingConfig) {
    this.#template = config.implementation === "python_template"
      ? compileTemplate(config.template)
      : undefined;
  }

  /**
   * Makes sure the session facts needed to render rows with these columns are loaded. Call it
   * with the batch's transaction before {@link format}.
   */
  async prepare(
    sql: postgres.Sql | postgres.TransactionSql,
    columns: readonly SourceColumn[],
  ): Promise<void> {
    if (this.#template === undefined || this.#preparedFor === columns) return;
    const db = sql as postgres.Sql;
    if (this.#timeZone === undefined) {
      const [row] = await db.unsafe<{ tz: string }[]>("select current_setting('TimeZone') as tz");
      this.#timeZone = row?.tz ?? "UTC";
    }
    const unseen = columns.map((c) => c.typeOid).filter((oid) => !this.#known.has(oid));
    if (unseen.length > 0) {
      for (const oid of unseen) this.#known.add(oid);
      const loaded = await loadTypeCatalog(db, [...this.#known]);
      this.#types = loaded;
    }
    this.#context = this.#types === undefined
      ? { timeZone: this.#timeZone }
      : { types: this.#types, timeZone: this.#timeZone };
    this.#preparedFor = columns;
  }

  /** The text to embed for `chunk` of `row`. Throws the template's or renderer's errors. */
  format(chunk: string, row: SourceRow): string {
    return this.#template === undefined ? chunk : this.#template.render(chunk, row, this.#context);
  }
}
