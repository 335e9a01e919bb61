/**
 * The config helper functions produce exactly pgai's JSON (contract §3.2), the GUC-driven
 * defaults resolve as in §3.3, and grant_to merges ai.grant_to_default.
 */
import assert from "node:assert/strict";
import { HELPER_OUTPUTS } from "./contract.ts";
import { catalogDatabase, pgFailure } from "./helpers.ts";

const db = await catalogDatabase("catalog_helpers");
Deno.test.afterAll(() => db.drop());

for (const [call, output] of HELPER_OUTPUTS) {
  Deno.test(`${call} returns pgai's JSON`, async () => {
    const [row] = await db.sql.begin(async (tx) => {
      await tx`set local timezone = 'UTC'`;
      return await tx.unsafe(
        `select (${call})::text as json, (${call}) = $1::text::jsonb as equal`,
        [
          output,
        ],
      );
    });
    assert.equal(row?.json, output);
    assert.equal(row?.equal, true);
  });
}

Deno.test("embedding_voyageai rejects an input_type other than query, document or null", async () => {
  const failure = await pgFailure(() => db.sql`select ai.embedding_voyageai('m', 8, 'passage')`);
  assert.equal(failure.message, 'invalid input_type for voyage ai "passage"');
  const [row] = await db.sql`select ai.embedding_voyageai('m', 8, input_type => null) as c`;
  assert.deepEqual(row?.c, {
    model: "m",
    dimensions: 8,
    config_type: "embedding",
    api_key_name: "VOYAGE_API_KEY",
    implementation: "voyageai",
  });
});

/** First row of `query` run in a transaction where GUC `name` is set to `value`. */
async function withSetting(
  name: string,
  value: string,
  query: string,
): Promise<Record<string, unknown> | undefined> {
  const rows = await db.sql.begin(async (tx) => {
    await tx`select set_config(${name}, ${value}, true)`;
    return await tx.unsafe(query);
  });
  return rows[0];
}

Deno.test("ai.indexing_default GUC picks diskann, hnsw, or none for anything else", async () => {
  const resolve = async (value: string) =>
    (await withSetting("ai.indexing_default", value, "select ai._resolve_indexing_default() as c"))
      ?.c as Record<string, unknown>;
  assert.equal((await resolve("indexing_diskann")).implementation, "diskann");
  assert.deepEqual(await resolve("indexing_hnsw"), {
    opclass: "vector_cosine_ops",
    min_rows: 100000,
    config_type: "indexing",
    implementation: "hnsw",
    create_when_queue_empty: true,
  });
  assert.deepEqual(await resolve("whatever"), { config_type: "indexing", implementation: "none" });
  const [unset] = await db.sql`select ai._resolve_indexing_default() as c`;
  assert.equal(unset?.c.implementation, "none");
});

Deno.test("ai.scheduling_default GUC picks timescaledb, otherwise none", async () => {
  const timescale = await withSetting(
    "ai.scheduling_default",
    "scheduling_timescaledb",
    "select ai._resolve_scheduling_default() as c",
  );
  assert.deepEqual(timescale?.c, {
    config_type: "scheduling",
    implementation: "timescaledb",
    schedule_interval: "00:05:00",
  });
  const [none] = await db.sql`select ai._resolve_scheduling_default() as c`;
  assert.deepEqual(none?.c, { config_type: "scheduling", implementation: "none" });
});

Deno.test("grant_to() is empty without the GUC and unions the GUC's trimmed roles otherwise", async () => {
  const [empty] = await db.sql`select ai.grant_to() as g`;
  assert.deepEqual(empty?.g, []);
  const [two] = await db.sql`select ai.grant_to('alice', 'bob') as g`;
  assert.deepEqual([...two?.g].sort(), ["alice", "bob"]);
  const [dup] = await db.sql`select ai.grant_to('alice', 'alice') as g`;
  assert.deepEqual(dup?.g, ["alice"]);
  const merged = await withSetting(
    "ai.grant_to_default",
    "carol, dave",
    "select ai.grant_to('alice') as g, ai.grant_to() as d",
  );
  assert.deepEqual([...(merged?.g as string[])].sort(), ["alice", "carol", "dave"]);
  assert.deepEqual([...(merged?.d as string[])].sort(), ["carol", "dave"]);
});
