/**
 * ai.create_vectorizer rejects bad input with pgai's conditions, messages and SQLSTATEs
 * (contract §3.4 steps 2-13), checking in pgai's order.
 */
import assert from "node:assert/strict";
import { catalogDatabase, pgFailure, recordingClient } from "./helpers.ts";

const db = await catalogDatabase("catalog_validation");
Deno.test.afterAll(() => db.drop());

await db.sql.unsafe(`
  create table src (id int primary key, title text, body text, data bytea, n int);
  insert into src values (1, 't', 'b', null, 1);
  create table nopk (id int, body text);
  create table has_chunk (id int primary key, body text, chunk text);
  create table ai.taken (x int);
`);

const LOAD = "loading => ai.loading_column('body')";
const EMBED = "embedding => ai.embedding_openai('m', 3)";

interface Case {
  name: string;
  args: string;
  message: string;
  code?: string;
  source?: string;
}

const cases: Case[] = [
  { name: "embedding is required", args: LOAD, message: "embedding configuration is required" },
  { name: "loading is required", args: EMBED, message: "loading configuration is required" },
  {
    name: "dimensions are required",
    args:
      `${LOAD}, embedding => '{"implementation":"openai","config_type":"embedding","model":"m"}'`,
    message: "dimensions argument is required",
  },
  {
    name: "the source needs a primary key",
    source: "nopk",
    args: `${LOAD}, ${EMBED}`,
    message: "source table must have a primary key constraint",
  },
  {
    name: "the queue name must be free",
    args: `${LOAD}, ${EMBED}, queue_table => 'taken'`,
    message: "an object named ai.taken already exists. specify an alternate queue_table explicitly",
    code: "42710",
  },
  {
    name: "loading must be an object",
    args: `loading => '"body"', ${EMBED}`,
    message: "loading config is not a jsonb object",
  },
  {
    name: "loading needs config_type loading",
    args: `loading => ai.parsing_auto(), ${EMBED}`,
    message: "invalid config_type for loading config",
  },
  {
    name: "loading implementation is column or uri",
    args:
      `loading => '{"config_type":"loading","implementation":"s3","column_name":"body"}', ${EMBED}`,
    message: "invalid loading config implementation",
  },
  {
    name: "loading needs a column_name",
    args: `loading => '{"config_type":"loading","implementation":"column","retries":6}', ${EMBED}`,
    message: "invalid loading config, missing column_name",
  },
  {
    name: "loading retries must not be negative",
    args: `loading => ai.loading_column('body', -1), ${EMBED}`,
    message: "invalid loading config, retries must be a non-negative integer",
  },
  {
    name: "loading retries must be present",
    args:
      `loading => '{"config_type":"loading","implementation":"column","column_name":"body"}', ${EMBED}`,
    message: "invalid loading config, retries must be a non-negative integer",
  },
  {
    name: "aws_role_arn must look like an IAM role",
    args: `loading => ai.loading_uri('body', aws_role_arn => 'role/x'), ${EMBED}`,
    message: "invalid loading config, aws_role_arn must match arn:aws:iam::*:role/*",
  },
  {
    name: "the loading column must exist",
    args: `loading => ai.loading_column('nope'), ${EMBED}`,
    message: "column_name in config does not exist in the table: nope",
  },
  {
    name: "the loading column must be text-like or bytea",
    args: `loading => ai.loading_column('n'), ${EMBED}`,
    message:
      "column_name n in config is of invalid type int4. Supported types are: text, varchar, char, bpchar, bytea",
  },
  {
    name: "uri loading rejects bytea",
    args: `loading => ai.loading_uri('data'), ${EMBED}`,
    message:
      "the type of the column `data` in config is not compatible with `uri` loading implementation (type should be either text, varchar, char, bpchar, or bytea)",
  },
  {
    name: "parsing implementation is known",
    args: `${LOAD}, ${EMBED}, parsing => '{"config_type":"parsing","implementation":"ocr"}'`,
    message: "invalid parsing config implementation",
  },
  {
    name: "parsing_none cannot read bytea",
    args: `loading => ai.loading_column('data'), ${EMBED}, parsing => ai.parsing_none()`,
    message: "cannot use parsing_none with bytea columns",
  },
  {
    name: "parsing_pymupdf needs a bytea column",
    args: `${LOAD}, ${EMBED}, parsing => ai.parsing_pymupdf()`,
    message: "parsing_pymupdf must be used with a bytea column",
  },
  {
    name: "parsing_docling needs a bytea column",
    args: `${LOAD}, ${EMBED}, parsing => ai.parsing_docling()`,
    message: "parsing_docling must be used with a bytea column",
  },
  {
    name: "a column destination needs chunking none",
    args: `${LOAD}, ${EMBED}, destination => ai.destination_column('emb')`,
    message: "chunking must be none for column destination",
  },
  {
    name: "destination must be an object",
    args: `${LOAD}, ${EMBED}, destination => '[]'`,
    message: "destination config is not a jsonb object",
  },
  {
    name: "embedding implementation must be given",
    args: `${LOAD}, embedding => '{"config_type":"embedding","dimensions":3}'`,
    message: "embedding implementation not specified",
  },
  {
    name: "embedding implementation must be supported",
    args:
      `${LOAD}, embedding => '{"config_type":"embedding","dimensions":3,"implementation":"sentence_transformers"}'`,
    message: 'invalid embedding implementation: "sentence_transformers"',
  },
  {
    name: "embedding needs config_type embedding",
    args: `${LOAD}, embedding => '{"config_type":"chunking","dimensions":3}'`,
    message: "invalid config_type for embedding config",
  },
  {
    name: "chunking implementation is known",
    args:
      `${LOAD}, ${EMBED}, chunking => '{"config_type":"chunking","implementation":"sentences"}'`,
    message: "invalid chunking config implementation",
  },
  {
    name: "indexing implementation must be given",
    args: `${LOAD}, ${EMBED}, indexing => '{"config_type":"indexing"}'`,
    message: "indexing implementation not specified",
  },
  {
    name: "indexing implementation must be supported",
    args: `${LOAD}, ${EMBED}, indexing => '{"config_type":"indexing","implementation":"ivfflat"}'`,
    message: 'invalid indexing implementation: "ivfflat"',
  },
  {
    name: "diskann storage_layout is memory_optimized or plain",
    args: `${LOAD}, ${EMBED}, indexing => ai.indexing_diskann(storage_layout => 'compact')`,
    message: "invalid storage_layout",
  },
  {
    name: "hnsw opclass excludes vector_l2_ops",
    args: `${LOAD}, ${EMBED}, indexing => ai.indexing_hnsw(opclass => 'vector_l2_ops')`,
    message: "invalid opclass",
  },
  {
    name: "formatting implementation must be python_template",
    args:
      `${LOAD}, ${EMBED}, formatting => '{"config_type":"formatting","implementation":"jinja"}'`,
    message: "unrecognized formatting implementation",
  },
  {
    name: "the template needs $chunk",
    args: `${LOAD}, ${EMBED}, formatting => ai.formatting_python_template('$title')`,
    message: "template must contain $chunk placeholder",
  },
  {
    name: "a source column named chunk conflicts with the template",
    source: "has_chunk",
    args: `${LOAD}, ${EMBED}`,
    message:
      'formatting_python_template may not be used when source table has a column named "chunk"',
  },
  {
    name: "scheduling implementation must be given",
    args: `${LOAD}, ${EMBED}, scheduling => '{"config_type":"scheduling"}'`,
    message: "scheduling implementation not specified",
  },
  {
    name: "scheduling implementation must be supported",
    args: `${LOAD}, ${EMBED}, scheduling => '{"config_type":"scheduling","implementation":"cron"}'`,
    message: 'unrecognized scheduling implementation: "cron"',
  },
  {
    name: "processing implementation must be given",
    args: `${LOAD}, ${EMBED}, processing => '{"config_type":"processing"}'`,
    message: "processing implementation not specified",
  },
  {
    name: "processing implementation must be default",
    args: `${LOAD}, ${EMBED}, processing => '{"config_type":"processing","implementation":"fast"}'`,
    message: 'unrecognized processing implementation: "fast"',
  },
  {
    name: "batch_size must be a number",
    args:
      `${LOAD}, ${EMBED}, processing => '{"config_type":"processing","implementation":"default","batch_size":"10"}'`,
    message: "batch_size must be a number",
  },
  {
    name: "batch_size is at most 2048",
    args: `${LOAD}, ${EMBED}, processing => ai.processing_default(batch_size => 2049)`,
    message: "batch_size must be less than or equal to 2048",
  },
  {
    name: "batch_size is at least 1",
    args: `${LOAD}, ${EMBED}, processing => ai.processing_default(batch_size => 0)`,
    message: "batch_size must be greater than 0",
  },
  {
    name: "concurrency must be a number",
    args:
      `${LOAD}, ${EMBED}, processing => '{"config_type":"processing","implementation":"default","concurrency":true}'`,
    message: "concurrency must be a number",
  },
  {
    name: "concurrency is at most 50",
    args: `${LOAD}, ${EMBED}, processing => ai.processing_default(concurrency => 51)`,
    message: "concurrency must be less than or equal to 50",
  },
  {
    name: "concurrency is at least 1",
    args: `${LOAD}, ${EMBED}, processing => ai.processing_default(concurrency => 0)`,
    message: "concurrency must be greater than 0",
  },
  {
    name: "automatic indexing needs scheduling",
    args: `${LOAD}, ${EMBED}, indexing => ai.indexing_hnsw()`,
    message:
      "automatic indexing is not supported without scheduling. set indexing=>ai.indexing_none() when scheduling=>ai.scheduling_none()",
  },
  {
    name: "destination implementation is table or column",
    args: `${LOAD}, ${EMBED}, destination => '{"config_type":"destination","implementation":"s3"}'`,
    message: "invalid implementation for destination config",
  },
  {
    name: "timescaledb scheduling needs the ai extension",
    args: `${LOAD}, ${EMBED}, scheduling => ai.scheduling_timescaledb()`,
    message: "ai extension not found but it is needed for timescaledb scheduling.",
  },
  {
    name: "the name must match the name check",
    args: `${LOAD}, ${EMBED}, name => 'Blog'`,
    message: 'new row for relation "vectorizer" violates check constraint "vectorizer_name_check"',
    code: "23514",
  },
  {
    name: "loading errors come before embedding errors",
    args: `loading => ai.loading_column('nope'), embedding => '{"config_type":"x","dimensions":3}'`,
    message: "column_name in config does not exist in the table: nope",
  },
  {
    name: "processing errors come after scheduling errors",
    args:
      `${LOAD}, ${EMBED}, scheduling => '{"config_type":"scheduling","implementation":"cron"}', processing => '{}'`,
    message: 'unrecognized scheduling implementation: "cron"',
  },
];

