import assert from "node:assert/strict";
import {
  guessFileType,
  isEmptyPayload,
  LoadingError,
  loadRow,
} from "../../src/pipeline/loading.ts";
import { decodeUtf8Strict, parsePayload, ParsingError } from "../../src/pipeline/parsing.ts";
import type { SourceRow } from "../../src/pipeline/row.ts";
import { Worker } from "../../src/worker/worker.ts";
import { expectedVector, startOpenAIServer } from "../support/providers.ts";
import { count, errorRows, numbers, pgaiDatabase, storedChunks } from "./fixtures.ts";

const TEXT = 25;
const BYTEA = 17;
const column = { implementation: "column", column_name: "body", retries: 6 } as const;
const uri = { implementation: "uri", column_name: "url", retries: 6 } as const;

function row(name: string, typeOid: number, value: string | null): SourceRow {
  return { columns: [{ name: "id", typeOid: 23 }, { name, typeOid }], values: ["1", value] };
}

/** A local document server: `/docs/<name>` answers the given bodies, anything else 404. */
function docServer(files: Record<string, Uint8Array<ArrayBuffer> | string>) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const name = new URL(req.url).pathname.replace(/^\/docs\//, "");
    const body = files[name];
    return body === undefined
      ? new Response("missing", { status: 404, statusText: "Not Found" })
      : new Response(body);
  });
  return { url: `http://127.0.0.1:${server.addr.port}/docs`, close: () => server.shutdown() };
}

Deno.test("column loading: text as is, NULL and '' empty, bytea as a typed document, missing column", async () => {
  assert.deepEqual(await loadRow(column, row("body", TEXT, "hello")), {
    kind: "text",
    text: "hello",
  });
  assert.ok(isEmptyPayload(await loadRow(column, row("body", TEXT, null))));
  assert.ok(isEmptyPayload(await loadRow(column, row("body", TEXT, ""))));
  const pdf = await loadRow(column, row("body", BYTEA, "\\x255044462d312e34"));
  assert.deepEqual(pdf, {
    kind: "document",
    content: new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x2e, 0x34]),
    filePath: null,
    fileType: "pdf",
  });
  const plain = await loadRow(column, row("body", BYTEA, "\\x68656c6c6f"));
  assert.equal(plain.kind === "document" && plain.fileType, null, "text is not detected by magic");
  await assert.rejects(
    loadRow(column, row("other", TEXT, "x")),
    (e: unknown) => e instanceof LoadingError && e.message === "'body'",
  );
});

