/**
 * The vectorizer as the worker sees it: the `to_jsonb(ai.vectorizer)` row, migrated from older
 * config formats (contract §5) and validated (§4.1) into typed settings.
 *
 * Validation is lax like pgai's pydantic models (`"12"` is accepted for 12, unknown keys are
 * ignored) but names the offending field. Deliberate differences from pgai 0.12.1 (contract §7.10):
 * `processing.concurrency` is accepted up to 50 as the SQL API allows, `parsing_docling` is accepted
 * (documents that need it fail per row with a clear "not supported yet"), and a chunk overlap larger
 * than the chunk size is reported when the vectorizer is loaded instead of on every batch.
 */
import { compareVersions, isSemver } from "./semver.ts";

/** One primary-key column of the source table (`ai.vectorizer.source_pk` element). */
export interface PkAttribute {
  attname: string;
  /** 1-based position in the primary key constraint. */
  pknum: number;
  /** Column number in the source table. */
  attnum: number;
}

/** `config.loading`. */
export type LoadingConfig =
  | { implementation: "column"; column_name: string; retries: number }
  | { implementation: "uri"; column_name: string; retries: number; aws_role_arn?: string };

/** `config.parsing`. */
export interface ParsingConfig {
  implementation: "none" | "auto" | "pymupdf" | "docling";
}

/** `config.chunking` (same shape as the chunking stage's config). */
export type ChunkingConfig =
  | { implementation: "none" }
  | {
    implementation: "character_text_splitter";
    separator: string;
    chunk_size: number;
    chunk_overlap: number;
    is_separator_regex: boolean;
  }
  | {
    implementation: "recursive_character_text_splitter";
    separators: string[];
    chunk_size: number;
    chunk_overlap: number;
    is_separator_regex: boolean;
  };

/** `config.formatting`. */
export type FormattingConfig =
  | { implementation: "python_template"; template: string }
  | { implementation: "chunk_value" };

/** `config.processing`. */
export interface ProcessingConfig {
  /** Rows per batch; undefined = pgai's default for the loading implementation. */
  batch_size?: number;
  /** Executors per vectorizer; undefined = not set in the config (see the executor's default). */
  concurrency?: number;
}

/** `config.destination`. */
export type DestinationConfig =
  | { implementation: "table"; target_schema: string; target_table: string }
  | { implementation: "column"; embedding_column: string };

/** `config.embedding`: validated only as far as the worker needs; the embedder checks the rest. */
export interface EmbeddingSettings {
  implementation: string;
  [key: string]: unknown;
}

/** The validated `config` of a vectorizer. */
export interface VectorizerConfig {
  version: string;
  loading: LoadingConfig;
  parsing: ParsingConfig;
  embedding: EmbeddingSettings;
  chunking: ChunkingConfig;
  formatting: FormattingConfig;
  processing: ProcessingConfig;
  destination: DestinationConfig;
}

/** A vectorizer row, validated. */
export interface Vectorizer {
  id: number;
  /** `name` (pgai ≥ 0.10), else a readable stand-in. */
  name: string;
  sourceSchema: string;
  sourceTable: string;
  /** Primary key columns in stored array order (lock keys and join predicates use this order). */
  sourcePk: PkAttribute[];
  queueSchema: string;
  queueTable: string;
  /** Failed-queue table (pgai ≥ 0.10), else null. */
  queueFailedTable: string | null;
  /** `disabled` column value (false when the column does not exist). */
  disabled: boolean;
  config: VectorizerConfig;
}

/** Raised when a vectorizer row or its config cannot be used; names the field at fault. */
export class VectorizerConfigError extends Error {
  /** The vectorizer the row belongs to, when known. */
  readonly vectorizerId: number | undefined;
  constructor(message: string, vectorizerId?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = "VectorizerConfigError";
    this.vectorizerId = vectorizerId;
  }
}

/** A config migration that was applied, for the log line pgai writes (contract §1.7). */
export interface AppliedMigration {
  from: string;
  to: string;
  description: string;
}

