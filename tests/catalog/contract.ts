/**
 * Facts about pgai 0.12.1's catalog, transcribed from the contract (shared/contract/catalog.md
 * §1.3, §2, §3) into the forms PostgreSQL prints them in (format_type, pg_get_function_arguments),
 * so the tests can compare an installed database with them row by row.
 */

/** One column: name, format_type, NOT NULL, default expression as pg_get_expr prints it. */
export interface ColumnFact {
  name: string;
  type: string;
  notNull: boolean;
  default: string | null;
}

const col = (name: string, type: string, notNull: boolean, def: string | null = null) => ({
  name,
  type,
  notNull,
  default: def,
});

/** Tables of schema `ai` after a fresh install, columns in physical order (§1.3, §2). */
export const TABLES: Record<string, ColumnFact[]> = {
  pgai_lib_migration: [
    col("name", "text", true),
    col("applied_at_version", "text", true),
    col("applied_at", "timestamp with time zone", true, "clock_timestamp()"),
    col("body", "text", true),
  ],
  pgai_lib_version: [
    col("name", "text", true),
    col("version", "text", true),
    col("installed_at", "timestamp with time zone", true, "clock_timestamp()"),
  ],
  pgai_lib_feature_flag: [
    col("name", "text", true),
    col("applied_at_version", "text", true),
    col("applied_at", "timestamp with time zone", true, "clock_timestamp()"),
  ],
  vectorizer: [
    col("id", "integer", true),
    col("source_schema", "name", true),
    col("source_table", "name", true),
    col("source_pk", "jsonb", true),
    col("trigger_name", "name", true),
    col("queue_schema", "name", false),
    col("queue_table", "name", false),
    col("config", "jsonb", true),
    col("disabled", "boolean", true, "false"),
    col("queue_failed_table", "name", false),
    col("name", "name", true),
  ],
  _vectorizer_errors: [
    col("id", "integer", true),
    col("message", "text", false),
    col("details", "jsonb", false),
    col("recorded", "timestamp with time zone", true, "now()"),
  ],
  vectorizer_worker_process: [
    col("id", "uuid", true, "gen_random_uuid()"),
    col("version", "text", true),
    col("started", "timestamp with time zone", true, "now()"),
    col("expected_heartbeat_interval", "interval", true),
    col("last_heartbeat", "timestamp with time zone", true, "now()"),
    col("heartbeat_count", "integer", true, "0"),
    col("error_count", "integer", true, "0"),
    col("success_count", "integer", true, "0"),
    col("last_error_at", "timestamp with time zone", false),
    col("last_error_message", "text", false),
  ],
  vectorizer_worker_progress: [
    col("vectorizer_id", "integer", true),
    col("success_count", "integer", true, "0"),
    col("error_count", "integer", true, "0"),
    col("last_success_at", "timestamp with time zone", false),
    col("last_success_process_id", "uuid", false),
    col("last_error_at", "timestamp with time zone", false),
    col("last_error_message", "text", false),
    col("last_error_process_id", "uuid", false),
  ],
};

/** Views of schema `ai` and their columns (§2.2, §2.5). */
export const VIEWS: Record<string, { name: string; type: string }[]> = {
  vectorizer_errors: [
    { name: "id", type: "integer" },
    { name: "message", type: "text" },
    { name: "details", type: "jsonb" },
    { name: "recorded", type: "timestamp with time zone" },
    { name: "name", type: "name" },
  ],
  vectorizer_status: [
    { name: "id", type: "integer" },
    { name: "name", type: "name" },
    { name: "source_table", type: "text" },
    { name: "target_table", type: "text" },
    { name: "view", type: "text" },
    { name: "embedding_column", type: "text" },
    { name: "pending_items", type: "bigint" },
    { name: "disabled", type: "boolean" },
  ],
};

