/**
 * The provider stand-ins speak the real APIs: the official clients, pointed at them, get what
 * the real services would give them. The worker's own OpenAI requests go out with `fetch`; these
 * tests keep its test server honest against the `openai` package.
 */
import assert from "node:assert/strict";
import OpenAI from "openai";
import { expectedVector, startOpenAIServer } from "./providers.ts";

function client(url: string, apiKey = "sk-test-key"): OpenAI {
  return new OpenAI({ apiKey, baseURL: `${url}/v1`, maxRetries: 0 });
}

Deno.test("openai test server answers the official client's float request", async () => {
  await using server = startOpenAIServer({ apiKey: "sk-test-key" });
  const response = await client(server.url).embeddings.create({
    model: "text-embedding-3-small",
    input: ["alpha", "beta"],
    dimensions: 8,
    encoding_format: "float",
  });
  assert.equal(response.data.length, 2);
  assert.deepEqual(response.data.map((d) => d.index), [0, 1]);
  assert.deepEqual(
    response.data.map((d) => Float32Array.from(d.embedding)),
    [expectedVector("alpha", 8), expectedVector("beta", 8)],
  );
  assert.equal(response.model, "text-embedding-3-small");
  assert.ok(response.usage.prompt_tokens > 0);
});

Deno.test("openai test server's base64 vectors decode in the official client", async () => {
  await using server = startOpenAIServer();
  // Without an encoding_format the client asks for base64 itself and decodes it to numbers.
  const response = await client(server.url).embeddings.create({
    model: "text-embedding-3-small",
    input: "gamma",
    dimensions: 12,
  });
  const sent = server.embedRequests[0]?.body as Record<string, unknown> | undefined;
  assert.equal(sent?.encoding_format, "base64");
  assert.deepEqual(Float32Array.from(response.data[0]!.embedding), expectedVector("gamma", 12));
});

Deno.test("openai test server's errors reach the official client as its API errors", async () => {
  await using server = startOpenAIServer({ apiKey: "the-right-key" });
  await assert.rejects(
    client(server.url, "bad").embeddings.create({ model: "text-embedding-3-small", input: "x" }),
    (error: unknown) => {
      assert.ok(error instanceof OpenAI.AuthenticationError);
      assert.equal(error.status, 401);
      assert.equal(error.code, "invalid_api_key");
      return true;
    },
  );
});
