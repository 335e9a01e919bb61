/**
 * The physical limit the worker is measured against: the same work with nothing but the work.
 *
 * Reads the source rows, chunks and formats them with the project's pipeline functions, asks the
 * same provider server for base64 embeddings of the same texts in requests of the same size, and
 * writes them with binary COPY (the project's encoder and store) into a table identical to the
 * vectorizer's store, over `pipelines` connections (TCP_NODELAY, the project's `connect`). No
 * queue, no locks, no per-batch bookkeeping, no SDK: whatever the worker needs beyond this is
 * its overhead. Runs in the benchmark process itself.
 */
import type postgres from "postgres";
import { connect } from "../src/db/connect.ts";
import { tableColumns } from "../src/db/relations.ts";
import { TableStore } from "../src/db/store.ts";
import { EmbeddingCopyEncoder } from "../src/db/wire.ts";
import { decodeBase64Floats } from "../src/embedders/vectors.ts";
import { chunkText } from "../src/pipeline/chunking.ts";
import { compileTemplate } from "../src/pipeline/formatting.ts";
import type { SourceRow } from "../src/pipeline/row.ts";
import { parseVectorizer, type Vectorizer } from "../src/worker/config.ts";
import { BenchSetupError } from "./setup.ts";

/** Options of {@link runBaseline}. */
export interface BaselineOptions {
  readonly dbUrl: string;
  /** The vectorizer whose source, chunking, formatting and embedding settings are used. */
  readonly vectorizerId: number;
  /** Table (in `public`) to write; created like the vectorizer's store table. */
  readonly storeTable: string;
  /** Base URL of the provider server (without `/v1`). */
  readonly providerUrl: string;
  /** Concurrent pipelines, each with its own connection. */
  readonly pipelines: number;
  /** Source rows per embedding request and COPY (the worker's batch size). */
  readonly batchRows: number;
}

/** What {@link runBaseline} did. */
export interface BaselineResult {
  readonly rows: number;
  readonly chunks: number;
  readonly requests: number;
  readonly wallMs: number;
}

interface EmbeddingResponse {
  data: { index: number; embedding: string }[];
}

async function loadVectorizer(sql: postgres.Sql, id: number): Promise<Vectorizer> {
  const [row] = await sql.unsafe<{ v: Record<string, unknown> }[]>(
    "select to_jsonb(v) as v from ai.vectorizer v where id = $1::int4",
    [id],
  );
  if (!row) throw new BenchSetupError(`vectorizer ${id} not found`);
  return parseVectorizer(row.v);
}

/** int8 binary send form (the bench tables' `id int8` primary key). */
function int8Binary(id: string): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigInt64(0, BigInt(id));
  return out;
}

/** Runs the baseline over the whole source table of the vectorizer. */
export async function runBaseline(options: BaselineOptions): Promise<BaselineResult> {
  const admin = connect(options.dbUrl, { applicationName: "pgai-bench-baseline" });
  let v: Vectorizer;
  let store: TableStore;
  let ids: { lo: number; hi: number };
  try {
    v = await loadVectorizer(admin, options.vectorizerId);
    const dest = v.config.destination;
    if (dest.implementation !== "table") throw new BenchSetupError("baseline needs a table store");
    const like = `${dest.target_schema}.${dest.target_table}`;
    await admin.unsafe(`drop table if exists public.${options.storeTable}`);
    await admin.unsafe(`create table public.${options.storeTable} (like ${like} including all)`);
    store = new TableStore(
      v,
      "public",
      options.storeTable,
      await tableColumns(admin, "public", options.storeTable),
    );
    const [range] = await admin.unsafe<{ lo: string | null; hi: string | null }[]>(
      `select min(id)::text as lo, max(id)::text as hi from ${v.sourceSchema}.${v.sourceTable}`,
    );
    ids = { lo: Number(range?.lo ?? 1), hi: Number(range?.hi ?? 0) };
  } finally {
    await admin.end();
  }
  const formatting = v.config.formatting;
  const template = formatting.implementation === "python_template"
    ? compileTemplate(formatting.template)
    : undefined;
  const embedding = v.config.embedding;
  const source = `${v.sourceSchema}.${v.sourceTable}`;
  const column = v.config.loading.column_name;
  const totals = { rows: 0, chunks: 0, requests: 0 };
  let next = ids.lo;

  const pipeline = async () => {
    const sql = connect(options.dbUrl, { applicationName: "pgai-bench-baseline" });
    const encoder = new EmbeddingCopyEncoder();
    try {
      while (next <= ids.hi) {
        const lo = next;
        next += options.batchRows;
        const result = await sql.unsafe<Record<string, string>[]>(
          `select * from ${source} where id >= $1 and id < $2 order by id`,
          [lo, lo + options.batchRows],
        );
        const columns = result.columns.map((c) => ({ name: c.name, typeOid: c.type }));
        const documents: string[] = [];
        const owners: { id: string; seq: number }[] = [];
        for (const r of result) {
          const row: SourceRow = { columns, values: columns.map((c) => r[c.name] ?? null) };
          const chunks = chunkText(v.config.chunking, r[column] ?? "");
          chunks.forEach((chunk, seq) => {
            documents.push(template ? template.render(chunk, row) : chunk);
            owners.push({ id: r.id!, seq });
          });
        }
        if (documents.length === 0) continue;
        const response = await fetch(`${options.providerUrl}/v1/embeddings`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: "Bearer baseline" },
          body: JSON.stringify({
            input: documents,
            model: embedding.model,
            dimensions: embedding.dimensions,
            encoding_format: "base64",
          }),
        });
        if (!response.ok) {
          throw new BenchSetupError(
            `provider answered ${response.status}: ${await response.text()}`,
          );
        }
        const { data } = await response.json() as EmbeddingResponse;
        encoder.reset();
        for (const item of data) {
          const owner = owners[item.index]!;
          encoder.addRow(
            [int8Binary(owner.id)],
            owner.seq,
            documents[item.index]!,
            decodeBase64Floats(item.embedding),
          );
        }
        const payload = encoder.finish();
        await sql.begin((tx) => store.copy(tx, payload));
        totals.rows += result.length;
        totals.chunks += documents.length;
        totals.requests++;
      }
    } finally {
      await sql.end();
    }
  };

  const started = performance.now();
  await Promise.all(Array.from({ length: options.pipelines }, pipeline));
  return { ...totals, wallMs: performance.now() - started };
}
