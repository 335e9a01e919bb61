import assert from "node:assert/strict";
import { configureLogging } from "../../src/log.ts";
import { createEmbedder, EmbeddingProviderError } from "../../src/embedders/mod.ts";
import type { Embedder, Env } from "../../src/embedders/mod.ts";
import { litellmLimits, routeModel } from "../../src/embedders/litellm.ts";
import {
  expectedVector,
  startAzureOpenAIServer,
  startCohereServer,
  startMistralServer,
  startOpenAIServer,
  startVoyageServer,
} from "../support/providers.ts";

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

function litellm(
  model: string,
  extra: Record<string, unknown>,
  options: { env?: Env; apiKey?: string; maxRetries?: number } = {},
): Embedder {
  return createEmbedder(
    { implementation: "litellm", model, dimensions: 16, extra_options: extra },
    { env: {}, ...options },
  );
}

/** Log lines written while `body` runs. */
function capturingLogs(body: () => void): string[] {
  const lines: string[] = [];
  configureLogging({ format: "json", level: "debug", sink: (line) => lines.push(line) });
  try {
    body();
  } finally {
    configureLogging();
  }
  return lines;
}

Deno.test("litellm routes provider/model names and bare OpenAI names", () => {
  assert.deepEqual(routeModel("cohere/embed-english-v3.0"), {
    provider: "cohere",
    model: "embed-english-v3.0",
  });
  assert.deepEqual(routeModel("huggingface/BAAI/bge-small-en-v1.5"), {
    provider: "huggingface",
    model: "BAAI/bge-small-en-v1.5",
  });
  assert.deepEqual(routeModel("text-embedding-3-small"), {
    provider: "openai",
    model: "text-embedding-3-small",
  });
  assert.deepEqual(routeModel("azure/my-deployment"), {
    provider: "azure",
    model: "my-deployment",
  });
});

Deno.test("litellm uses pgai's per-provider request limits", () => {
  const limits = (model: string, env: Env = {}) => litellmLimits(routeModel(model), env);
  assert.deepEqual(limits("cohere/embed-english-v3.0"), { maxChunks: 96, maxTokens: undefined });
  assert.deepEqual(limits("mistral/mistral-embed"), { maxChunks: 128, maxTokens: 16_000 });
  assert.deepEqual(limits("text-embedding-3-small"), { maxChunks: 2048, maxTokens: 600_000 });
  assert.deepEqual(limits("azure/dep"), { maxChunks: 2048, maxTokens: 600_000 });
  assert.deepEqual(limits("voyage/voyage-3"), { maxChunks: 128, maxTokens: 320_000 });
  assert.deepEqual(limits("vertex_ai/text-embedding-005"), { maxChunks: 250, maxTokens: 20_000 });
  assert.deepEqual(limits("gemini/text-embedding-004"), { maxChunks: 250, maxTokens: undefined });
  assert.deepEqual(limits("cohere/x", { PGAI_LITELLM_MAX_CHUNKS_PER_BATCH: "10" }).maxChunks, 10);
});

Deno.test("litellm warns and keeps the provider limit for a bad PGAI_LITELLM_MAX_CHUNKS_PER_BATCH", () => {
  let limits: ReturnType<typeof litellmLimits> | undefined;
  const logs = capturingLogs(() => {
    limits = litellmLimits(routeModel("cohere/x"), { PGAI_LITELLM_MAX_CHUNKS_PER_BATCH: "many" });
  });
  assert.equal(limits?.maxChunks, 96);
  assert.ok(logs.some((line) => line.includes("is not a valid int")));
});

Deno.test("litellm falls back to 5 inputs per request for an unknown provider, with a warning", () => {
  let limits: ReturnType<typeof litellmLimits> | undefined;
  const logs = capturingLogs(() => {
    limits = litellmLimits(routeModel("someone/model"), {});
  });
  assert.equal(limits?.maxChunks, 5);
  assert.ok(logs.some((line) => line.includes("unknown provider 'someone'")));
});

