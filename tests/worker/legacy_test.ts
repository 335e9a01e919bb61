import assert from "node:assert/strict";
import { probeCatalog } from "../../src/db/catalog.ts";
import { chunkText } from "../../src/pipeline/chunking.ts";
import { Worker } from "../../src/worker/worker.ts";
import { expectedVector, startOpenAIServer } from "../support/providers.ts";
import { count, eventsSince, logEvents, numbers, pgaiDatabase, storedChunks } from "./fixtures.ts";

const KEY = "sk-test-legacy";
const env = { OPENAI_API_KEY: KEY };

/**
 * Turns a fresh 0.12.1 catalog into what an extension-era (ai 0.4-0.7) database looks like to the
 * worker: no `disabled` column, errors in table `ai.vectorizer_errors`, no worker tracking, no
 * retry columns or failed queue, target names as vectorizer columns, and a 0.9-format config.
 */
async function makeLegacy(sql: import("postgres").Sql, id: number, baseUrl: string) {
  await sql.unsafe(`
    drop view if exists ai.vectorizer_status;
    alter table ai.vectorizer drop column disabled cascade;
    drop view ai.vectorizer_errors;
    alter table ai._vectorizer_errors rename to vectorizer_errors;
    drop table ai.vectorizer_worker_progress, ai.vectorizer_worker_process cascade;
    drop function ai._vectorizer_create_queue_failed_table;
    alter table ai._vectorizer_q_${id} drop column loading_retries, drop column loading_retry_after;
    alter table ai.vectorizer add column target_schema name, add column target_table name;
    update ai.pgai_lib_version set version = '0.10.0' where name = 'ai';
  `);
  const config = {
    version: "0.9.0",
    embedding: {
      implementation: "openai",
      model: "text-embedding-3-small",
      dimensions: 8,
      api_key_name: "OPENAI_API_KEY",
      base_url: `${baseUrl}/v1`,
      config_type: "embedding",
    },
    chunking: {
      implementation: "recursive_character_text_splitter",
      config_type: "chunking",
      chunk_column: "body",
      chunk_size: 200,
      chunk_overlap: 20,
      separators: ["\n\n", "\n", ".", "?", "!", " ", ""],
      is_separator_regex: false,
    },
    formatting: {
      implementation: "python_template",
      template: "$title: $chunk",
      config_type: "formatting",
    },
    processing: { implementation: "default", batch_size: 3, config_type: "processing" },
    indexing: { implementation: "none", config_type: "indexing" },
    scheduling: { implementation: "none", config_type: "scheduling" },
  };
  await sql`update ai.vectorizer set config = ${sql.json(config)}, queue_failed_table = null,
    target_schema = 'public', target_table = 'legacy_embedding_store' where id = ${id}`;
}

Deno.test("worker runs an extension-era catalog: features detected, 0.9 config migrated in memory only", async () => {
  const db = await pgaiDatabase("worker_legacy");
  await using server = startOpenAIServer({ apiKey: KEY, poison: "POISON" });
  try {
    const sql = db.sql;
    await sql`create table legacy (id int primary key, title text, body text)`;
    await sql`insert into legacy select g, 'l' || g,
      case when g = 4 then 'POISON here' else 'legacy body text number ' || g end
      from generate_series(1, 10) g`;
    const [row] = await sql.unsafe(`select ai.create_vectorizer('legacy'::regclass,
      loading => ai.loading_column('body'),
      embedding => ai.embedding_openai('text-embedding-3-small', 8),
      chunking => ai.chunking_none(),
      formatting => ai.formatting_python_template('$chunk')) as id`);
    const id = row!.id as number;
    await makeLegacy(sql, id, server.url);
    const { features, libraryVersion } = await probeCatalog(sql);
    assert.deepEqual(features, {
      disabledColumn: false,
      workerTracking: false,
      loadingRetries: false,
      revealSecret: false,
      errorsView: false,
    });
    assert.equal(libraryVersion, "0.10.0");

    const mark = logEvents.length;
    const error = await new Worker({ dbUrl: db.url, once: true, env }).run();
    assert.equal(error, undefined);
    const events = eventsSince(mark);
    assert.ok(events.some((e) =>
      e.level === "warning" &&
      e.event ===
        "The pgai installation in your database is outdated and can be upgraded. Installed version: 0.10.0, latest version: 0.12.1."
    ));
    assert.ok(events.some((e) =>
      e.event ===
        "Applying Vectorizer Config migration from version 0.9.0 to version 0.10.0: Migrate from no loading config to column_config, add parsing none, use proper chunking config"
    ));
    // Every row but the poison one is stored, chunked and formatted per the migrated config.
    const stored = await storedChunks(sql, "legacy_embedding_store");
    const splitter = {
      implementation: "recursive_character_text_splitter" as const,
      separators: ["\n\n", "\n", ".", "?", "!", " ", ""],
      chunk_size: 200,
      chunk_overlap: 20,
      is_separator_regex: false,
    };
    const expected = Array.from({ length: 10 }, (_, k) => k + 1).filter((i) => i !== 4).flatMap(
      (i) =>
        chunkText(splitter, `legacy body text number ${i}`).map((c, seq) => ({
          id: i,
          chunk_seq: seq,
          chunk: `l${i}: ${c}`,
          embedding: numbers(expectedVector(`l${i}: ${c}`, 8)),
        })),
    );
    assert.deepEqual(stored, expected);
    // The poison row is recorded in the old errors table and stays queued (never dropped).
    const errors = await sql`select message, details from ai.vectorizer_errors where id = ${id}`;
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.message, "embedding provider failed");
    assert.deepEqual(errors[0]!.details.pk, { id: "4" });
    assert.deepEqual([...await sql`select id from ai._vectorizer_q_${sql.unsafe(String(id))}`], [
      { id: 4 },
    ]);
    // The catalog itself is untouched: config and recorded version as they were.
    const [after] = await sql`select config->>'version' as v,
      (select version from ai.pgai_lib_version where name = 'ai') as lib from ai.vectorizer where id = ${id}`;
    assert.deepEqual({ ...after }, { v: "0.9.0", lib: "0.10.0" });
    // A second pass retries the row (no retry columns to delay it) and records it again.
    assert.equal(await new Worker({ dbUrl: db.url, once: true, env }).run(), undefined);
    assert.equal(await count(sql, "ai.vectorizer_errors"), 2);
    assert.equal(await count(sql, `ai._vectorizer_q_${id}`), 1);
  } finally {
    await db.drop();
  }
});
