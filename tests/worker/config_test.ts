import assert from "node:assert/strict";
import {
  batchSize,
  migrateVectorizerRow,
  parseVectorizer,
  VectorizerConfigError,
} from "../../src/worker/config.ts";
import { compareVersions } from "../../src/worker/semver.ts";
import { contractVectorizerRow } from "../support/contract_row.ts";

const CURRENT_ROW = contractVectorizerRow(1);

function withConfig(patch: Record<string, unknown>): Record<string, unknown> {
  return { ...CURRENT_ROW, config: { ...CURRENT_ROW.config, ...patch } };
}

Deno.test("config: a 0.12.1 vectorizer row parses with pgai's defaults", () => {
  const v = parseVectorizer(CURRENT_ROW);
  assert.equal(v.id, 1);
  assert.equal(v.name, "blog_vec");
  assert.deepEqual(v.sourcePk, [{ attname: "id", pknum: 1, attnum: 1 }]);
  assert.equal(v.queueFailedTable, "_vectorizer_q_failed_1");
  assert.deepEqual(v.config.loading, {
    implementation: "column",
    column_name: "contents",
    retries: 6,
  });
  assert.deepEqual(v.config.destination, {
    implementation: "table",
    target_schema: "public",
    target_table: "blog_embedding_store",
  });
  assert.equal(v.config.processing.concurrency, undefined, "not set: the worker decides");
  assert.equal(v.config.processing.batch_size, undefined);
  assert.equal(batchSize(v.config), 50);
  assert.equal(v.config.embedding.implementation, "openai");
  assert.equal(v.config.embedding.api_key_name, "OPENAI_API_KEY");
});

Deno.test("config: batch size defaults to 1 for uri loading and is clamped to 1..2048", () => {
  const uri = parseVectorizer(withConfig({
    loading: { implementation: "uri", column_name: "url" },
  }));
  assert.equal(batchSize(uri.config), 1);
  assert.equal(uri.config.loading.retries, 6);
  const big = parseVectorizer(
    withConfig({ processing: { implementation: "default", batch_size: 5000 } }),
  );
  assert.equal(batchSize(big.config), 2048);
  const zero = parseVectorizer(
    withConfig({ processing: { implementation: "default", batch_size: "0" } }),
  );
  assert.equal(batchSize(zero.config), 1);
});

Deno.test("config: lax coercion accepts numeric strings, parsing defaults to auto", () => {
  const { parsing: _, ...rest } = CURRENT_ROW.config;
  const v = parseVectorizer({
    ...CURRENT_ROW,
    config: { ...rest, processing: { implementation: "default", concurrency: "3" } },
  });
  assert.equal(v.config.processing.concurrency, 3);
  assert.equal(v.config.parsing.implementation, "auto");
});

Deno.test("config: invalid fields are named in the error", () => {
  assert.throws(
    () =>
      parseVectorizer(withConfig({ processing: { implementation: "default", concurrency: 51 } })),
    (e: unknown) =>
      e instanceof VectorizerConfigError &&
      e.message ===
        "invalid vectorizer 1: config.processing.concurrency: must be between 1 and 50, got 51",
  );
  assert.throws(
    () => parseVectorizer(withConfig({ formatting: { implementation: "jinja" } })),
    /config\.formatting\.implementation: must be one of 'python_template', 'chunk_value', got "jinja"/,
  );
  assert.throws(
    () =>
      parseVectorizer(withConfig({
        chunking: {
          implementation: "character_text_splitter",
          separator: " ",
          chunk_size: 10,
          chunk_overlap: 20,
          is_separator_regex: false,
        },
      })),
    /Got a larger chunk overlap \(20\) than chunk size \(10\), should be smaller\./,
  );
  assert.throws(
    () => parseVectorizer(withConfig({ embedding: undefined })),
    /config\.embedding: is required/,
  );
});