/** Constraints: table -> "name type definition" as pg_get_constraintdef prints it. */
export const CONSTRAINTS: Record<string, string[]> = {
  pgai_lib_migration: ["pgai_lib_migration_pkey p PRIMARY KEY (name)"],
  pgai_lib_version: ["pgai_lib_version_pkey p PRIMARY KEY (name)"],
  pgai_lib_feature_flag: ["pgai_lib_feature_flag_pkey p PRIMARY KEY (name)"],
  vectorizer: [
    "vectorizer_name_check c CHECK ((name ~ '^[a-z][a-z_0-9]*$'::text))",
    "vectorizer_name_unique u UNIQUE (name)",
    "vectorizer_pkey p PRIMARY KEY (id)",
  ],
  _vectorizer_errors: [
    "vectorizer_errors_id_fkey f FOREIGN KEY (id) REFERENCES ai.vectorizer(id) ON DELETE CASCADE",
  ],
  vectorizer_worker_process: ["vectorizer_worker_process_pkey p PRIMARY KEY (id)"],
  vectorizer_worker_progress: [
    "vectorizer_worker_progress_pkey p PRIMARY KEY (vectorizer_id)",
    "vectorizer_worker_progress_vectorizer_id_fkey f FOREIGN KEY (vectorizer_id) REFERENCES ai.vectorizer(id) ON DELETE CASCADE",
  ],
};

/** Every index of schema `ai` after a fresh install: name -> indexed columns. */
export const INDEXES: Record<string, string> = {
  pgai_lib_migration_pkey: "name",
  pgai_lib_version_pkey: "name",
  pgai_lib_feature_flag_pkey: "name",
  vectorizer_pkey: "id",
  vectorizer_name_unique: "name",
  _vectorizer_errors_id_recorded_idx: "id, recorded",
  vectorizer_worker_process_pkey: "id",
  vectorizer_worker_process_last_heartbeat_idx: "last_heartbeat",
  vectorizer_worker_progress_pkey: "vectorizer_id",
};

/** The migration names recorded by a fresh install (§1.3 minus 031, see §1.6). */
export const MIGRATION_NAMES = [
  "001-vectorizer.sql",
  "003-vec-storage.sql",
  "005-vectorizer-queue-pending.sql",
  "006-drop-vectorizer.sql",
  "012-add-vectorizer-disabled-column.sql",
  "017-upgrade-source-pk.sql",
  "018-drop-foreign-key-constraint.sql",
  "019-drop-truncate-from-vectorizer-config-lib.sql",
  "020-add-worker-tracking-table.sql",
  "021-drop-create-vectorizer-old-function.sql",
  "022-migrate-existing-vectorizers-to-loading.sql",
  "023-migrate-vectorizer-queue-tables.sql",
  "024-add-vectorizer-queue-failed-table.sql",
  "025-migrate-vectorizer-to-have-queue-failed-table.sql",
  "026-change_trigger_definition.sql",
  "027-drop-loading-uri-old-signature.sql",
  "028-remove-destination-columns.sql",
  "029-add-vectorizer-name-column.sql",
  "030-add_vectorizer_errors_view.sql",
];

/** A function of schema `ai`: arguments as pg_get_function_arguments prints them. */
export interface FunctionFact {
  name: string;
  args: string;
  returns: string;
  /** i(mmutable), s(table), v(olatile) */
  volatility: "i" | "s" | "v";
  kind?: "f" | "p";
}

const fn = (
  name: string,
  args: string,
  returns: string,
  volatility: "i" | "s" | "v",
): FunctionFact => ({ name, args, returns, volatility });

const jsonbHelper = (name: string, args = "") => fn(name, args, "jsonb", "i");