/** Result of {@link migrateVectorizerRow}. */
export interface MigrationResult {
  row: Record<string, unknown>;
  applied: AppliedMigration[];
  /** pgai's warnings for configs that cannot be migrated (missing `config` / `version`). */
  warnings: string[];
}

const MIGRATION_0_10_0: AppliedMigration["description"] =
  "Migrate from no loading config to column_config, add parsing none, use proper chunking config";

/**
 * Brings a vectorizer row from the extension era (config version < 0.10.0) to the 0.10.0 format
 * (contract §5). Returns a new row; the input is not modified. Never writes to the database.
 */
export function migrateVectorizerRow(input: Record<string, unknown>): MigrationResult {
  const warnings: string[] = [];
  const config = input.config;
  if (!isObject(config)) {
    warnings.push("Unable to migrate configuration: 'config' field missing");
    return { row: input, applied: [], warnings };
  }
  const version = config.version;
  if (typeof version !== "string") {
    warnings.push("Unable to migrate configuration: 'version' field missing");
    return { row: input, applied: [], warnings };
  }
  const base = version.replace(/-dev$/, "");
  if (!isSemver(base) || compareVersions(base, "0.10.0") >= 0) {
    return { row: input, applied: [], warnings };
  }
  const chunking = isObject(config.chunking) ? config.chunking : {};
  const newChunking: Record<string, unknown> = { implementation: chunking.implementation };
  for (
    const key of ["separator", "separators", "chunk_size", "chunk_overlap", "is_separator_regex"]
  ) {
    if (key in chunking) newChunking[key] = chunking[key];
  }
  const migrated: Record<string, unknown> = {
    ...config,
    loading: { implementation: "column", column_name: chunking.chunk_column, retries: 6 },
    parsing: { implementation: "none" },
    chunking: newChunking,
    destination: {
      implementation: "table",
      target_schema: input.target_schema,
      target_table: input.target_table,
    },
    version: "0.10.0",
    original_version: base,
  };
  return {
    row: { ...input, config: migrated },
    applied: [{ from: base, to: "0.10.0", description: MIGRATION_0_10_0 }],
    warnings,
  };
}

/**
 * Validates a (migrated) `to_jsonb(ai.vectorizer)` row.
 * @throws VectorizerConfigError naming the field at fault
 */
export function parseVectorizer(row: unknown): Vectorizer {
  if (!isObject(row)) throw new VectorizerConfigError("vectorizer row is not a JSON object");
  const rawId = row.id;
  const id = typeof rawId === "number" && Number.isInteger(rawId) ? rawId : undefined;
  const v = new Validator(id);
  const vid = v.int(row.id, "id");
  const sourcePk = v.list(row.source_pk, "source_pk").map((pk, i) => {
    const path = `source_pk[${i}]`;
    const o = v.object(pk, path);
    return {
      attname: v.str(o.attname, `${path}.attname`),
      pknum: v.int(o.pknum, `${path}.pknum`),
      attnum: v.int(o.attnum, `${path}.attnum`),
    };
  });
  if (sourcePk.length === 0) v.fail("source_pk", "must name at least one column");
  const sourceSchema = v.str(row.source_schema, "source_schema");
  const sourceTable = v.str(row.source_table, "source_table");
  return {
    id: vid,
    name: typeof row.name === "string" ? row.name : `${sourceSchema}.${sourceTable}`,
    sourceSchema,
    sourceTable,
    sourcePk,
    queueSchema: v.str(row.queue_schema, "queue_schema"),
    queueTable: v.str(row.queue_table, "queue_table"),
    queueFailedTable: row.queue_failed_table == null
      ? null
      : v.str(row.queue_failed_table, "queue_failed_table"),
    disabled: row.disabled == null ? false : v.bool(row.disabled, "disabled"),
    config: parseConfig(v, v.object(row.config, "config")),
  };
}

