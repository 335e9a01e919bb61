/**
 * Database side of the benchmark: source tables filled with generated prose, vectorizers created
 * through the installed `ai` catalog exactly as a user would, and the checks that a run really
 * embedded everything (a fast run that skipped rows must be reported as FAILED, not as fast).
 */
import type postgres from "postgres";
import type { ProseRow } from "./prose.ts";

/** Raised when the benchmark's database setup or a post-run check cannot be done. */
export class BenchSetupError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "BenchSetupError";
  }
}

/** The embedding model every benchmark vectorizer uses. */
export const MODEL = "text-embedding-3-small";
/** Vector size of every benchmark vectorizer. */
export const DIMENSIONS = 768;
/** Formatting template of every benchmark vectorizer. */
export const TEMPLATE = "$title: $chunk";

/** Creates `public.<table> (id int8 primary key, title text, body text)` holding `rows`, vacuumed. */
export async function createSourceTable(
  sql: postgres.Sql,
  table: string,
  rows: Iterable<ProseRow>,
): Promise<number> {
  await sql.unsafe(
    `create table public.${table} (id int8 primary key, title text not null, body text not null)`,
  );
  let count = 0;
  let batch: ProseRow[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await sql`insert into ${sql("public." + table)} ${sql(batch, "id", "title", "body")}`;
    count += batch.length;
    batch = [];
  };
  for (const row of rows) {
    batch.push(row);
    if (batch.length === 1000) await flush();
  }
  await flush();
  // Like a table whose rows were committed a while ago: hint bits set, visibility map and
  // statistics current. Otherwise whichever run reads the rows first pays for setting them.
  await sql.unsafe(`vacuum (analyze) public.${table}`);
  return count;
}

/** A vectorizer created for the benchmark. */
export interface BenchVectorizer {
  readonly id: number;
  readonly sourceTable: string;
  /** `schema.table` of the store table (the destination). */
  readonly store: string;
  /** `schema.table` of the queue. */
  readonly queue: string;
  /** `schema.table` of the failed queue. */
  readonly queueFailed: string;
}

/** Options of {@link createVectorizer}. */
export interface VectorizerSetup {
  /** Source table in `public`. */
  readonly table: string;
  /** Base URL of the OpenAI-compatible server, e.g. `http://127.0.0.1:1234/v1`. */
  readonly baseUrl: string;
  /** `processing_default(batch_size => ...)`; pgai's default when absent. */
  readonly batchSize?: number;
}

/**
 * `ai.create_vectorizer` with column loading of `body`, default chunking, the `$title: $chunk`
 * template, a 768-dimension OpenAI embedding at `baseUrl`, and a `<table>_embedding` destination.
 * Existing rows are queued (pgai's default `enqueue_existing`).
 */
export async function createVectorizer(
  sql: postgres.Sql,
  setup: VectorizerSetup,
): Promise<BenchVectorizer> {
  const processing = setup.batchSize === undefined
    ? "ai.processing_default()"
    : `ai.processing_default(batch_size => ${setup.batchSize})`;
  const [row] = await sql.unsafe<{ id: number }[]>(
    `select ai.create_vectorizer
       ( 'public.${setup.table}'::regclass
       , loading => ai.loading_column('body')
       , embedding => ai.embedding_openai($1, $2, base_url => $3)
       , formatting => ai.formatting_python_template($4)
       , destination => ai.destination_table($5)
       , processing => ${processing}
       ) as id`,
    [MODEL, DIMENSIONS, setup.baseUrl, TEMPLATE, `${setup.table}_embedding`],
  );
  if (!row) throw new BenchSetupError(`create_vectorizer returned nothing for ${setup.table}`);
  const [v] = await sql.unsafe<
    { queue_schema: string; queue_table: string; queue_failed_table: string; target: string }[]
  >(
    `select queue_schema, queue_table, queue_failed_table,
            format('%I.%I', config->'destination'->>'target_schema',
                   config->'destination'->>'target_table') as target
       from ai.vectorizer where id = $1`,
    [row.id],
  );
  if (!v) throw new BenchSetupError(`vectorizer ${row.id} not found after creation`);
  return {
    id: row.id,
    sourceTable: setup.table,
    store: v.target,
    queue: `${v.queue_schema}.${v.queue_table}`,
    queueFailed: `${v.queue_schema}.${v.queue_failed_table}`,
  };
}

