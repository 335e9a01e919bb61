import assert from "node:assert/strict";
import { encode } from "gpt-tokenizer/encoding/cl100k_base";
import { createEmbedder, EmbeddingProviderError } from "../../src/embedders/mod.ts";
import type { Embedder } from "../../src/embedders/mod.ts";
import { expectedVector, startOpenAIServer } from "../support/providers.ts";

/** All vectors of an embed call, one inner array per request. */
async function collect(embedder: Embedder, documents: readonly string[]) {
  const batches: Float32Array[][] = [];
  for await (const batch of embedder.embed(documents)) batches.push(batch);
  return batches;
}

/** The error an embed call fails with. */
async function failure(embedder: Embedder, documents: readonly string[]): Promise<unknown> {
  try {
    await collect(embedder, documents);
  } catch (error) {
    return error;
  }
  assert.fail("embed did not fail");
}

function openai(url: string, config: Record<string, unknown> = {}, options = {}): Embedder {
  return createEmbedder(
    {
      implementation: "openai",
      model: "text-embedding-3-small",
      dimensions: 16,
      base_url: `${url}/v1`,
      ...config,
    } as never,
    { apiKey: "sk-test-key", env: {}, ...options },
  );
}

Deno.test("openai embedder sends pgai's request body and returns the server's vectors", async () => {
  await using server = startOpenAIServer();
  const embedder = openai(server.url, { user: "vectorizer-7" });
  const batches = await collect(embedder, ["first text", "second text"]);
  assert.equal(batches.length, 1);
  assert.deepEqual(batches[0], [
    expectedVector("first text", 16),
    expectedVector("second text", 16),
  ]);
  const [request] = server.embedRequests;
  assert.equal(request?.headers.get("authorization"), "Bearer sk-test-key");
  assert.deepEqual(request?.body, {
    input: ["first text", "second text"],
    model: "text-embedding-3-small",
    dimensions: 16,
    user: "vectorizer-7",
    encoding_format: "base64",
  });
  assert.deepEqual(Object.keys(request?.body as object), [
    "input",
    "model",
    "dimensions",
    "user",
    "encoding_format",
  ]);
});

Deno.test("openai embedder omits dimensions and user when the model or config says so", async () => {
  await using server = startOpenAIServer({ dimensions: 1536 });
  const embedder = openai(server.url, { model: "text-embedding-ada-002", dimensions: 1536 });
  const [batch] = await collect(embedder, ["ada text"]);
  assert.deepEqual(batch, [expectedVector("ada text", 1536)]);
  assert.deepEqual(server.embedRequests[0]?.body, {
    input: ["ada text"],
    model: "text-embedding-ada-002",
    encoding_format: "base64",
  });
});

Deno.test("openai embedder refuses ada-002 with other dimensions like pgai, without a request", async () => {
  await using server = startOpenAIServer();
  const embedder = openai(server.url, { model: "text-embedding-ada-002", dimensions: 768 });
  const error = await failure(embedder, ["text"]);
  assert.ok(error instanceof EmbeddingProviderError);
  assert.equal(error.message, "dimensions must be 1536 for text-embedding-ada-002");
  assert.equal(error.provider, "openai");
  assert.equal(server.requests.length, 0);
});

Deno.test("openai embedder places vectors by the index field, not response order", async () => {
  await using server = startOpenAIServer({ reverseOrder: true });
  const documents = ["a", "b", "c", "d"];
  const [batch] = await collect(openai(server.url), documents);
  assert.deepEqual(batch, documents.map((text) => expectedVector(text, 16)));
});

Deno.test("openai embedder accepts float arrays from servers that ignore base64", async () => {
  await using server = startOpenAIServer({ ignoreEncodingFormat: true });
  const [batch] = await collect(openai(server.url), ["plain floats"]);
  assert.deepEqual(batch, [expectedVector("plain floats", 16)]);
});