function parseConfig(v: Validator, c: Record<string, unknown>): VectorizerConfig {
  const loading = parseLoading(v, v.object(c.loading, "config.loading"));
  const parsing = c.parsing == null
    ? { implementation: "auto" as const }
    : parseParsing(v, v.object(c.parsing, "config.parsing"));
  const chunking = parseChunking(v, v.object(c.chunking, "config.chunking"));
  const destination = parseDestination(v, v.object(c.destination, "config.destination"));
  if (destination.implementation === "column" && chunking.implementation !== "none") {
    v.fail(
      "config.chunking",
      "a column destination needs chunking 'none' (one embedding per row)",
    );
  }
  if (loading.implementation === "uri" && parsing.implementation === "none") {
    v.fail(
      "config.parsing",
      "uri loading yields documents, which parsing 'none' cannot handle; use parsing_auto",
    );
  }
  const embedding = v.object(c.embedding, "config.embedding");
  return {
    version: v.str(c.version, "config.version"),
    loading,
    parsing,
    embedding: {
      ...embedding,
      implementation: v.str(embedding.implementation, "config.embedding.implementation"),
    },
    chunking,
    formatting: parseFormatting(v, v.object(c.formatting, "config.formatting")),
    processing: parseProcessing(v, v.object(c.processing, "config.processing")),
    destination,
  };
}

function parseLoading(v: Validator, o: Record<string, unknown>): LoadingConfig {
  const impl = v.oneOf(o.implementation, "config.loading.implementation", ["column", "uri"]);
  const column_name = v.str(o.column_name, "config.loading.column_name");
  const retries = o.retries == null ? 6 : v.int(o.retries, "config.loading.retries", 0);
  if (impl === "column") return { implementation: "column", column_name, retries };
  const out: LoadingConfig = { implementation: "uri", column_name, retries };
  if (o.aws_role_arn != null) {
    out.aws_role_arn = v.str(o.aws_role_arn, "config.loading.aws_role_arn");
  }
  return out;
}

function parseParsing(v: Validator, o: Record<string, unknown>): ParsingConfig {
  return {
    implementation: v.oneOf(o.implementation, "config.parsing.implementation", [
      "none",
      "auto",
      "pymupdf",
      "docling",
    ]),
  };
}

function parseChunking(v: Validator, o: Record<string, unknown>): ChunkingConfig {
  const impl = v.oneOf(o.implementation, "config.chunking.implementation", [
    "none",
    "character_text_splitter",
    "recursive_character_text_splitter",
  ]);
  if (impl === "none") return { implementation: "none" };
  const chunk_size = v.int(o.chunk_size, "config.chunking.chunk_size");
  const chunk_overlap = v.int(o.chunk_overlap, "config.chunking.chunk_overlap");
  const is_separator_regex = v.bool(o.is_separator_regex, "config.chunking.is_separator_regex");
  if (chunk_overlap > chunk_size) {
    // LangChain's own text, which pgai records for every batch (contract §4.4).
    v.fail(
      "config.chunking",
      `Got a larger chunk overlap (${chunk_overlap}) than chunk size (${chunk_size}), should be smaller.`,
    );
  }
  if (impl === "character_text_splitter") {
    return {
      implementation: impl,
      separator: v.str(o.separator, "config.chunking.separator"),
      chunk_size,
      chunk_overlap,
      is_separator_regex,
    };
  }
  const separators = v.list(o.separators, "config.chunking.separators").map((s, i) =>
    v.str(s, `config.chunking.separators[${i}]`)
  );
  return { implementation: impl, separators, chunk_size, chunk_overlap, is_separator_regex };
}

function parseFormatting(v: Validator, o: Record<string, unknown>): FormattingConfig {
  const impl = v.oneOf(o.implementation, "config.formatting.implementation", [
    "python_template",
    "chunk_value",
  ]);
  if (impl === "chunk_value") return { implementation: "chunk_value" };
  return { implementation: impl, template: v.str(o.template, "config.formatting.template") };
}