Deno.test("uri loading: http(s), file paths and file:// URLs, gzip, and pgai's error texts", async () => {
  const gz = new Uint8Array(
    await new Response(
      new Blob(["# zipped markdown"]).stream().pipeThrough(new CompressionStream("gzip")),
    ).arrayBuffer(),
  );
  const docs = docServer({ "a.md": "# Title\n\nbody", "z.md.gz": gz });
  const dir = await Deno.makeTempDir();
  try {
    const md = await loadRow(uri, row("url", TEXT, `${docs.url}/a.md?x=1`));
    assert.equal(md.kind, "document");
    assert.equal(md.kind === "document" && md.fileType, "md");
    assert.equal(parsePayload({ implementation: "auto" }, md), "# Title\n\nbody");
    const zipped = await loadRow(uri, row("url", TEXT, `${docs.url}/z.md.gz`));
    assert.equal(
      zipped.kind === "document" && new TextDecoder().decode(zipped.content),
      "# zipped markdown",
    );
    await assert.rejects(
      loadRow(uri, row("url", TEXT, `${docs.url}/nope.txt`)),
      (e: unknown) =>
        e instanceof LoadingError &&
        e.message === `404 Client Error: Not Found for url: ${docs.url}/nope.txt`,
    );
    await Deno.writeTextFile(`${dir}/n.txt`, "from a file");
    for (const location of [`${dir}/n.txt`, `file://${dir}/n.txt`]) {
      const doc = await loadRow(uri, row("url", TEXT, location));
      assert.equal(parsePayload({ implementation: "auto" }, doc), "from a file");
    }
    await assert.rejects(
      loadRow(uri, row("url", TEXT, `${dir}/missing.txt`)),
      (e: unknown) =>
        e instanceof LoadingError &&
        e.message === `[Errno 2] No such file or directory: '${dir}/missing.txt'`,
    );
    await assert.rejects(
      loadRow(uri, row("url", TEXT, null)),
      (e: unknown) =>
        e instanceof LoadingError &&
        e.message === "'NoneType' object has no attribute 'startswith'",
    );
    await assert.rejects(
      loadRow(uri, row("url", TEXT, "s3://bucket/key.pdf")),
      /not supported yet/,
    );
  } finally {
    await docs.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parsing: pgai's rules for text and documents", () => {
  const text = { kind: "text", text: "plain" } as const;
  const doc = (fileType: string | null, bytes = "hi") =>
    ({
      kind: "document",
      content: new TextEncoder().encode(bytes),
      filePath: null,
      fileType,
    }) as const;
  assert.equal(parsePayload({ implementation: "none" }, text), "plain");
  assert.equal(parsePayload({ implementation: "auto" }, text), "plain");
  assert.throws(
    () => parsePayload({ implementation: "pymupdf" }, text),
    /^ParsingError: Column content must be a document to be parsed by pymupdf, use parsing_auto or parsing_none instead$/,
  );
  assert.throws(
    () => parsePayload({ implementation: "none" }, doc("md")),
    /Cannot chunk Document with parsing_none, use parsing_auto or parsing_pymupdf/,
  );
  assert.throws(
    () => parsePayload({ implementation: "auto" }, doc(null)),
    /No file extension could be determined/,
  );
  assert.equal(parsePayload({ implementation: "docling" }, doc("txt", "ünï")), "ünï");
  assert.throws(
    () => parsePayload({ implementation: "auto" }, doc("pdf")),
    (e: unknown) =>
      e instanceof ParsingError && /parsing pdf documents .* not supported yet/.test(e.message),
  );
});

Deno.test("parsing: invalid UTF-8 is reported like Python's decoder", () => {
  const cases: [number[], string][] = [
    [[0x61, 0x62, 0xff], "'utf-8' codec can't decode byte 0xff in position 2: invalid start byte"],
    [[0x61, 0xe4], "'utf-8' codec can't decode byte 0xe4 in position 1: unexpected end of data"],
    [
      [0x61, 0xe4, 0xb8],
      "'utf-8' codec can't decode bytes in position 1-2: unexpected end of data",
    ],
    [
      [0x61, 0xe4, 0x41],
      "'utf-8' codec can't decode byte 0xe4 in position 1: invalid continuation byte",
    ],
    [
      [0x61, 0xe4, 0xb8, 0x41],
      "'utf-8' codec can't decode bytes in position 1-2: invalid continuation byte",
    ],
    [
      [0xed, 0xa0, 0x80],
      "'utf-8' codec can't decode byte 0xed in position 0: invalid continuation byte",
    ],
  ];
  for (const [bytes, message] of cases) {
    assert.throws(
      () => decodeUtf8Strict(new Uint8Array(bytes)),
      (e: unknown) => e instanceof ParsingError && e.message === message,
    );
  }
  assert.equal(guessFileType(new Uint8Array([0x89, 0x50, 0x4e, 0x47]), "x.md"), "png");
  assert.equal(guessFileType(new TextEncoder().encode("x"), "https://h/p/Doc.MD?q=a.pdf"), "md");
  assert.equal(guessFileType(new TextEncoder().encode("x"), "https://h/p/noext"), null);
});

Deno.test("worker: uri loading embeds documents, retries failed downloads, parks them after the last retry", async () => {
  const db = await pgaiDatabase("worker_loading");
  const KEY = "sk-test-loading";
  await using openai = startOpenAIServer({ apiKey: KEY });
  const docs = docServer({ "one.md": "first document", "two.txt": "second document" });
  try {
    const sql = db.sql;
    await sql`create table files (id int primary key, url text)`;
    await sql`insert into files values
      (1, ${docs.url + "/one.md"}), (2, ${docs.url + "/two.txt"}), (3, ${docs.url + "/gone.md"})`;
    const [v] = await sql.unsafe(`select ai.create_vectorizer('files'::regclass,
      loading => ai.loading_uri('url'),
      embedding => ai.embedding_openai('text-embedding-3-small', 8, base_url => '${openai.url}/v1'),
      chunking => ai.chunking_none(),
      formatting => ai.formatting_python_template('$id: $chunk'),
      processing => ai.processing_default(batch_size => 5)) as id`);
    const id = v!.id as number;
    const run = () =>
      new Worker({ dbUrl: db.url, once: true, vectorizerIds: [id], env: { OPENAI_API_KEY: KEY } })
        .run();
    assert.equal(await run(), undefined);
    const stored = await storedChunks(sql, "files_embedding_store");
    assert.deepEqual(stored.map((s) => [s.id, s.chunk]), [[1, "1: first document"], [
      2,
      "2: second document",
    ]]);
    assert.deepEqual(stored[0]!.embedding, numbers(expectedVector("1: first document", 8)));
    const errors = await errorRows(sql);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.message, "loading failed");
    assert.deepEqual(errors[0]!.details, {
      loader: "uri",
      error_reason: `404 Client Error: Not Found for url: ${docs.url}/gone.md`,
      is_retryable: true,
      pk: { id: "3" },
    });
    const queue = `ai._vectorizer_q_${id}`;
    const [queued] = await sql.unsafe(`select id, loading_retries from ${queue}`);
    assert.deepEqual({ ...queued }, { id: 3, loading_retries: 1 });
    // Retries used up: the row is parked in the failed queue, with a final error row.
    await sql.unsafe(`update ${queue} set loading_retries = 6, loading_retry_after = null`);
    assert.equal(await run(), undefined);
    assert.equal(await count(sql, queue), 0);
    const failed = await sql.unsafe(`select id, failure_step from ai._vectorizer_q_failed_${id}`);
    assert.deepEqual([...failed], [{ id: 3, failure_step: "loading" }]);
    const last = (await errorRows(sql)).at(-1)!;
    assert.equal(last.details.is_retryable, false);
  } finally {
    await docs.close();
    await db.drop();
  }
});