for (const c of cases) {
  Deno.test(`create_vectorizer: ${c.name}`, async () => {
    const failure = await pgFailure(() =>
      db.sql.unsafe(`select ai.create_vectorizer('${c.source ?? "src"}'::regclass, ${c.args})`)
    );
    assert.equal(failure.message, c.message);
    assert.equal(failure.code, c.code ?? "P0001");
    const [left] = await db.sql`select count(*)::int as n from ai.vectorizer`;
    assert.equal(left?.n, 0, "nothing was created");
  });
}

Deno.test("create_vectorizer: a taken name fails with 42710, or returns the existing id with if_not_exists", async () => {
  const [first] = await db.sql.unsafe(
    `select ai.create_vectorizer('src', ${LOAD}, ${EMBED}, name => 'dup') as id`,
  );
  try {
    const failure = await pgFailure(() =>
      db.sql.unsafe(`select ai.create_vectorizer('src', ${LOAD}, ${EMBED}, name => 'dup',
        destination => ai.destination_table('other'))`)
    );
    assert.deepEqual(failure, { code: "42710", message: "a vectorizer named dup already exists." });
    const client = recordingClient(db.url);
    try {
      await client.sql`set client_min_messages = notice`;
      const [again] = await client.sql.unsafe(`select ai.create_vectorizer('src', ${LOAD}, ${EMBED},
        name => 'dup', destination => ai.destination_table('other'), if_not_exists => true) as id`);
      assert.equal(again?.id, first?.id);
      assert.ok(
        client.messages.some((m) =>
          m.message === "a vectorizer named dup already exists, skipping"
        ),
        JSON.stringify(client.messages),
      );
    } finally {
      await client.sql.end();
    }
  } finally {
    await db.sql`select ai.drop_vectorizer(${first?.id}::int4, drop_all => true)`;
  }
});