function parseProcessing(v: Validator, o: Record<string, unknown>): ProcessingConfig {
  v.oneOf(o.implementation ?? "default", "config.processing.implementation", ["default"]);
  const out: ProcessingConfig = {};
  if (o.concurrency != null) {
    out.concurrency = v.int(o.concurrency, "config.processing.concurrency", 1, 50);
  }
  if (o.batch_size != null) {
    // pgai clamps the batch size instead of rejecting it (contract §3.2).
    out.batch_size = Math.min(
      2048,
      Math.max(1, v.int(o.batch_size, "config.processing.batch_size")),
    );
  }
  return out;
}

function parseDestination(v: Validator, o: Record<string, unknown>): DestinationConfig {
  const impl = v.oneOf(o.implementation, "config.destination.implementation", ["table", "column"]);
  if (impl === "column") {
    return {
      implementation: "column",
      embedding_column: v.str(o.embedding_column, "config.destination.embedding_column"),
    };
  }
  return {
    implementation: "table",
    target_schema: v.str(o.target_schema, "config.destination.target_schema"),
    target_table: v.str(o.target_table, "config.destination.target_table"),
  };
}

/** pgai's default rows per batch (contract §3.2): 1 for uri loading, 50 otherwise. */
export function batchSize(config: VectorizerConfig): number {
  return config.processing.batch_size ?? (config.loading.implementation === "uri" ? 1 : 50);
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** Lax field readers that raise {@link VectorizerConfigError} with the field's path. */
class Validator {
  constructor(private readonly id: number | undefined) {}

  fail(path: string, problem: string): never {
    const who = this.id === undefined ? "vectorizer" : `vectorizer ${this.id}`;
    throw new VectorizerConfigError(`invalid ${who}: ${path}: ${problem}`, this.id);
  }

  object(x: unknown, path: string): Record<string, unknown> {
    if (x == null) this.fail(path, "is required");
    if (!isObject(x)) this.fail(path, `must be an object, got ${JSON.stringify(x)}`);
    return x;
  }

  list(x: unknown, path: string): unknown[] {
    if (x == null) this.fail(path, "is required");
    if (!Array.isArray(x)) this.fail(path, `must be a list, got ${JSON.stringify(x)}`);
    return x;
  }

  str(x: unknown, path: string): string {
    if (x == null) this.fail(path, "is required");
    if (typeof x !== "string") this.fail(path, `must be a string, got ${JSON.stringify(x)}`);
    return x;
  }

  int(x: unknown, path: string, min?: number, max?: number): number {
    if (x == null) this.fail(path, "is required");
    let n: number | undefined;
    if (typeof x === "number" && Number.isInteger(x)) n = x;
    else if (typeof x === "string" && /^\s*[+-]?\d+\s*$/.test(x)) n = Number(x);
    if (n === undefined) this.fail(path, `must be an integer, got ${JSON.stringify(x)}`);
    if ((min !== undefined && n < min) || (max !== undefined && n > max)) {
      const range = max === undefined ? `>= ${min}` : `between ${min} and ${max}`;
      this.fail(path, `must be ${range}, got ${n}`);
    }
    return n;
  }

  bool(x: unknown, path: string): boolean {
    if (typeof x === "boolean") return x;
    if (x === 0 || x === 1) return x === 1;
    if (typeof x === "string") {
      const s = x.trim().toLowerCase();
      if (["1", "true", "t", "yes", "y", "on"].includes(s)) return true;
      if (["0", "false", "f", "no", "n", "off"].includes(s)) return false;
    }
    if (x == null) this.fail(path, "is required");
    return this.fail(path, `must be a boolean, got ${JSON.stringify(x)}`);
  }

  oneOf<T extends string>(x: unknown, path: string, allowed: readonly T[]): T {
    if (x == null) this.fail(path, "is required");
    if (typeof x !== "string" || !(allowed as readonly string[]).includes(x)) {
      this.fail(
        path,
        `must be one of ${allowed.map((a) => `'${a}'`).join(", ")}, got ${JSON.stringify(x)}`,
      );
    }
    return x as T;
  }
}