Deno.test("openai embedder splits requests like pgai (2048 inputs, 300k estimated tokens)", async () => {
  await using server = startOpenAIServer({ dimensions: 2 });
  const embedder = openai(server.url, { dimensions: 2 });
  // 600 bytes = 150 estimated tokens each: 1001 inputs fit one request.
  const cyrillic = Array.from({ length: 1001 }, () => "ф".repeat(300));
  assert.equal((await collect(embedder, cyrillic)).length, 1);
  // 3000 bytes = 750 tokens each: 400 per request.
  const chinese = Array.from({ length: 500 }, () => "中".repeat(1000));
  const batches = await collect(embedder, chinese);
  assert.deepEqual(batches.map((batch) => batch.length), [400, 100]);
  const many = Array.from({ length: 2049 }, (_, i) => `doc ${i}`);
  const split = await collect(embedder, many);
  assert.deepEqual(split.map((batch) => batch.length), [2048, 1]);
  assert.deepEqual(split[1], [expectedVector("doc 2048", 2)]);
  const sizes = server.embedRequests.map((r) => (r.body as { input: [] }).input.length);
  assert.deepEqual(sizes, [1001, 400, 100, 2048, 1]);
});

Deno.test("openai embedder asks for at most 1 MiB of vectors per request (341 inputs at 768 dimensions)", async () => {
  await using server = startOpenAIServer({ dimensions: 768 });
  const documents = Array.from({ length: 1000 }, (_, i) => `doc ${i}`);
  const batches = await collect(openai(server.url, { dimensions: 768 }), documents);
  assert.deepEqual(batches.map((batch) => batch.length), [341, 341, 318]);
  assert.deepEqual(batches[2]![317], expectedVector("doc 999", 768));
  const sizes = server.embedRequests.map((r) => (r.body as { input: [] }).input.length);
  assert.deepEqual(sizes, [341, 341, 318]);
});

Deno.test("openai embedder truncates long inputs to 8191 tokens and leaves the documents alone", async () => {
  await using server = startOpenAIServer();
  const long = "hello world ".repeat(6000); // 12,000 tokens
  const documents = [long, "short"];
  const [batch] = await collect(openai(server.url), documents);
  assert.equal(documents[0], long);
  const sent = (server.embedRequests[0]?.body as { input: string[] }).input;
  assert.equal(encode(sent[0]!).length, 8191);
  assert.ok(long.startsWith(sent[0]!));
  assert.equal(sent[1], "short");
  assert.deepEqual(batch, [expectedVector(sent[0]!, 16), expectedVector("short", 16)]);
});

Deno.test("openai truncation replaces a split multi-byte character like tiktoken's decode", async () => {
  await using server = startOpenAIServer();
  // Each emoji is two tokens (3 bytes + 1 byte): the cut falls inside the 4096th emoji.
  await collect(openai(server.url), ["😀".repeat(5000)]);
  const [sent] = (server.embedRequests[0]?.body as { input: string[] }).input;
  assert.equal(sent, "😀".repeat(4095) + "\uFFFD");
});

Deno.test("openai embedder does not truncate models without a known context length", async () => {
  await using server = startOpenAIServer();
  const long = "hello world ".repeat(6000);
  await collect(openai(server.url, { model: "custom-embedder" }), [long]);
  assert.deepEqual((server.embedRequests[0]?.body as { input: string[] }).input, [long]);
});

Deno.test("openai embedder embeds special-token text as plain text", async () => {
  await using server = startOpenAIServer();
  const text = "before <|endoftext|> after <|fim_prefix|>" + " filler".repeat(3000);
  const [batch] = await collect(openai(server.url), [text]);
  const [sent] = (server.embedRequests[0]?.body as { input: string[] }).input;
  assert.equal(sent, text);
  assert.deepEqual(batch, [expectedVector(text, 16)]);
});

Deno.test("openai embedder waits out a 429 with Retry-After and succeeds", async () => {
  await using server = startOpenAIServer();
  server.script({
    status: 429,
    headers: { "retry-after": "0" },
    body: { error: { message: "Rate limit reached", type: "requests", param: null, code: null } },
  });
  const [batch] = await collect(openai(server.url), ["after the limit"]);
  assert.deepEqual(batch, [expectedVector("after the limit", 16)]);
  assert.equal(server.embedRequests.length, 2);
});

Deno.test("openai embedder reports a persistent 500 with pgai's text after its retries", async () => {
  await using server = startOpenAIServer();
  const answer = {
    status: 500,
    headers: { "retry-after-ms": "0" },
    body: { error: { message: "boom", type: "server_error", param: null, code: null } },
  };
  server.script(answer, answer, answer);
  const error = await failure(openai(server.url, {}, { maxRetries: 2 }), ["x"]);
  assert.ok(error instanceof EmbeddingProviderError);
  assert.equal(
    error.message,
    "Error code: 500 - {'error': {'message': 'boom', 'type': 'server_error', 'param': None, 'code': None}}",
  );
  assert.equal(error.status, 500);
  assert.equal(error.retryable, true);
  assert.equal(error.inputRejected, false);
  assert.equal(server.embedRequests.length, 3);
});

