import assert from "node:assert/strict";
import { createEmbedder, EmbeddingProviderError } from "../../src/embedders/mod.ts";
import type { Embedder, Env } from "../../src/embedders/mod.ts";
import { estimateTokensGenerously } from "../../src/embedders/tokenizer.ts";
import { expectedVector, startVoyageServer } from "../support/providers.ts";

async function collect(embedder: Embedder, documents: readonly string[]) {
  const batches: Float32Array[][] = [];
  for await (const batch of embedder.embed(documents)) batches.push(batch);
  return batches;
}

async function failure(embedder: Embedder, documents: readonly string[]): Promise<unknown> {
  try {
    await collect(embedder, documents);
  } catch (error) {
    return error;
  }
  assert.fail("embed did not fail");
}

function voyage(
  url: string,
  config: Record<string, unknown> = {},
  options: { env?: Env; maxRetries?: number } = {},
): Embedder {
  return createEmbedder(
    {
      implementation: "voyageai",
      model: "voyage-3-lite",
      dimensions: 16,
      input_type: "document",
      api_key_name: "VOYAGE_API_KEY",
      ...config,
    } as never,
    { apiKey: "pa-test", env: { VOYAGE_API_BASE: `${url}/v1`, ...options.env }, ...options },
  );
}

Deno.test("voyage embedder sends the voyageai client's request and decodes base64 vectors", async () => {
  await using server = startVoyageServer({ apiKey: "pa-test" });
  const [batch] = await collect(voyage(server.url), ["alpha", "beta"]);
  assert.deepEqual(batch, [expectedVector("alpha", 16), expectedVector("beta", 16)]);
  const request = server.embedRequests[0]!;
  assert.equal(request.headers.get("authorization"), "Bearer pa-test");
  assert.deepEqual(request.body, {
    input: ["alpha", "beta"],
    model: "voyage-3-lite",
    input_type: "document",
    truncation: true,
    encoding_format: "base64",
  });
});

Deno.test("voyage embedder sends output_dimension and output_dtype only when set", async () => {
  await using server = startVoyageServer();
  const embedder = voyage(server.url, {
    input_type: null,
    output_dimension: 8,
    output_dtype: "float",
  });
  const [batch] = await collect(embedder, ["gamma"]);
  assert.deepEqual(batch, [expectedVector("gamma", 8)]);
  assert.deepEqual(server.embedRequests[0]?.body, {
    input: ["gamma"],
    model: "voyage-3-lite",
    input_type: null,
    truncation: true,
    encoding_format: "base64",
    output_dimension: 8,
    output_dtype: "float",
  });
});

Deno.test("voyage embedder sends at most 128 inputs per request", async () => {
  await using server = startVoyageServer({ dimensions: 2 });
  const documents = Array.from({ length: 300 }, (_, i) => `item ${i}`);
  const batches = await collect(voyage(server.url), documents);
  assert.deepEqual(batches.map((batch) => batch.length), [128, 128, 44]);
  assert.deepEqual(batches.flat()[299], expectedVector("item 299", 2));
});

Deno.test("voyage embedder keeps requests under the model's token budget by estimate", async () => {
  await using server = startVoyageServer({ dimensions: 2 });
  // voyage-law-2 allows 120,000 tokens per request; each text is estimated at 40,000.
  const text = "x".repeat(120_000);
  assert.equal(estimateTokensGenerously(text), 40_000);
  const batches = await collect(voyage(server.url, { model: "voyage-law-2" }), [
    text,
    text,
    text,
    text,
  ]);
  assert.deepEqual(batches.map((batch) => batch.length), [3, 1]);
});

Deno.test("voyage embedder reports API errors with the client's text", async () => {
  await using server = startVoyageServer({ apiKey: "another-key" });
  const error = await failure(voyage(server.url), ["x"]);
  assert.ok(error instanceof EmbeddingProviderError);
  assert.equal(error.message, "Provided API key is invalid.");
  assert.equal(error.status, 401);
  assert.equal(error.retryable, false);
  assert.equal(server.embedRequests.length, 1);
});

Deno.test("voyage embedder flags a rejected input", async () => {
  await using server = startVoyageServer({ poison: "POISON" });
  const error = await failure(voyage(server.url), ["ok", "POISON"]);
  assert.ok(error instanceof EmbeddingProviderError);
  assert.equal(error.message, "Input contains rejected text.");
  assert.equal(error.inputRejected, true);
});

Deno.test("voyage embedder retries 429 and reports a persistent 500 like the client", async () => {
  await using server = startVoyageServer();
  server.script({ status: 429, headers: { "retry-after": "0" }, body: { detail: "slow down" } });
  const [batch] = await collect(voyage(server.url), ["patient"]);
  assert.deepEqual(batch, [expectedVector("patient", 16)]);
  assert.equal(server.embedRequests.length, 2);

  const answer = { status: 500, headers: { "retry-after": "0" }, body: { detail: "oops" } };
  server.script(answer, answer);
  const error = await failure(voyage(server.url, {}, { maxRetries: 1 }), ["x"]);
  assert.ok(error instanceof EmbeddingProviderError);
  assert.equal(error.message, "The server failed to process the request.");
  assert.equal(error.retryable, true);
  assert.equal(server.embedRequests.length, 4);
});

Deno.test("voyage embedder reports error bodies without detail like the client", async () => {
  await using server = startVoyageServer();
  server.script({ status: 400, body: { message: "odd" } }, { status: 418, body: "teapot" });
  const first = await failure(voyage(server.url), ["x"]);
  assert.ok(first instanceof EmbeddingProviderError);
  assert.equal(
    first.message,
    `Invalid response object from API: '{"message":"odd"}' (HTTP response code was 400)`,
  );
  const second = await failure(voyage(server.url), ["x"]);
  assert.ok(second instanceof EmbeddingProviderError);
  assert.equal(
    second.message,
    "Invalid response object from API: 'teapot' (HTTP response code was 418)",
  );
});

Deno.test("voyage embedder without an API key fails before any request", async () => {
  await using server = startVoyageServer();
  const embedder = createEmbedder(
    { implementation: "voyageai", model: "voyage-3", input_type: "document" },
    { env: { VOYAGE_API_BASE: `${server.url}/v1` } },
  );
  const error = await failure(embedder, ["x"]);
  assert.ok(error instanceof EmbeddingProviderError);
  assert.match(error.message, /^No API key provided/);
  assert.equal(server.requests.length, 0);
});