Deno.test("config: a column destination requires chunking none", () => {
  assert.throws(
    () =>
      parseVectorizer(
        withConfig({ destination: { implementation: "column", embedding_column: "emb" } }),
      ),
    /column destination needs chunking 'none'/,
  );
  const v = parseVectorizer(withConfig({
    destination: { implementation: "column", embedding_column: "emb" },
    chunking: { implementation: "none" },
  }));
  assert.deepEqual(v.config.destination, { implementation: "column", embedding_column: "emb" });
});

Deno.test("config: an extension-era (0.9) row is migrated to 0.10.0", () => {
  const old = {
    id: 3,
    source_pk: [{ pknum: 1, attnum: 1, attname: "id", typname: "int4" }],
    queue_table: "_vectorizer_q_3",
    queue_schema: "ai",
    source_table: "blog",
    source_schema: "public",
    target_schema: "public",
    target_table: "blog_embedding_store",
    view_schema: "public",
    view_name: "blog_embedding",
    trigger_name: "_vectorizer_src_trg_3",
    config: {
      version: "0.9.0-dev",
      embedding: {
        implementation: "openai",
        model: "text-embedding-3-small",
        dimensions: 768,
        api_key_name: "OPENAI_API_KEY",
      },
      chunking: {
        implementation: "recursive_character_text_splitter",
        config_type: "chunking",
        chunk_column: "body",
        chunk_size: 800,
        chunk_overlap: 400,
        separators: ["\n\n", " "],
        is_separator_regex: false,
      },
      formatting: { implementation: "python_template", template: "$chunk" },
      processing: { implementation: "default" },
      indexing: { implementation: "none" },
      scheduling: { implementation: "none" },
    },
  };
  const m = migrateVectorizerRow(old);
  assert.deepEqual(m.applied, [{
    from: "0.9.0",
    to: "0.10.0",
    description:
      "Migrate from no loading config to column_config, add parsing none, use proper chunking config",
  }]);
  const config = m.row.config as Record<string, unknown>;
  assert.equal(config.version, "0.10.0");
  assert.equal(config.original_version, "0.9.0");
  assert.deepEqual(config.loading, { implementation: "column", column_name: "body", retries: 6 });
  assert.deepEqual(config.parsing, { implementation: "none" });
  assert.deepEqual(config.chunking, {
    implementation: "recursive_character_text_splitter",
    chunk_size: 800,
    chunk_overlap: 400,
    separators: ["\n\n", " "],
    is_separator_regex: false,
  });
  assert.deepEqual(config.destination, {
    implementation: "table",
    target_schema: "public",
    target_table: "blog_embedding_store",
  });
  // The input row is left untouched.
  assert.equal((old.config as Record<string, unknown>).version, "0.9.0-dev");
  const v = parseVectorizer(m.row);
  assert.equal(v.queueFailedTable, null);
  assert.equal(v.disabled, false);
  assert.equal(v.config.parsing.implementation, "none");
});

Deno.test("config: current and versionless configs are not migrated", () => {
  assert.deepEqual(migrateVectorizerRow(CURRENT_ROW).applied, []);
  const noVersion = migrateVectorizerRow({ id: 1, config: {} });
  assert.deepEqual(noVersion.warnings, [
    "Unable to migrate configuration: 'version' field missing",
  ]);
  const noConfig = migrateVectorizerRow({ id: 1 });
  assert.deepEqual(noConfig.warnings, ["Unable to migrate configuration: 'config' field missing"]);
});

Deno.test("semver: ordering including pre-releases", () => {
  assert.ok(compareVersions("0.9.0", "0.10.0") < 0);
  assert.ok(compareVersions("0.10.0-dev", "0.10.0") < 0);
  assert.ok(compareVersions("0.12.1", "0.12.1") === 0);
  assert.ok(compareVersions("1.0.0", "0.12.1") > 0);
  assert.ok(compareVersions("0.4.0", "0.10.0") < 0);
});