Deno.test("openai embedder obeys the server's x-should-retry over the status", async () => {
  await using server = startOpenAIServer();
  const error = { error: { message: "no", type: "server_error", param: null, code: null } };
  server.script(
    { status: 400, headers: { "x-should-retry": "true", "retry-after-ms": "0" }, body: error },
  );
  const [batch] = await collect(openai(server.url), ["retried 400"]);
  assert.deepEqual(batch, [expectedVector("retried 400", 16)]);
  assert.equal(server.embedRequests.length, 2);

  server.script({ status: 503, headers: { "x-should-retry": "false" }, body: error });
  const failed = await failure(openai(server.url), ["not retried 503"]);
  assert.ok(failed instanceof EmbeddingProviderError);
  assert.equal(failed.status, 503);
  assert.equal(server.embedRequests.length, 3);
});

Deno.test("openai embedder retries a response cut off in its body", async () => {
  // A raw HTTP server: the first answer promises more body than it sends, the second is whole.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const body = JSON.stringify({
    object: "list",
    data: [{ object: "embedding", index: 0, embedding: Array.from(expectedVector("cut", 16)) }],
    model: "text-embedding-3-small",
    usage: { prompt_tokens: 1, total_tokens: 1 },
  });
  let connections = 0;
  const serving = (async () => {
    for await (const conn of listener) {
      connections++;
      const request = new Uint8Array(64 * 1024);
      await conn.read(request);
      const length = new TextEncoder().encode(body).length;
      const head = `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n` +
        `content-length: ${length}\r\nconnection: close\r\n\r\n`;
      const sent = connections === 1 ? body.slice(0, 40) : body;
      await conn.write(new TextEncoder().encode(head + sent));
      conn.close();
    }
  })();
  try {
    const url = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
    const [batch] = await collect(openai(url, {}, { maxRetries: 1 }), ["cut"]);
    assert.deepEqual(batch, [expectedVector("cut", 16)]);
    assert.equal(connections, 2);
  } finally {
    listener.close();
    await serving.catch(() => {});
  }
});

Deno.test("openai embedder reports a bad key once, as pgai records it", async () => {
  await using server = startOpenAIServer({ apiKey: "the-right-key" });
  const error = await failure(openai(server.url), ["x"]);
  assert.ok(error instanceof EmbeddingProviderError);
  assert.equal(
    error.message,
    "Error code: 401 - {'error': {'message': 'Incorrect API key provided: bad. You can find your " +
      "API key at https://platform.openai.com/account/api-keys.', 'type': " +
      "'invalid_request_error', 'param': None, 'code': 'invalid_api_key'}}",
  );
  assert.equal(error.retryable, false);
  assert.equal(error.inputRejected, false);
  assert.equal(server.embedRequests.length, 1);
});