/** Back to the state `create_vectorizer` left: every source row queued, nothing stored. */
export async function requeueAll(sql: postgres.Sql, v: BenchVectorizer): Promise<void> {
  await sql.unsafe(`truncate ${v.store}`);
  await sql.unsafe(`insert into ${v.queue} (id) select id from public.${v.sourceTable}`);
  await sql.unsafe(`vacuum (analyze) ${v.queue}`);
}

/** What a run left behind. */
export interface Verification {
  readonly sourceRows: number;
  /** Source rows with at least one chunk in the store. */
  readonly embeddedRows: number;
  readonly chunks: number;
  readonly queueLeft: number;
  readonly failedQueue: number;
  readonly errorRows: number;
  /** Empty when the run did all its work. */
  readonly problems: readonly string[];
}

/**
 * Checks that every source row has embeddings, the queue and failed queue are empty, and no
 * error was recorded for the vectorizer.
 */
export async function verifyRun(sql: postgres.Sql, v: BenchVectorizer): Promise<Verification> {
  const [r] = await sql.unsafe<
    {
      source_rows: string;
      embedded_rows: string;
      chunks: string;
      queue_left: string;
      failed_queue: string;
      error_rows: string;
    }[]
  >(
    `select (select count(*) from public.${v.sourceTable}) as source_rows,
            (select count(distinct id) from ${v.store}) as embedded_rows,
            (select count(*) from ${v.store}) as chunks,
            (select count(*) from ${v.queue}) as queue_left,
            (select count(*) from ${v.queueFailed}) as failed_queue,
            (select count(*) from ai.vectorizer_errors where id = $1) as error_rows`,
    [v.id],
  );
  if (!r) throw new BenchSetupError(`cannot read the state of vectorizer ${v.id}`);
  const result = {
    sourceRows: Number(r.source_rows),
    embeddedRows: Number(r.embedded_rows),
    chunks: Number(r.chunks),
    queueLeft: Number(r.queue_left),
    failedQueue: Number(r.failed_queue),
    errorRows: Number(r.error_rows),
  };
  const problems: string[] = [];
  if (result.embeddedRows !== result.sourceRows) {
    problems.push(`${result.sourceRows - result.embeddedRows} source rows have no embeddings`);
  }
  if (result.queueLeft > 0) problems.push(`${result.queueLeft} rows left in the queue`);
  if (result.failedQueue > 0) problems.push(`${result.failedQueue} rows in the failed queue`);
  if (result.errorRows > 0) {
    const [e] = await sql.unsafe<{ message: string; details: unknown }[]>(
      "select message, details from ai.vectorizer_errors where id = $1 order by recorded limit 1",
      [v.id],
    );
    problems.push(
      `${result.errorRows} error rows (first: ${e?.message} ${JSON.stringify(e?.details)})`,
    );
  }
  return { ...result, problems };
}

/**
 * Rows of `a` and `b` (two store tables) that differ in chunk text or embedding, or exist in one
 * only, compared by `(id, chunk_seq)`.
 */
export async function storeDifferences(sql: postgres.Sql, a: string, b: string): Promise<number> {
  const [r] = await sql.unsafe<{ n: string }[]>(
    `select count(*) as n
       from ${a} x full join ${b} y on x.id = y.id and x.chunk_seq = y.chunk_seq
      where x.id is null or y.id is null
         or x.chunk is distinct from y.chunk or x.embedding is distinct from y.embedding`,
  );
  return Number(r?.n ?? -1);
}