/** Public functions (§3.1). Vector types print as `vector` because pgvector is in `public`. */
export const PUBLIC_FUNCTIONS: FunctionFact[] = [
  fn(
    "create_vectorizer",
    "source regclass, name text DEFAULT NULL::text, destination jsonb DEFAULT ai.destination_table(), " +
      "loading jsonb DEFAULT NULL::jsonb, parsing jsonb DEFAULT ai.parsing_auto(), " +
      "embedding jsonb DEFAULT NULL::jsonb, " +
      "chunking jsonb DEFAULT ai.chunking_recursive_character_text_splitter(), " +
      "indexing jsonb DEFAULT ai.indexing_default(), " +
      "formatting jsonb DEFAULT ai.formatting_python_template(), " +
      "scheduling jsonb DEFAULT ai.scheduling_default(), " +
      "processing jsonb DEFAULT ai.processing_default(), queue_schema name DEFAULT NULL::name, " +
      "queue_table name DEFAULT NULL::name, grant_to name[] DEFAULT ai.grant_to(), " +
      "enqueue_existing boolean DEFAULT true, if_not_exists boolean DEFAULT false",
    "integer",
    "v",
  ),
  fn("drop_vectorizer", "vectorizer_id integer, drop_all boolean DEFAULT false", "void", "v"),
  fn("drop_vectorizer", "name text, drop_all boolean DEFAULT false", "void", "v"),
  fn("disable_vectorizer_schedule", "vectorizer_id integer", "void", "v"),
  fn("disable_vectorizer_schedule", "name text", "void", "v"),
  fn("enable_vectorizer_schedule", "vectorizer_id integer", "void", "v"),
  fn("enable_vectorizer_schedule", "name text", "void", "v"),
  fn(
    "vectorizer_queue_pending",
    "vectorizer_id integer, exact_count boolean DEFAULT false",
    "bigint",
    "s",
  ),
  fn("vectorizer_queue_pending", "name text, exact_count boolean DEFAULT false", "bigint", "s"),
  fn(
    "vectorizer_embed",
    "embedding_config jsonb, input_text text, input_type text DEFAULT NULL::text",
    "vector",
    "i",
  ),
  fn(
    "vectorizer_embed",
    "vectorizer_id integer, input_text text, input_type text DEFAULT NULL::text",
    "vector",
    "s",
  ),
  fn(
    "vectorizer_embed",
    "name text, input_text text, input_type text DEFAULT NULL::text",
    "vector",
    "s",
  ),
  fn("execute_vectorizer", "vectorizer_name text", "void", "v"),
  fn(
    "set_scheduling",
    "vectorizer_id integer, scheduling jsonb DEFAULT ai.scheduling_default(), " +
      "indexing jsonb DEFAULT ai.indexing_default()",
    "jsonb",
    "v",
  ),
  fn("grant_to", "VARIADIC grantees name[]", "name[]", "v"),
  fn("grant_to", "", "name[]", "v"),
  fn("grant_vectorizer_usage", "to_user name, admin boolean DEFAULT false", "void", "v"),
  jsonbHelper("loading_column", "column_name name, retries integer DEFAULT 6"),
  jsonbHelper(
    "loading_uri",
    "column_name name, retries integer DEFAULT 6, aws_role_arn text DEFAULT NULL::text",
  ),
  jsonbHelper("parsing_auto"),
  jsonbHelper("parsing_none"),
  jsonbHelper("parsing_pymupdf"),
  jsonbHelper("parsing_docling"),
  jsonbHelper("chunking_none"),
  jsonbHelper(
    "chunking_character_text_splitter",
    "chunk_size integer DEFAULT 800, chunk_overlap integer DEFAULT 400, " +
      "separator text DEFAULT '\n\n'::text, is_separator_regex boolean DEFAULT false",
  ),
  jsonbHelper(
    "chunking_recursive_character_text_splitter",
    "chunk_size integer DEFAULT 800, chunk_overlap integer DEFAULT 400, " +
      "separators text[] DEFAULT ARRAY['\n\n'::text, '\n'::text, '.'::text, '?'::text, " +
      "'!'::text, ' '::text, ''::text], is_separator_regex boolean DEFAULT false",
  ),
  jsonbHelper("formatting_python_template", "template text DEFAULT '$chunk'::text"),
  jsonbHelper(
    "embedding_openai",
    "model text, dimensions integer, chat_user text DEFAULT NULL::text, " +
      "api_key_name text DEFAULT 'OPENAI_API_KEY'::text, base_url text DEFAULT NULL::text",
  ),
  jsonbHelper(
    "embedding_ollama",
    "model text, dimensions integer, base_url text DEFAULT NULL::text, " +
      "options jsonb DEFAULT NULL::jsonb, keep_alive text DEFAULT NULL::text",
  ),
  jsonbHelper(
    "embedding_voyageai",
    "model text, dimensions integer, input_type text DEFAULT 'document'::text, " +
      "api_key_name text DEFAULT 'VOYAGE_API_KEY'::text",
  ),
  jsonbHelper(
    "embedding_litellm",
    "model text, dimensions integer, api_key_name text DEFAULT NULL::text, " +
      "extra_options jsonb DEFAULT NULL::jsonb",
  ),
  jsonbHelper("indexing_none"),
  jsonbHelper("indexing_default"),
  jsonbHelper(
    "indexing_diskann",
    "min_rows integer DEFAULT 100000, storage_layout text DEFAULT NULL::text, " +
      "num_neighbors integer DEFAULT NULL::integer, search_list_size integer DEFAULT NULL::integer, " +
      "max_alpha double precision DEFAULT NULL::double precision, " +
      "num_dimensions integer DEFAULT NULL::integer, " +
      "num_bits_per_dimension integer DEFAULT NULL::integer, create_when_queue_empty boolean DEFAULT true",
  ),
  jsonbHelper(
    "indexing_hnsw",
    "min_rows integer DEFAULT 100000, opclass text DEFAULT 'vector_cosine_ops'::text, " +
      "m integer DEFAULT NULL::integer, ef_construction integer DEFAULT NULL::integer, " +
      "create_when_queue_empty boolean DEFAULT true",
  ),
  jsonbHelper("scheduling_none"),
  jsonbHelper("scheduling_default"),
  jsonbHelper(
    "scheduling_timescaledb",
    "schedule_interval interval DEFAULT '00:05:00'::interval, " +
      "initial_start timestamp with time zone DEFAULT NULL::timestamp with time zone, " +
      "fixed_schedule boolean DEFAULT NULL::boolean, timezone text DEFAULT NULL::text",
  ),
  jsonbHelper(
    "processing_default",
    "batch_size integer DEFAULT NULL::integer, concurrency integer DEFAULT NULL::integer",
  ),
  jsonbHelper(
    "destination_table",
    "destination name DEFAULT NULL::name, target_schema name DEFAULT NULL::name, " +
      "target_table name DEFAULT NULL::name, view_schema name DEFAULT NULL::name, " +
      "view_name name DEFAULT NULL::name",
  ),
  jsonbHelper("destination_column", "embedding_column name"),
  fn("_worker_start", "version text, expected_heartbeat_interval interval", "uuid", "v"),
  fn(
    "_worker_heartbeat",
    "worker_id uuid, num_successes_since_last_heartbeat integer, " +
      "num_errors_since_last_heartbeat integer, error_message text",
    "void",
    "v",
  ),
  fn(
    "_worker_progress",
    "worker_id uuid, worker_vectorizer_id integer, num_successes integer, error_message text",
    "void",
    "v",
  ),
];

