// The compose `example` profile runs deploy/compose/example.sql against a freshly
// installed catalog: it must create a vectorizer the worker accepts, and be safe
// to run again (compose re-runs it on every `--profile example up`).
import assert from "node:assert/strict";
import { testDatabase } from "../support/pg.ts";
import { install } from "../../src/catalog/install.ts";
import { migrateVectorizerRow, parseVectorizer } from "../../src/worker/config.ts";
import { readRepoFile } from "./parsers.ts";

const exampleSql = readRepoFile("deploy/compose/example.sql");

Deno.test("compose example SQL creates an Ollama vectorizer the worker accepts, idempotently", async () => {
  await using db = await testDatabase("deploy_example_sql");
  await install(db.sql);
  await db.sql.unsafe(exampleSql).simple();
  await db.sql.unsafe(exampleSql).simple();

  const rows = await db.sql<{ row: Record<string, unknown> }[]>`
    select to_jsonb(v) as row from ai.vectorizer v`;
  assert.equal(rows.length, 1, "running the example twice must not add a second vectorizer");
  const vectorizer = parseVectorizer(migrateVectorizerRow(rows[0]!.row).row);
  assert.equal(vectorizer.name, "blog_ollama");
  assert.equal(`${vectorizer.sourceSchema}.${vectorizer.sourceTable}`, "public.blog");
  assert.deepEqual(vectorizer.config.embedding, {
    config_type: "embedding",
    implementation: "ollama",
    model: "nomic-embed-text",
    dimensions: 768,
    base_url: "http://ollama:11434",
  });
  assert.deepEqual(
    vectorizer.config.loading,
    { implementation: "column", column_name: "contents", retries: 6 },
  );
  assert.equal(
    vectorizer.config.formatting.implementation === "python_template" &&
      vectorizer.config.formatting.template,
    "$title: $chunk",
  );

  const [pending] = await db.sql<{ n: string }[]>`
    select ai.vectorizer_queue_pending('blog_ollama', true) as n`;
  assert.equal(Number(pending!.n), 3, "the three sample rows wait for the worker");
  const [view] = await db.sql<{ name: string | null }[]>`
    select to_regclass('public.blog_embeddings')::text as name`;
  assert.equal(view!.name, "blog_embeddings");
});