Deno.test("create_vectorizer: taken view and target names fail with 42710 naming the object", async () => {
  await db.sql`create view public.src_embedding as select 1 as x`;
  try {
    const view = await pgFailure(() =>
      db.sql.unsafe(`select ai.create_vectorizer('src', ${LOAD}, ${EMBED})`)
    );
    assert.deepEqual(view, {
      code: "42710",
      message:
        "an object named public.src_embedding already exists. specify an alternate destination or view_name explicitly",
    });
  } finally {
    await db.sql`drop view public.src_embedding`;
  }
  await db.sql`create table public.src_embedding_store (x int)`;
  try {
    const target = await pgFailure(() =>
      db.sql.unsafe(`select ai.create_vectorizer('src', ${LOAD}, ${EMBED})`)
    );
    assert.deepEqual(target, {
      code: "42710",
      message:
        "an object named public.src_embedding_store already exists. specify an alternate destination or target_table explicitly",
    });
  } finally {
    await db.sql`drop table public.src_embedding_store`;
  }
});

Deno.test("create_vectorizer: an auto-name that fails the name check (mixed-case table)", async () => {
  await db.sql`create table "MyDocs" (id int primary key, body text)`;
  try {
    const failure = await pgFailure(() =>
      db.sql.unsafe(`select ai.create_vectorizer('"MyDocs"', ${LOAD}, ${EMBED})`)
    );
    assert.equal(failure.code, "23514");
  } finally {
    await db.sql`drop table "MyDocs"`;
  }
});