/**
 * Internal functions (§3.10): identity argument types and result. Names and volatility of the
 * internals are not part of the contract, only their argument types.
 */
export const INTERNAL_FUNCTIONS: { name: string; types: string; returns: string }[] = [
  { name: "_validate_chunking", types: "jsonb", returns: "void" },
  { name: "_validate_destination", types: "jsonb, jsonb", returns: "void" },
  { name: "_validate_destination_can_create_objects", types: "jsonb", returns: "void" },
  { name: "_validate_embedding", types: "jsonb", returns: "void" },
  { name: "_validate_formatting", types: "jsonb, name, name", returns: "void" },
  { name: "_validate_formatting_python_template", types: "jsonb, name, name", returns: "void" },
  { name: "_validate_indexing", types: "jsonb", returns: "void" },
  { name: "_validate_indexing_diskann", types: "jsonb", returns: "void" },
  { name: "_validate_indexing_hnsw", types: "jsonb", returns: "void" },
  { name: "_validate_loading", types: "jsonb, name, name", returns: "void" },
  { name: "_validate_parsing", types: "jsonb, jsonb, name, name", returns: "void" },
  { name: "_validate_processing", types: "jsonb", returns: "void" },
  { name: "_validate_scheduling", types: "jsonb", returns: "void" },
  { name: "_evaluate_destination", types: "jsonb, name, name", returns: "jsonb" },
  { name: "_resolve_indexing_default", types: "", returns: "jsonb" },
  { name: "_resolve_scheduling_default", types: "", returns: "jsonb" },
  { name: "_vectorizer_source_pk", types: "regclass", returns: "jsonb" },
  { name: "_vectorizer_grant_to_source", types: "name, name, name[]", returns: "void" },
  { name: "_vectorizer_grant_to_vectorizer", types: "name[]", returns: "void" },
  {
    name: "_vectorizer_create_destination_table",
    types: "name, name, jsonb, integer, jsonb, name[]",
    returns: "void",
  },
  {
    name: "_vectorizer_create_destination_column",
    types: "name, name, integer, jsonb",
    returns: "void",
  },
  { name: "_vectorizer_add_embedding_column", types: "name, name, integer, name", returns: "void" },
  {
    name: "_vectorizer_create_target_table",
    types: "jsonb, name, name, integer, name[]",
    returns: "void",
  },
  {
    name: "_vectorizer_create_view",
    types: "name, name, name, name, jsonb, name, name, name[]",
    returns: "void",
  },
  { name: "_vectorizer_create_queue_table", types: "name, name, jsonb, name[]", returns: "void" },
  {
    name: "_vectorizer_create_queue_failed_table",
    types: "name, name, jsonb, name[]",
    returns: "void",
  },
  {
    name: "_vectorizer_build_trigger_definition",
    types: "name, name, name, name, name, name, jsonb",
    returns: "text",
  },
  {
    name: "_vectorizer_create_source_trigger",
    types: "name, name, name, name, name, name, name, jsonb",
    returns: "void",
  },
  { name: "_vectorizer_vector_index_exists", types: "name, name, jsonb, name", returns: "boolean" },
  { name: "_vectorizer_should_create_vector_index", types: "ai.vectorizer", returns: "boolean" },
  { name: "_vectorizer_create_vector_index", types: "name, name, jsonb, name", returns: "void" },
  { name: "_vectorizer_schedule_job", types: "integer, jsonb", returns: "bigint" },
  { name: "_vectorizer_job", types: "integer, jsonb", returns: "" },
];

