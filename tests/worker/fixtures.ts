/**
 * Shared set-up for the worker tests: a fresh database with the pgai catalog, vectorizers that
 * embed through a local provider server, captured log events, and readers for what the worker
 * stored.
 */
import type postgres from "postgres";
import { install } from "../../src/catalog/install.ts";
import { configureLogging } from "../../src/log.ts";
import { type TestDatabase, testDatabase } from "../support/pg.ts";

/** One captured log event (JSON format). */
export interface LogEvent {
  level: string;
  logger: string;
  event: string;
  [field: string]: unknown;
}

/** Every log event of this test process, in order. */
export const logEvents: LogEvent[] = [];

configureLogging({
  level: "debug",
  format: "json",
  sink: (line) => {
    logEvents.push(JSON.parse(line));
    if (Deno.env.get("WORKER_TEST_LOG")) console.log(line);
  },
});

/** Events logged since `mark` (an index into {@link logEvents}). */
export function eventsSince(mark: number): LogEvent[] {
  return logEvents.slice(mark);
}

/** A test database with pgai 0.12.1 installed; its sessions use the UTC time zone. */
export async function pgaiDatabase(label: string): Promise<TestDatabase> {
  const db = await testDatabase(label);
  await db.sql.unsafe(`alter database "${db.name}" set timezone to 'UTC'`);
  await install(db.sql);
  return db;
}

/** Options of {@link createVectorizer}. */
export interface VectorizerSpec {
  table: string;
  /** Base URL of the OpenAI-compatible server (`http://127.0.0.1:port`). */
  baseUrl: string;
  column?: string;
  dimensions?: number;
  /** SQL for the chunking argument. Default: recursive splitter, 200 / 20. */
  chunking?: string;
  /** SQL for the formatting argument. Default `$title: $chunk`. */
  formatting?: string;
  /** SQL for the destination argument. */
  destination?: string;
  batchSize?: number;
  concurrency?: number;
  apiKeyName?: string;
  name?: string;
}

/** Creates an OpenAI vectorizer on `table` and returns its id. */
export async function createVectorizer(sql: postgres.Sql, spec: VectorizerSpec): Promise<number> {
  const args = [
    `'${spec.table}'::regclass`,
    `loading => ai.loading_column('${spec.column ?? "body"}')`,
    `embedding => ai.embedding_openai('text-embedding-3-small', ${spec.dimensions ?? 8}, ` +
    `base_url => '${spec.baseUrl}/v1'` +
    (spec.apiKeyName ? `, api_key_name => '${spec.apiKeyName}'` : "") + ")",
    `chunking => ${spec.chunking ?? "ai.chunking_recursive_character_text_splitter(200, 20)"}`,
    `formatting => ${spec.formatting ?? "ai.formatting_python_template('$title: $chunk')"}`,
    `processing => ai.processing_default(batch_size => ${spec.batchSize ?? 10}, concurrency => ${
      spec.concurrency ?? 1
    })`,
  ];
  if (spec.destination) args.push(`destination => ${spec.destination}`);
  if (spec.name) args.push(`name => '${spec.name}'`);
  const [row] = await sql.unsafe<{ id: number }[]>(
    `select ai.create_vectorizer(${args.join(", ")}) as id`,
  );
  return row!.id;
}

/** The stored embeddings of a store table, ordered by id and chunk_seq. */
export async function storedChunks(
  sql: postgres.Sql,
  store: string,
): Promise<{ id: number; chunk_seq: number; chunk: string; embedding: number[] }[]> {
  const rows = await sql.unsafe<{ id: number; chunk_seq: number; chunk: string; e: string }[]>(
    `select id, chunk_seq, chunk, embedding::text as e from ${store} order by id, chunk_seq`,
  );
  return rows.map((r) => ({
    id: r.id,
    chunk_seq: r.chunk_seq,
    chunk: r.chunk,
    // pgvector prints float4 in its shortest form; reading it back as float4 is exact.
    embedding: (JSON.parse(r.e) as number[]).map(Math.fround),
  }));
}

/** Rows of the errors table (`ai._vectorizer_errors`), oldest first. */
export async function errorRows(
  sql: postgres.Sql,
): Promise<{ id: number; message: string; details: Record<string, unknown> }[]> {
  return [
    ...await sql<{ id: number; message: string; details: Record<string, unknown> }[]>`
    select id, message, details from ai._vectorizer_errors order by recorded, message, details::text`,
  ];
}

/** Number of rows in a table. */
export async function count(sql: postgres.Sql, table: string): Promise<number> {
  const [row] = await sql.unsafe<{ n: number }[]>(`select count(*)::int as n from ${table}`);
  return row!.n;
}

/** Polls `check` until it returns true (or throws after `timeoutMs`). */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A float32 vector as plain numbers (how pgvector's text form parses back). */
export function numbers(v: Float32Array): number[] {
  return Array.from(v);
}

/**
 * A TCP proxy in front of the test database: stopping it looks like a database that is down
 * (connection refused) and cuts every open connection, as a server restart does.
 */
export class TcpProxy {
  readonly port: number;
  readonly #target: { hostname: string; port: number };
  #listener: Deno.Listener | undefined;
  readonly #conns = new Set<Deno.Conn>();

  constructor(targetUrl: string, port = freePort()) {
    const u = new URL(targetUrl);
    this.#target = { hostname: u.hostname, port: Number(u.port || 5432) };
    this.port = port;
  }

  /** `targetUrl` with the proxy's port. */
  url(targetUrl: string): string {
    const u = new URL(targetUrl);
    u.port = String(this.port);
    return u.toString();
  }

  /** Starts accepting connections. */
  start(): void {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: this.port });
    this.#listener = listener;
    (async () => {
      for await (const client of listener) {
        this.#conns.add(client);
        Deno.connect(this.#target).then((server) => {
          this.#conns.add(server);
          const close = () => {
            for (const c of [client, server]) {
              this.#conns.delete(c);
              try {
                c.close();
              } catch { /* already closed */ }
            }
          };
          client.readable.pipeTo(server.writable).catch(() => {}).finally(close);
          server.readable.pipeTo(client.writable).catch(() => {}).finally(close);
        }, () => client.close());
      }
    })().catch(() => {});
  }

  /** Stops accepting and cuts every proxied connection. */
  stop(): void {
    this.#listener?.close();
    this.#listener = undefined;
    for (const c of this.#conns) {
      try {
        c.close();
      } catch { /* already closed */ }
    }
    this.#conns.clear();
  }
}

/** A TCP port that was free a moment ago. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}