Deno.test("create_vectorizer: a 63-character table name makes the default view collide with it", async () => {
  const long = "t".repeat(63);
  await db.sql.unsafe(`create table ${long} (id int primary key, body text)`);
  try {
    const failure = await pgFailure(() =>
      db.sql.unsafe(`select ai.create_vectorizer('${long}', ${LOAD}, ${EMBED})`)
    );
    assert.deepEqual(failure, {
      code: "42710",
      message:
        `an object named public.${long} already exists. specify an alternate destination or view_name explicitly`,
    });
  } finally {
    await db.sql.unsafe(`drop table ${long}`);
  }
});

Deno.test("create_vectorizer: ids are consumed by failed calls", async () => {
  const [before] = await db.sql`select nextval('ai.vectorizer_id_seq')::int as n`;
  await pgFailure(() =>
    db.sql.unsafe(`select ai.create_vectorizer('src', ${EMBED},
    loading => ai.loading_column('nope'))`)
  );
  const [after] = await db.sql`select nextval('ai.vectorizer_id_seq')::int as n`;
  assert.equal(after?.n, (before?.n ?? 0) + 2);
});

Deno.test("create_vectorizer: GUC ai.indexing_default=indexing_hnsw without scheduling is refused", async () => {
  const failure = await pgFailure(() =>
    db.sql.begin(async (tx) => {
      await tx`set local ai.indexing_default = 'indexing_hnsw'`;
      await tx.unsafe(`select ai.create_vectorizer('src', ${LOAD}, ${EMBED})`);
    })
  );
  assert.match(failure.message, /^automatic indexing is not supported without scheduling/);
});

Deno.test("create_vectorizer: missing grant_to roles are dropped with a warning", async () => {
  const client = recordingClient(db.url);
  try {
    const [row] = await client.sql.unsafe(`select ai.create_vectorizer('src', ${LOAD}, ${EMBED},
      name => 'grants', grant_to => ai.grant_to('nosuchrole')) as id`);
    assert.ok(
      client.messages.some((m) =>
        m.severity === "WARNING" &&
        m.message === "one or more grant_to roles do not exist: {nosuchrole}"
      ),
      JSON.stringify(client.messages),
    );
    await client.sql`select ai.drop_vectorizer(${row?.id}::int4, drop_all => true)`;
  } finally {
    await client.sql.end();
  }
});