Deno.test("openai embedder flags a 400 about the input as a rejected input", async () => {
  await using server = startOpenAIServer({ poison: "POISON" });
  const error = await failure(openai(server.url), ["fine", "has POISON in it"]);
  assert.ok(error instanceof EmbeddingProviderError);
  assert.equal(error.status, 400);
  assert.equal(error.inputRejected, true);
  assert.equal(error.retryable, false);
  assert.match(error.message, /^Error code: 400 - \{'error': \{'message': "Invalid 'input'/);
  assert.equal(server.embedRequests.length, 1);
});

Deno.test("openai embedder keeps a non-JSON error body as the error text", async () => {
  await using server = startOpenAIServer();
  server.script({ status: 404, body: "  no such route  " });
  const error = await failure(openai(server.url), ["x"]);
  assert.ok(error instanceof EmbeddingProviderError);
  assert.equal(error.message, "no such route");
  assert.equal(error.status, 404);
});

Deno.test("openai embedder reports a success body that is not JSON with the byte where it breaks", async () => {
  await using server = startOpenAIServer();
  server.script({ status: 200, body: `{"object": "list", "data": [` });
  const error = await failure(openai(server.url), ["x"]);
  assert.ok(error instanceof EmbeddingProviderError);
  assert.equal(
    error.message,
    "invalid JSON in the embeddings response at byte 28: unexpected end of data",
  );
  assert.equal(error.retryable, false);
  assert.equal(server.embedRequests.length, 1);
});

Deno.test("openai embedder reports an unreachable server as a retryable connection error", async () => {
  const server = startOpenAIServer();
  const url = server.url;
  await server.close();
  const error = await failure(openai(url, {}, { maxRetries: 0 }), ["x"]);
  assert.ok(error instanceof EmbeddingProviderError);
  assert.equal(error.message, "Connection error.");
  assert.equal(error.retryable, true);
});

Deno.test("openai embedder gives up on a request that exceeds its time limit", async () => {
  await using server = startOpenAIServer({ latencyMs: 5_000 });
  const error = await failure(openai(server.url, {}, { maxRetries: 0, timeoutMs: 50 }), ["x"]);
  assert.ok(error instanceof EmbeddingProviderError);
  assert.equal(error.message, "Request timed out.");
  assert.equal(error.retryable, true);
});

Deno.test("openai embedder reads base URL, organization and project from the environment", async () => {
  await using server = startOpenAIServer();
  const embedder = createEmbedder(
    { implementation: "openai", model: "text-embedding-3-small", dimensions: 16 },
    {
      env: {
        OPENAI_API_KEY: "sk-from-env",
        OPENAI_BASE_URL: `${server.url}/v1`,
        OPENAI_ORG_ID: "org-123",
        OPENAI_PROJECT_ID: "proj-456",
      },
    },
  );
  await collect(embedder, ["env"]);
  const headers = server.embedRequests[0]!.headers;
  assert.equal(headers.get("authorization"), "Bearer sk-from-env");
  assert.equal(headers.get("openai-organization"), "org-123");
  assert.equal(headers.get("openai-project"), "proj-456");
});

Deno.test("openai embedder without any API key fails with the client's message", async () => {
  await using server = startOpenAIServer();
  const embedder = createEmbedder(
    { implementation: "openai", model: "text-embedding-3-small", base_url: server.url },
    { env: {} },
  );
  const error = await failure(embedder, ["x"]);
  assert.ok(error instanceof EmbeddingProviderError);
  assert.match(error.message, /^The api_key client option must be set/);
  assert.equal(server.requests.length, 0);
});

Deno.test("openai embedder sends nothing for no documents", async () => {
  await using server = startOpenAIServer();
  assert.deepEqual(await collect(openai(server.url), []), []);
  assert.equal(server.requests.length, 0);
});

Deno.test("openai embedder stops when its signal aborts", async () => {
  await using server = startOpenAIServer({ latencyMs: 5_000 });
  const controller = new AbortController();
  const pending = collect(
    openai(server.url, {}, { signal: controller.signal }),
    ["waiting"],
  ).then(() => undefined, (error) => error);
  while (server.embedRequests.length === 0) await new Promise((r) => setTimeout(r, 5));
  controller.abort(new Error("shutting down"));
  const error = await pending;
  assert.ok(error instanceof Error);
  assert.equal(error.message, "shutting down");
});

Deno.test("openai embedder decodes a later response into the memory of recycled vectors only", async () => {
  await using server = startOpenAIServer();
  // 768 dimensions: 341 inputs per request, so 700 documents take three responses.
  const embedder = openai(server.url, { dimensions: 768 });
  const documents = Array.from({ length: 700 }, (_, i) => `document ${i}`);
  const kept: Float32Array[][] = [];
  const buffers: ArrayBufferLike[] = [];
  let offset = 0;
  for await (const part of embedder.embed(documents)) {
    buffers.push(part[0]!.buffer);
    part.forEach((v, i) => assert.deepEqual(v, expectedVector(documents[offset + i]!, 768)));
    offset += part.length;
    if (buffers.length === 1) kept.push(part); // still in use: never recycled
    else embedder.recycle!(part);
  }
  assert.equal(offset, 700);
  assert.equal(buffers.length, 3);
  assert.notEqual(buffers[1], buffers[0], "vectors still in use are not overwritten");
  assert.equal(buffers[2], buffers[1], "the recycled buffer holds the next response");
  kept[0]!.forEach((v, i) => assert.deepEqual(v, expectedVector(documents[i]!, 768)));
});