Deno.test("litellm embeds through Cohere's embed API in batches of 96", async () => {
  await using server = startCohereServer({ apiKey: "co-key" });
  const embedder = litellm("cohere/embed-english-v3.0", { api_base: server.url }, {
    env: { COHERE_API_KEY: "co-key" },
  });
  const documents = Array.from({ length: 97 }, (_, i) => `cohere ${i}`);
  const batches = await collect(embedder, documents);
  assert.deepEqual(batches.map((batch) => batch.length), [96, 1]);
  assert.deepEqual(batches.flat(), documents.map((text) => expectedVector(text, 16)));
  const request = server.embedRequests[1]!;
  assert.equal(request.headers.get("authorization"), "Bearer co-key");
  assert.deepEqual(request.body, {
    model: "embed-english-v3.0",
    texts: ["cohere 96"],
    input_type: "search_document",
  });
});

Deno.test("litellm reports Cohere errors in LiteLLM's shape", async () => {
  await using server = startCohereServer({ apiKey: "co-key", poison: "POISON" });
  const denied = await failure(
    litellm("cohere/embed-english-v3.0", { api_base: server.url }, { apiKey: "wrong" }),
    ["x"],
  );
  assert.ok(denied instanceof EmbeddingProviderError);
  assert.equal(
    denied.message,
    'litellm.AuthenticationError: CohereException - {"message":"invalid api token"}',
  );
  assert.equal(denied.provider, "litellm");
  const rejected = await failure(
    litellm("cohere/embed-english-v3.0", { api_base: server.url }, { apiKey: "co-key" }),
    ["POISON"],
  );
  assert.ok(rejected instanceof EmbeddingProviderError);
  assert.equal(rejected.inputRejected, true);
  assert.match(rejected.message, /^litellm\.BadRequestError: CohereException - /);
});

Deno.test("litellm embeds through Mistral with base64 vectors and 128 inputs per request", async () => {
  await using server = startMistralServer({ apiKey: "mi-key" });
  const embedder = litellm("mistral/mistral-embed", { api_base: `${server.url}/v1` }, {
    env: { MISTRAL_API_KEY: "mi-key" },
  });
  const documents = Array.from({ length: 129 }, (_, i) => `mistral ${i}`);
  const batches = await collect(embedder, documents);
  assert.deepEqual(batches.map((batch) => batch.length), [128, 1]);
  assert.deepEqual(batches.flat(), documents.map((text) => expectedVector(text, 16)));
  assert.deepEqual(server.embedRequests[1]?.body, {
    input: ["mistral 128"],
    model: "mistral-embed",
    encoding_format: "base64",
  });
});

Deno.test("litellm keeps Mistral requests under 16,000 estimated tokens", async () => {
  await using server = startMistralServer({ dimensions: 2 });
  const embedder = litellm("mistral/mistral-embed", { api_base: `${server.url}/v1` }, {
    apiKey: "k",
  });
  // 15,000 ASCII characters are estimated at 5,000 tokens: three fit, the fourth does not.
  const text = "y".repeat(15_000);
  const batches = await collect(embedder, [text, text, text, text]);
  assert.deepEqual(batches.map((batch) => batch.length), [3, 1]);
});

Deno.test("litellm embeds through an Azure OpenAI deployment", async () => {
  await using server = startAzureOpenAIServer({ apiKey: "az-key" });
  const embedder = litellm("azure/my-deployment", {
    api_base: server.url,
    api_version: "2024-06-01",
  }, { env: { AZURE_API_KEY: "az-key" } });
  const [batch] = await collect(embedder, ["azure text"]);
  assert.deepEqual(batch, [expectedVector("azure text", 16)]);
  const request = server.embedRequests[0]!;
  assert.equal(request.path, "/openai/deployments/my-deployment/embeddings");
  assert.equal(request.search, "?api-version=2024-06-01");
  assert.equal(request.headers.get("api-key"), "az-key");
});

