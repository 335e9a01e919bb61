import assert from "node:assert/strict";
import { configureLogging } from "../../src/log.ts";
import { createEmbedder, EmbeddingProviderError } from "../../src/embedders/mod.ts";
import type { Embedder, Env } from "../../src/embedders/mod.ts";
import { expectedVector, startOllamaServer } from "../support/providers.ts";

async function collect(embedder: Embedder, documents: readonly string[]) {
  const batches: Float32Array[][] = [];
  for await (const batch of embedder.embed(documents)) batches.push(batch);
  return batches;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail("the call did not fail");
}

function ollama(
  baseUrl: string | undefined,
  config: Record<string, unknown> = {},
  options: { env?: Env; maxRetries?: number; timeoutMs?: number } = {},
): Embedder {
  return createEmbedder(
    {
      implementation: "ollama",
      model: "nomic-embed-text",
      dimensions: 16,
      ...(baseUrl === undefined ? {} : { base_url: baseUrl }),
      ...config,
    } as never,
    { env: {}, ...options },
  );
}

/** Log lines written while `body` runs. */
async function capturingLogs(body: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  configureLogging({ format: "json", level: "debug", sink: (line) => lines.push(line) });
  try {
    await body();
  } finally {
    configureLogging();
  }
  return lines;
}

Deno.test("ollama embedder sends pgai's embed request with known options and keep_alive", async () => {
  await using server = startOllamaServer({ models: ["nomic-embed-text"] });
  const embedder = ollama(server.url, {
    options: { num_ctx: "2048", temperature: 0.5, stop: ["###"], use_mmap: "false", bogus: 1 },
    keep_alive: "5m",
  });
  const batches = await collect(embedder, ["one", "two"]);
  assert.deepEqual(batches, [[expectedVector("one", 16), expectedVector("two", 16)]]);
  assert.deepEqual(server.embedRequests[0]?.body, {
    model: "nomic-embed-text",
    input: ["one", "two"],
    options: { num_ctx: 2048, temperature: 0.5, stop: ["###"], use_mmap: false },
    keep_alive: "5m",
  });
});

Deno.test("ollama setup pulls a missing model and warns that it may take a while", async () => {
  await using server = startOllamaServer({ models: [] });
  const embedder = ollama(server.url);
  const logs = await capturingLogs(() => embedder.setup());
  assert.deepEqual(server.requests.map((r) => r.path), ["/api/show", "/api/pull"]);
  const pull = server.requests[1]?.body as Record<string, unknown>;
  assert.equal(pull.name ?? pull.model, "nomic-embed-text");
  assert.equal(pull.stream, false);
  assert.equal(pull.insecure, false);
  assert.ok(server.models.has("nomic-embed-text:latest"));
  assert.ok(
    logs.some((line) =>
      line.includes("pulling ollama model 'nomic-embed-text', this may take a while")
    ),
  );
  const [batch] = await collect(embedder, ["after pull"]);
  assert.deepEqual(batch, [expectedVector("after pull", 16)]);
});

Deno.test("ollama setup only checks a model that is present", async () => {
  await using server = startOllamaServer({ models: ["nomic-embed-text:latest"] });
  await ollama(server.url).setup();
  assert.deepEqual(server.requests.map((r) => r.path), ["/api/show"]);
});

Deno.test("ollama setup reports a failed pull instead of swallowing it", async () => {
  await using server = startOllamaServer({ models: [], pullable: () => false });
  const error = await rejection(ollama(server.url).setup());
  assert.ok(error instanceof EmbeddingProviderError);
  assert.equal(error.message, "pull model manifest: file does not exist (status code: 500)");
});

Deno.test("ollama setup reports a server error from the model check", async () => {
  await using server = startOllamaServer({ models: ["nomic-embed-text"] });
  server.scriptPath(/^\/api\/show$/, { status: 500, body: { error: "llama runner crashed" } });
  const error = await rejection(ollama(server.url).setup());
  assert.ok(error instanceof EmbeddingProviderError);
  assert.equal(error.message, "llama runner crashed (status code: 500)");
});

Deno.test("ollama setup reports an unreachable server", async () => {
  const server = startOllamaServer();
  const url = server.url;
  await server.close();
  const error = await rejection(ollama(url).setup());
  assert.ok(error instanceof EmbeddingProviderError);
  assert.match(error.message, /^Failed to connect to Ollama/);
  assert.equal(error.retryable, true);
});