/** Named parameters of the §3.10 internals that the contract spells out. */
export const INTERNAL_ARGUMENTS: Record<string, string> = {
  _vectorizer_create_target_table:
    "source_pk jsonb, target_schema name, target_table name, dimensions integer, grant_to name[]",
  _vectorizer_create_view:
    "view_schema name, view_name name, source_schema name, source_table name, source_pk jsonb, " +
    "target_schema name, target_table name, grant_to name[]",
  _vectorizer_create_queue_table:
    "queue_schema name, queue_table name, source_pk jsonb, grant_to name[]",
  _vectorizer_create_queue_failed_table:
    "queue_schema name, queue_failed_table name, source_pk jsonb, grant_to name[]",
  _vectorizer_build_trigger_definition:
    "queue_schema name, queue_table name, target_schema name, target_table name, " +
    "source_schema name, source_table name, source_pk jsonb",
  _vectorizer_create_source_trigger:
    "trigger_name name, queue_schema name, queue_table name, source_schema name, " +
    "source_table name, target_schema name, target_table name, source_pk jsonb",
  _vectorizer_vector_index_exists:
    "target_schema name, target_table name, indexing jsonb, column_name name DEFAULT 'embedding'::name",
  _vectorizer_create_vector_index:
    "target_schema name, target_table name, indexing jsonb, column_name name DEFAULT 'embedding'::name",
  _vectorizer_job: "IN job_id integer DEFAULT NULL::integer, IN config jsonb DEFAULT NULL::jsonb",
  _validate_parsing: "parsing jsonb, loading jsonb, source_schema name, source_table name",
  _validate_destination: "destination jsonb, chunking jsonb",
};

