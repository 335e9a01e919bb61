/**
 * The vectorizer's work queue: taking a batch, putting rows back, parking rows that keep failing.
 *
 * The batch query follows pgai's (contract §3.3) so that this worker and Python workers can share a
 * queue: `FOR UPDATE SKIP LOCKED` on up to `batch_size` queue rows, then per distinct primary key
 * `pg_try_advisory_xact_lock(<vectorizer id>, hashtext(concat_ws('|', 'col', value, ...)))` with
 * the columns in `source_pk` array order, then the queue rows of the locked keys are deleted and
 * the source rows are read. Differences, each fixing a pgai weakness (§7): keys are de-duplicated
 * by primary key only (the highest `loading_retries` wins), so one row is never processed twice in
 * a batch (§7.6); duplicates that another transaction holds are skipped instead of waited for
 * (§7.2); the old embeddings of a table destination are deleted in the same statement, saving a
 * round trip; and the result says how many queue rows were seen, so an executor does not stop
 * while work remains (§7.7). Source rows come back in raw text form for exact template rendering.
 */
import type postgres from "postgres";
import type { PkAttribute, Vectorizer } from "../worker/config.ts";
import type { SourceColumn, SourceRow } from "../pipeline/row.ts";
import { type ColumnInfo, ident, literal, qualified, requireColumn } from "./relations.ts";
import { decodeByteaHex } from "./wire.ts";

/** Everything the queue statements of one vectorizer depend on. */
export interface QueueLayout {
  vectorizer: Vectorizer;
  /** Catalog has retry columns on the queue and a failed queue (feature `loadingRetries`). */
  retries: boolean;
  /** Catalog has `ai.vectorizer.disabled` (feature `disabledColumn`). */
  disabledColumn: boolean;
  /** Queue table columns (PK columns typed as in the source). */
  queueColumns: Map<string, ColumnInfo>;
  /** Table destination: target table and its columns; undefined for a column destination. */
  target?: { schema: string; table: string; columns: Map<string, ColumnInfo> };
}

/** One queued primary key taken by a batch. */
export interface QueueItem {
  /** `loading_retries` of the queue row (0 without the retries feature). */
  retries: number;
  /** The source row; null when it was deleted after being queued. */
  row: SourceRow | null;
  /** PK values in text form, in attnum order (for re-queueing and UPDATEs). */
  pk: (string | null)[];
  /** PK values in binary COPY form, in attnum order (table destination only). */
  pkBinary: Uint8Array[];
}

/** Result of {@link QueueStatements.fetch}. */
export interface FetchedBatch {
  /** Queue rows the batch saw (locked for us by `FOR UPDATE SKIP LOCKED`). */
  selected: number;
  /**
   * The vectorizer is disabled (or its row is gone): nothing was taken. pgai checks this with a
   * query of its own before every batch; here the fetch does it.
   */
  disabled: boolean;
  /** Distinct keys whose advisory lock we got (their queue rows are now deleted). */
  items: QueueItem[];
}

/** PK columns in attnum order (select lists, ORDER BY, COPY and row layout). */
export function pkByAttnum(pk: readonly PkAttribute[]): PkAttribute[] {
  return [...pk].sort((a, b) => a.attnum - b.attnum);
}

// pgai_selected, pgai_disabled, pgai_locked, pgai_missing, pgai_retries
const META_COLUMNS = 5;

/** The queue statements of one vectorizer, built once per executor. */
export class QueueStatements {
  readonly #layout: QueueLayout;
  readonly #pk: PkAttribute[];
  readonly #fetchSql: string;
  readonly #requeueSql: string;
  readonly #parkSql: string | undefined;

  constructor(layout: QueueLayout) {
    this.#layout = layout;
    this.#pk = pkByAttnum(layout.vectorizer.sourcePk);
    this.#fetchSql = this.#buildFetch();
    this.#requeueSql = this.#buildRequeue();
    this.#parkSql = this.#buildPark();
  }

  /** The fetch statement (exposed for tests and EXPLAIN). */
  get fetchSql(): string {
    return this.#fetchSql;
  }