Deno.test("ollama embedder splits requests by PGAI_VECTORIZER_OLLAMA_MAX_CHUNKS_PER_BATCH", async () => {
  await using server = startOllamaServer({ models: ["nomic-embed-text"] });
  const embedder = ollama(server.url, {}, {
    env: { PGAI_VECTORIZER_OLLAMA_MAX_CHUNKS_PER_BATCH: "2" },
  });
  const documents = ["a", "b", "c", "d", "e"];
  const batches = await collect(embedder, documents);
  assert.deepEqual(batches.map((batch) => batch.length), [2, 2, 1]);
  assert.deepEqual(batches.flat(), documents.map((text) => expectedVector(text, 16)));
});

Deno.test("ollama embedder rejects a bad batch size variable before any request", async () => {
  await using server = startOllamaServer({ models: ["nomic-embed-text"] });
  for (const value of ["abc", "0", "-3", "1.5"]) {
    const embedder = ollama(server.url, {}, {
      env: { PGAI_VECTORIZER_OLLAMA_MAX_CHUNKS_PER_BATCH: value },
    });
    const error = await rejection(collect(embedder, ["x"]));
    assert.ok(error instanceof EmbeddingProviderError);
    assert.equal(
      error.message,
      `PGAI_VECTORIZER_OLLAMA_MAX_CHUNKS_PER_BATCH must be a positive integer, got "${value}"`,
    );
  }
  assert.equal(server.requests.length, 0);
});

Deno.test("ollama embedder rejects an option of the wrong type", async () => {
  await using server = startOllamaServer({ models: ["nomic-embed-text"] });
  const error = await rejection(
    collect(ollama(server.url, { options: { num_ctx: "lots" } }), ["x"]),
  );
  assert.ok(error instanceof EmbeddingProviderError);
  assert.equal(error.message, 'embedding.options.num_ctx must be an integer, got "lots"');
  assert.equal(server.requests.length, 0);
});

Deno.test("ollama embedder finds the server through OLLAMA_HOST without a scheme", async () => {
  await using server = startOllamaServer({ models: ["nomic-embed-text"] });
  const embedder = ollama(undefined, {}, {
    env: { OLLAMA_HOST: server.url.slice("http://".length) },
  });
  const [batch] = await collect(embedder, ["via env"]);
  assert.deepEqual(batch, [expectedVector("via env", 16)]);
});

Deno.test("ollama embedder flags a rejected input with Ollama's error text", async () => {
  await using server = startOllamaServer({ models: ["nomic-embed-text"], poison: "POISON" });
  const error = await rejection(collect(ollama(server.url), ["POISON pill"]));
  assert.ok(error instanceof EmbeddingProviderError);
  assert.equal(error.message, "input contains rejected text (status code: 400)");
  assert.equal(error.inputRejected, true);
  assert.equal(error.retryable, false);
});

Deno.test("ollama embedder reports a model that was never pulled", async () => {
  await using server = startOllamaServer({ models: [] });
  const error = await rejection(collect(ollama(server.url), ["x"]));
  assert.ok(error instanceof EmbeddingProviderError);
  assert.equal(
    error.message,
    'model "nomic-embed-text" not found, try pulling it first (status code: 404)',
  );
  assert.equal(error.inputRejected, false);
});

Deno.test("ollama embedder retries a busy server", async () => {
  await using server = startOllamaServer({ models: ["nomic-embed-text"] });
  server.script({ status: 503, body: { error: "server busy, please try again" } });
  const [batch] = await collect(ollama(server.url, {}, { maxRetries: 1 }), ["eventually"]);
  assert.deepEqual(batch, [expectedVector("eventually", 16)]);
  assert.equal(server.embedRequests.length, 2);
});

Deno.test("ollama embedder gives up on a request that exceeds its time limit", async () => {
  await using server = startOllamaServer({ models: ["nomic-embed-text"], latencyMs: 5_000 });
  const error = await rejection(
    collect(ollama(server.url, {}, { maxRetries: 0, timeoutMs: 50 }), ["slow"]),
  );
  assert.ok(error instanceof EmbeddingProviderError);
  assert.equal(error.message, "Request timed out after 50 ms");
  assert.equal(error.retryable, true);
});

Deno.test("ollama error bodies that are not JSON stay off standard output", async () => {
  await using server = startOllamaServer({ models: ["nomic-embed-text"] });
  server.script({ status: 502, body: "Bad Gateway from proxy" });
  const printed: unknown[][] = [];
  const print = console.log;
  console.log = (...args: unknown[]) => printed.push(args);
  let error: unknown;
  try {
    error = await rejection(collect(ollama(server.url, {}, { maxRetries: 0 }), ["x"]));
  } finally {
    console.log = print;
  }
  assert.deepEqual(printed, []);
  assert.ok(error instanceof EmbeddingProviderError);
  assert.equal(error.message, "Bad Gateway from proxy (status code: 502)");
});
