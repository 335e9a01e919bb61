import assert from "node:assert/strict";
import { encode } from "gpt-tokenizer/encoding/cl100k_base";
import {
  countCl100kTokens,
  estimateTokens,
  estimateTokensGenerously,
  mayExceed,
  truncateCl100k,
  utf8ByteLength,
} from "../../src/embedders/tokenizer.ts";
import { decodeBase64Embedding, decodeBase64Floats } from "../../src/embedders/vectors.ts";
import { base64Vector, expectedVector } from "../support/providers.ts";

Deno.test("utf8 byte length matches TextEncoder, lone surrogates included", () => {
  for (const text of ["", "abc", "ф", "中文", "😀x", "a\ud800b", "\udc00", "é".repeat(50)]) {
    assert.equal(utf8ByteLength(text), new TextEncoder().encode(text).length, JSON.stringify(text));
  }
  assert.equal(estimateTokens("ф".repeat(300)), 150);
});

Deno.test("cl100k counting matches the reference tokenizer and treats special tokens as text", async () => {
  const samples = [
    "hello world",
    "  leading spaces\n\n\ttabs 1234567 don't I'll",
    "naïve café 中文 😀 🇫🇷",
    "<|endoftext|> is text here <|fim_prefix|>",
  ];
  assert.deepEqual(
    await countCl100kTokens(samples),
    samples.map((text) => encode(text, { disallowedSpecial: new Set() }).length),
  );
  assert.deepEqual(await countCl100kTokens(["hello world"]), [2]);
});

Deno.test("cl100k truncation leaves texts that fit untouched and cuts the rest at the limit", async () => {
  assert.deepEqual(await truncateCl100k("short text", 8191), {
    text: "short text",
    truncated: false,
  });
  const long = "word ".repeat(100);
  const cut = await truncateCl100k(long, 10);
  assert.equal(cut.truncated, true);
  assert.equal(cut.text, "word ".repeat(9) + "word");
  assert.equal(encode(cut.text).length, 10);
  // Exactly at the limit: not truncated.
  const exact = "word".repeat(1) + " word".repeat(9);
  assert.equal((await truncateCl100k(exact, 10)).truncated, false);
});

Deno.test("only texts of more UTF-8 bytes than the token budget may exceed it", () => {
  assert.equal(mayExceed("a".repeat(10), 10), false);
  assert.equal(mayExceed("a".repeat(11), 10), true);
  assert.equal(mayExceed("ф".repeat(5), 10), false); // 10 bytes
  assert.equal(mayExceed("ф".repeat(6), 10), true); // 12 bytes
  assert.equal(mayExceed("中", 2), true); // 3 bytes
  assert.equal(mayExceed("ab", 6), false);
});

Deno.test("the generous estimate counts a third per ASCII character and one per other character", () => {
  assert.equal(estimateTokensGenerously("abcdef"), 2);
  assert.equal(estimateTokensGenerously("中文"), 2);
  assert.equal(estimateTokensGenerously("😀"), 1);
  assert.equal(estimateTokensGenerously("ab"), 1);
});

Deno.test("base64 vectors decode to the exact float32 values", () => {
  const vector = expectedVector("decode me", 12);
  assert.deepEqual(decodeBase64Floats(base64Vector(vector)), vector);
  assert.deepEqual(
    decodeBase64Embedding(btoa(String.fromCharCode(0, 1, 127, 128, 255)), "int8"),
    new Float32Array([0, 1, 127, -128, -1]),
  );
  assert.deepEqual(
    decodeBase64Embedding(btoa(String.fromCharCode(0, 128, 255)), "uint8"),
    new Float32Array([0, 128, 255]),
  );
  assert.throws(() => decodeBase64Floats(btoa("abc")), TypeError);
});