  #buildFetch(): string {
    const layout = this.#layout;
    const { vectorizer: v, retries, target } = layout;
    const queue = qualified(v.queueSchema, v.queueTable);
    const source = qualified(v.sourceSchema, v.sourceTable);
    const pkList = this.#pk.map((a) => ident(a.attname)).join(", ");
    const lPkList = this.#pk.map((a) => `l.${ident(a.attname)}`).join(", ");
    // Lock key and join predicates iterate source_pk in stored array order, as pgai does.
    const lockFields = v.sourcePk.map((a) => `${literal(a.attname)}, ${ident(a.attname)}`).join(
      ", ",
    );
    const join = (left: string, right: string) =>
      v.sourcePk.map((a) => `${left}.${ident(a.attname)} = ${right}.${ident(a.attname)}`).join(
        " and ",
      );
    const conditions = [];
    if (retries) conditions.push("(loading_retry_after is null or loading_retry_after < now())");
    const disabled = layout.disabledColumn
      ? "coalesce((select v.disabled from ai.vectorizer as v where v.id = $2::int4), true)"
      : "false";
    if (layout.disabledColumn) conditions.push(`not ${disabled}`);
    const where = conditions.length > 0 ? `where ${conditions.join(" and ")}` : "";
    const sends = target
      ? this.#pk.map((a, i) => {
        const c = requireColumn(target.columns, a.attname, qualified(target.schema, target.table));
        return `, ${c.send}(l.${ident(a.attname)}::${c.type}) as pgai_pk_${i}`;
      }).join("")
      : "";
    // Lateral subqueries and ctid arrays keep every step on the indexes whatever the planner's
    // statistics say (queue and store tables grow from empty during a backfill, unanalyzed).
    const targetName = target ? qualified(target.schema, target.table) : "";
    const deleteEmbeddings = target
      ? `, deleted_embeddings as (
    delete from ${targetName} as t
     where t.ctid = any (array(
       select e.ctid
         from locked_items as l
        cross join lateral (
          select x.ctid from ${targetName} as x where ${join("x", "l")} offset 0
        ) as e
        where l.locked))
  )`
      : "";
    return `with selected_rows as (
    select ${pkList}${retries ? ", loading_retries" : ""}
      from ${queue}
      ${where}
     limit $1
       for update skip locked
  ), locked_items as (
    select ${pkList}, loading_retries,
           pg_try_advisory_xact_lock($2::int4, hashtext(concat_ws('|', ${lockFields}))) as locked
      from (select ${pkList}, ${retries ? "max(loading_retries)" : "0"} as loading_retries
              from selected_rows
             group by ${pkList}
             order by ${pkList}) as ids
  ), queue_rows as (
    select r.row_id
      from locked_items as l
     cross join lateral (
       select q.ctid as row_id from ${queue} as q where ${join("q", "l")} for update skip locked
     ) as r
     where l.locked
  ), deleted_rows as (
    delete from ${queue} as w where w.ctid = any (array(select row_id from queue_rows))
  )${deleteEmbeddings}
  select (select count(*) from selected_rows)::int4 as pgai_selected,
         ${disabled} as pgai_disabled,
         l.locked as pgai_locked,
         (src.${ident(this.#pk[0]!.attname)} is null) as pgai_missing,
         l.loading_retries::int4 as pgai_retries${sends},
         src.*
    from (select 1) as one
    left join locked_items as l on l.locked
    left join lateral (
      select * from ${source} as s where ${join("l", "s")} limit 1
    ) as src on true
   order by ${lPkList}`;
  }

  /**
   * Takes up to `limit` queued keys in the caller's transaction: locks them, deletes their queue
   * rows (and, for a table destination, their old embeddings) and reads their source rows.
   */
  async fetch(tx: postgres.TransactionSql, limit: number): Promise<FetchedBatch> {
    const result = await tx.unsafe(this.#fetchSql, [limit, this.#layout.vectorizer.id], {
      prepare: true,
    }).raw() as unknown as (Uint8Array | null)[][] & {
      columns: { name: string; type: number }[];
    };
    const batch = this.#decode(result, result.columns);
    // The finished query object stays reachable from npm:postgres's closures (allocated in V8's
    // old generation) until the next full collection, and with it its result: emptied here, the
    // raw rows die young instead of being promoted with every batch.
    result.length = 0;
    return batch;
  }

  #decode(rows: (Uint8Array | null)[][], meta: { name: string; type: number }[]): FetchedBatch {
    const first = rows[0];
    if (!first) return { selected: 0, disabled: false, items: [] };
    const selected = Number(text(first[0]) ?? 0);
    const disabled = text(first[1]) === "t";
    const sendCount = this.#layout.target ? this.#pk.length : 0;
    const sourceStart = META_COLUMNS + sendCount;
    // The row a template sees: the source columns, with the queue's loading_retries (retries
    // variant) shadowing a source column of that name, as in pgai's row dict.
    const columns: SourceColumn[] = [];
    const sourceIndex: number[] = [];
    for (let i = sourceStart; i < meta.length; i++) {
      const c = meta[i]!;
      if (this.#layout.retries && c.name === "loading_retries") continue;
      columns.push({ name: c.name, typeOid: c.type });
      sourceIndex.push(i);
    }
    if (this.#layout.retries) columns.push({ name: "loading_retries", typeOid: 23 });
    const pkIndex = this.#pk.map((a) => {
      const i = meta.findIndex((c, j) => j >= sourceStart && c.name === a.attname);
      return i;
    });
    const items: QueueItem[] = [];
    for (const r of rows) {
      if (text(r[2]) !== "t") continue; // no locked item (only the count row)
      const retries = Number(text(r[4]) ?? 0);
      const missing = text(r[3]) === "t";
      const pkBinary: Uint8Array[] = [];
      for (let k = 0; k < sendCount; k++) pkBinary.push(decodeByteaHex(text(r[META_COLUMNS + k])!));
      if (missing) {
        items.push({ retries, row: null, pk: [], pkBinary });
        continue;
      }
      const values: (string | null)[] = sourceIndex.map((i) => text(r[i]));
      if (this.#layout.retries) values.push(String(retries));
      items.push({
        retries,
        row: { columns, values },
        pk: pkIndex.map((i) => (i < 0 ? null : text(r[i]))),
        pkBinary,
      });
    }
    return { selected, disabled, items };
  }

  #pkCasts(offset = 0): string {
    return this.#pk.map((a, i) => {
      const c = this.#layout.queueColumns.get(a.attname);
      return `(e->>${i + offset})::${c ? c.type : "text"}`;
    }).join(", ");
  }

  #buildRequeue(): string {
    const { vectorizer: v, retries } = this.#layout;
    const queue = qualified(v.queueSchema, v.queueTable);
    const pkList = this.#pk.map((a) => ident(a.attname)).join(", ");
    const n = this.#pk.length;
    if (!retries) {
      return `insert into ${queue} (${pkList})
        select ${this.#pkCasts()} from json_array_elements($1::text::json) as e`;
    }
    return `insert into ${queue} (${pkList}, loading_retries, loading_retry_after)
      select ${this.#pkCasts()}, (e->>${n})::int4,
             now() + interval '3 minutes' * (e->>${n})::int4
        from json_array_elements($1::text::json) as e`;
  }

  #buildPark(): string | undefined {
    const { vectorizer: v, retries } = this.#layout;
    if (!retries || v.queueFailedTable === null) return undefined;
    const failed = qualified(v.queueSchema, v.queueFailedTable);
    const pkList = this.#pk.map((a) => ident(a.attname)).join(", ");
    return `insert into ${failed} (${pkList}, failure_step)
      select ${this.#pkCasts()}, e->>${this.#pk.length} from json_array_elements($1::text::json) as e`;
  }

  /** Whether rows that keep failing can be parked in a failed queue. */
  get canPark(): boolean {
    return this.#parkSql !== undefined;
  }

  /**
   * Puts keys back into the queue. With the retries feature each gets `loading_retries` =
   * `retries` and `loading_retry_after` = now + 3 minutes × `retries` (pgai's backoff, §3.7).
   */
  async requeue(
    tx: postgres.TransactionSql,
    entries: readonly { pk: readonly (string | null)[]; retries: number }[],
  ): Promise<void> {
    if (entries.length === 0) return;
    const payload = entries.map((e) => this.#layout.retries ? [...e.pk, e.retries] : [...e.pk]);
    await tx.unsafe(this.#requeueSql, [JSON.stringify(payload)], { prepare: true });
  }

  /** Moves keys to the failed queue with the stage that failed (`loading`, `embedding`, ...). */
  async park(
    tx: postgres.TransactionSql,
    entries: readonly { pk: readonly (string | null)[]; step: string }[],
  ): Promise<void> {
    if (entries.length === 0) return;
    if (this.#parkSql === undefined) throw new Error("this catalog has no failed queue");
    const payload = entries.map((e) => [...e.pk, e.step]);
    await tx.unsafe(this.#parkSql, [JSON.stringify(payload)], { prepare: true });
  }

  /** PK column names in attnum order. */
  get pkNames(): string[] {
    return this.#pk.map((a) => a.attname);
  }
}

/**
 * Whether the queue holds a row a batch could take now (retry time reached). A cheap probe that
 * lets the worker skip opening executor connections for idle vectorizers.
 */
export async function hasQueuedWork(
  sql: postgres.Sql,
  vectorizer: Vectorizer,
  retries: boolean,
): Promise<boolean> {
  const queue = qualified(vectorizer.queueSchema, vectorizer.queueTable);
  const filter = retries ? "where loading_retry_after is null or loading_retry_after < now()" : "";
  const [row] = await sql.unsafe<{ found: boolean }[]>(
    `select exists (select 1 from ${queue} ${filter}) as found`,
  );
  return row?.found === true;
}

const DECODER = new TextDecoder();

function text(b: Uint8Array | null | undefined): string | null {
  return b == null ? null : DECODER.decode(b);
}