Deno.test("litellm reports Azure errors through the OpenAI client's text", async () => {
  await using server = startAzureOpenAIServer({ apiKey: "az-key" });
  const error = await failure(
    litellm("azure/dep", { api_base: server.url }, { apiKey: "bad" }),
    ["x"],
  );
  assert.ok(error instanceof EmbeddingProviderError);
  assert.match(
    error.message,
    /^litellm\.AuthenticationError: AzureException - Error code: 401 - \{'error': \{'code': '401', 'message': 'Access denied/,
  );
  assert.equal(server.embedRequests[0]?.search, "?api-version=2024-10-21");
});

Deno.test("litellm sends bare OpenAI model names to an OpenAI-compatible base", async () => {
  await using server = startOpenAIServer({ apiKey: "sk-x" });
  const embedder = litellm("text-embedding-3-small", { api_base: `${server.url}/v1` }, {
    env: { OPENAI_API_KEY: "sk-x" },
  });
  const [batch] = await collect(embedder, ["openai via litellm"]);
  assert.deepEqual(batch, [expectedVector("openai via litellm", 16)]);
  assert.deepEqual(server.embedRequests[0]?.body, {
    input: ["openai via litellm"],
    model: "text-embedding-3-small",
    encoding_format: "base64",
  });
});

Deno.test("litellm embeds through Voyage with extra options passed on", async () => {
  await using server = startVoyageServer({ apiKey: "pa-key" });
  const embedder = litellm("voyage/voyage-3-lite", {
    api_base: `${server.url}/v1`,
    input_type: "query",
  }, { env: { VOYAGE_API_KEY: "pa-key" } });
  const [batch] = await collect(embedder, ["voyage via litellm"]);
  assert.deepEqual(batch, [expectedVector("voyage via litellm", 16)]);
  assert.deepEqual(server.embedRequests[0]?.body, {
    input: ["voyage via litellm"],
    model: "voyage-3-lite",
    input_type: "query",
  });
});

Deno.test("litellm honours PGAI_LITELLM_MAX_CHUNKS_PER_BATCH", async () => {
  await using server = startCohereServer();
  const embedder = litellm("cohere/embed-english-v3.0", { api_base: server.url }, {
    apiKey: "k",
    env: { PGAI_LITELLM_MAX_CHUNKS_PER_BATCH: "2" },
  });
  const batches = await collect(embedder, ["a", "b", "c"]);
  assert.deepEqual(batches.map((batch) => batch.length), [2, 1]);
});

Deno.test("litellm names a provider it cannot reach yet", async () => {
  const error = await failure(
    litellm("bedrock/amazon.titan-embed-text-v2:0", {}, { apiKey: "k" }),
    ["x"],
  );
  assert.ok(error instanceof EmbeddingProviderError);
  assert.match(error.message, /^provider 'bedrock' is not supported yet/);
});

Deno.test("litellm without a key for the provider says where to put one", async () => {
  const error = await failure(litellm("mistral/mistral-embed", {}), ["x"]);
  assert.ok(error instanceof EmbeddingProviderError);
  assert.equal(
    error.message,
    "no API key for mistral: set api_key_name, extra_options.api_key or MISTRAL_API_KEY",
  );
});

Deno.test("litellm counts cl100k tokens for OpenAI models when bytes alone would split", async () => {
  await using server = startOpenAIServer({ dimensions: 2 });
  const embedder = litellm("openai/text-embedding-3-small", { api_base: `${server.url}/v1` }, {
    apiKey: "k",
  });
  // 3 × 250,000 bytes exceed the 600,000-token budget in bytes, but are ~125,000 tokens.
  const text = "hello ".repeat(41_667);
  const batches = await collect(embedder, [text, text, text]);
  assert.deepEqual(batches.map((batch) => batch.length), [3]);
});