/** Config helper calls and their exact outputs (§3.2), as jsonb text. */
export const HELPER_OUTPUTS: [call: string, output: string][] = [
  [
    "ai.loading_column('body')",
    `{"retries": 6, "column_name": "body", "config_type": "loading", "implementation": "column"}`,
  ],
  [
    "ai.loading_uri('url')",
    `{"retries": 6, "column_name": "url", "config_type": "loading", "implementation": "uri"}`,
  ],
  [
    "ai.loading_uri('url', 3, 'arn:aws:iam::123456789012:role/r')",
    `{"retries": 3, "column_name": "url", "config_type": "loading", "aws_role_arn": "arn:aws:iam::123456789012:role/r", "implementation": "uri"}`,
  ],
  ["ai.parsing_auto()", `{"config_type": "parsing", "implementation": "auto"}`],
  ["ai.parsing_none()", `{"config_type": "parsing", "implementation": "none"}`],
  ["ai.parsing_pymupdf()", `{"config_type": "parsing", "implementation": "pymupdf"}`],
  ["ai.parsing_docling()", `{"config_type": "parsing", "implementation": "docling"}`],
  ["ai.chunking_none()", `{"config_type": "chunking", "implementation": "none"}`],
  [
    "ai.chunking_character_text_splitter()",
    `{"separator": "\\n\\n", "chunk_size": 800, "config_type": "chunking", "chunk_overlap": 400, "implementation": "character_text_splitter", "is_separator_regex": false}`,
  ],
  [
    "ai.chunking_recursive_character_text_splitter()",
    `{"chunk_size": 800, "separators": ["\\n\\n", "\\n", ".", "?", "!", " ", ""], "config_type": "chunking", "chunk_overlap": 400, "implementation": "recursive_character_text_splitter", "is_separator_regex": false}`,
  ],
  [
    "ai.formatting_python_template('$title: $chunk')",
    `{"template": "$title: $chunk", "config_type": "formatting", "implementation": "python_template"}`,
  ],
  [
    "ai.embedding_openai('text-embedding-3-small', 768)",
    `{"model": "text-embedding-3-small", "dimensions": 768, "config_type": "embedding", "api_key_name": "OPENAI_API_KEY", "implementation": "openai"}`,
  ],
  [
    "ai.embedding_openai('m', 1536, chat_user=>'bob', api_key_name=>'MY_KEY', base_url=>'http://x/v1')",
    `{"user": "bob", "model": "m", "base_url": "http://x/v1", "dimensions": 1536, "config_type": "embedding", "api_key_name": "MY_KEY", "implementation": "openai"}`,
  ],
  [
    "ai.embedding_openai('m', 1536, api_key_name=>null)",
    `{"model": "m", "dimensions": 1536, "config_type": "embedding", "implementation": "openai"}`,
  ],
  [
    "ai.embedding_ollama('nomic-embed-text', 768)",
    `{"model": "nomic-embed-text", "dimensions": 768, "config_type": "embedding", "implementation": "ollama"}`,
  ],
  [
    `ai.embedding_ollama('nomic-embed-text', 768, base_url=>'http://ollama:11434', options=>'{"num_ctx":1024}', keep_alive=>'10m')`,
    `{"model": "nomic-embed-text", "options": {"num_ctx": 1024}, "base_url": "http://ollama:11434", "dimensions": 768, "keep_alive": "10m", "config_type": "embedding", "implementation": "ollama"}`,
  ],
  [
    "ai.embedding_voyageai('voyage-3-lite', 512)",
    `{"model": "voyage-3-lite", "dimensions": 512, "input_type": "document", "config_type": "embedding", "api_key_name": "VOYAGE_API_KEY", "implementation": "voyageai"}`,
  ],
  [
    "ai.embedding_litellm('cohere/embed-english-v3.0', 1024)",
    `{"model": "cohere/embed-english-v3.0", "dimensions": 1024, "config_type": "embedding", "implementation": "litellm"}`,
  ],
  [
    `ai.embedding_litellm('azure/x', 1536, api_key_name=>'AZURE_API_KEY', extra_options=>'{"api_base":"https://a","api_version":"2024"}')`,
    `{"model": "azure/x", "dimensions": 1536, "config_type": "embedding", "api_key_name": "AZURE_API_KEY", "extra_options": {"api_base": "https://a", "api_version": "2024"}, "implementation": "litellm"}`,
  ],
  ["ai.indexing_none()", `{"config_type": "indexing", "implementation": "none"}`],
  ["ai.indexing_default()", `{"config_type": "indexing", "implementation": "default"}`],
  [
    "ai.indexing_diskann()",
    `{"min_rows": 100000, "config_type": "indexing", "implementation": "diskann", "create_when_queue_empty": true}`,
  ],
  [
    "ai.indexing_diskann(1000, 'memory_optimized', 50, 100, 1.2, 768, 2, false)",
    `{"min_rows": 1000, "max_alpha": 1.2, "config_type": "indexing", "num_neighbors": 50, "implementation": "diskann", "num_dimensions": 768, "storage_layout": "memory_optimized", "search_list_size": 100, "num_bits_per_dimension": 2, "create_when_queue_empty": false}`,
  ],
  [
    "ai.indexing_hnsw()",
    `{"opclass": "vector_cosine_ops", "min_rows": 100000, "config_type": "indexing", "implementation": "hnsw", "create_when_queue_empty": true}`,
  ],
  [
    "ai.indexing_hnsw(10, 'vector_l1_ops', 16, 64, false)",
    `{"m": 16, "opclass": "vector_l1_ops", "min_rows": 10, "config_type": "indexing", "implementation": "hnsw", "ef_construction": 64, "create_when_queue_empty": false}`,
  ],
  ["ai.scheduling_none()", `{"config_type": "scheduling", "implementation": "none"}`],
  ["ai.scheduling_default()", `{"config_type": "scheduling", "implementation": "default"}`],
  [
    "ai.scheduling_timescaledb()",
    `{"config_type": "scheduling", "implementation": "timescaledb", "schedule_interval": "00:05:00"}`,
  ],
  [
    "ai.scheduling_timescaledb(interval '10 minutes', '2025-01-01 00:00:00+00', true, 'UTC')",
    `{"timezone": "UTC", "config_type": "scheduling", "initial_start": "2025-01-01T00:00:00+00:00", "fixed_schedule": true, "implementation": "timescaledb", "schedule_interval": "00:10:00"}`,
  ],
  ["ai.processing_default()", `{"config_type": "processing", "implementation": "default"}`],
  [
    "ai.processing_default(100, 4)",
    `{"batch_size": 100, "concurrency": 4, "config_type": "processing", "implementation": "default"}`,
  ],
  ["ai.destination_table()", `{"config_type": "destination", "implementation": "table"}`],
  [
    "ai.destination_table('docs')",
    `{"config_type": "destination", "destination": "docs", "implementation": "table"}`,
  ],
  [
    "ai.destination_table(target_schema=>'s', target_table=>'t', view_schema=>'vs', view_name=>'v')",
    `{"view_name": "v", "config_type": "destination", "view_schema": "vs", "target_table": "t", "target_schema": "s", "implementation": "table"}`,
  ],
  [
    "ai.destination_column('emb')",
    `{"config_type": "destination", "implementation": "column", "embedding_column": "emb"}`,
  ],
];
