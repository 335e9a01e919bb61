import assert from "node:assert/strict";
import { parseEmbeddingsResponse, ResponseSyntaxError } from "../../src/embedders/response.ts";
import { encodeBase64Floats, vectorsByIndex } from "../../src/embedders/vectors.ts";

const utf8 = new TextEncoder();

/** What `raw.json()` makes of a body: the reference the parser must match. */
function reference(bytes: Uint8Array): unknown {
  return JSON.parse(new TextDecoder().decode(bytes));
}

function parse(text: string, count?: number): unknown {
  return parseEmbeddingsResponse(utf8.encode(text), count);
}

/** The error parsing `text` fails with. */
function failure(text: string | Uint8Array, count?: number): ResponseSyntaxError {
  try {
    parseEmbeddingsResponse(typeof text === "string" ? utf8.encode(text) : text, count);
  } catch (error) {
    assert.ok(error instanceof ResponseSyntaxError, `not a ResponseSyntaxError: ${error}`);
    assert.ok(error instanceof SyntaxError);
    return error;
  }
  assert.fail(`parsed without an error: ${JSON.stringify(String(text))}`);
}

/** A small deterministic generator (xorshift32), values in [0, 1). */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 2 ** 32;
  };
}

/** OpenAI's response for these vectors, as the base64 the API sends. */
function openAIBody(
  vectors: readonly Float32Array[],
  base64: (vector: Float32Array) => string = encodeBase64Floats,
): string {
  return JSON.stringify({
    object: "list",
    data: vectors.map((vector, index) => ({
      object: "embedding",
      index,
      embedding: base64(vector),
    })),
    model: "text-embedding-3-small",
    usage: { prompt_tokens: 123, total_tokens: 123 },
  });
}

type Parsed = { data: { index: number; embedding: unknown }[]; usage: unknown };

/** Bitwise equality of float32 vectors (tells -0 from 0). */
function assertSameFloats(actual: unknown, expected: Float32Array, label = ""): void {
  assert.ok(actual instanceof Float32Array, `${label} is not a Float32Array`);
  assert.equal(actual.length, expected.length, `${label} length`);
  assert.deepEqual(
    new Uint8Array(actual.buffer, actual.byteOffset, actual.byteLength),
    new Uint8Array(expected.buffer, expected.byteOffset, expected.byteLength),
    label,
  );
}

const EDGE_FLOATS = [
  0,
  -0,
  1,
  -1,
  0.1,
  1e-45, // smallest denormal
  -1.1754942106924411e-38, // largest negative denormal
  1.1754943508222875e-38, // smallest normal
  3.4028234663852886e38, // largest float32
  -3.4028234663852886e38,
  0.984375,
];

/** A vector of `dims` values: the edge values first, then random ones over a wide range. */
function vectorOf(dims: number, next: () => number): Float32Array {
  const vector = new Float32Array(dims);
  for (let i = 0; i < dims; i++) {
    vector[i] = i < EDGE_FLOATS.length
      ? EDGE_FLOATS[i]!
      : (next() - 0.5) * 2 ** Math.floor(next() * 80 - 40);
  }
  return vector;
}

const TRICKY_DOCUMENTS = [
  `{}`,
  `[]`,
  `""`,
  `0`,
  `-0`,
  `[-0, 0, -0.0, 0e5, -0E-2]`,
  `[1e-7, 1E+3, 1e3, -1.5e-300, 1e308, 5e-324, 2.5E-324, 1e400, -1e400]`,
  `[123456789012345, 1234567890123456, 12345678901234567890, 9007199254740993, -9007199254740993]`,
  `[0.1, 0.30000000000000004, 3.141592653589793, -2.718281828459045e-10, 100.0, 1.0e0]`,
  `[true, false, null, [true], {"a": null}]`,
  `"quote \\" backslash \\\\ slash \\/ controls \\b\\f\\n\\r\\t"`,
  `"\\u0000\\u001f\\u0041\\u00e9\\u4E2D\\uFFFF\\uffFe"`,
  `"pair \\ud83d\\ude00 lone high \\ud800 lone low \\udc00 reversed \\udc00\\ud800"`,
  `"raw unicode: é ф 中文 😀 \u2028 \u2029"`,
  `"\ufeffstarts with a byte order mark"`,
  `{"embedding vector": "not decoded", "Embedding": "nor this", "embeddings": "nor this"}`,
  `{"a": 1, "a": 2, "b": {"a": 3}}`,
  `{"__proto__": {"polluted": true}, "constructor": 1, "toString": "x"}`,
  `{"2": "b", "1": "a", "x": "c", "-1": "d", "01": "e"}`,
  `[[[[[[[[[[[]]]]]]]]]], [[{}]], [{"a": [{"b": [[]]}]}]]`,
  `{"a string longer than the thirty-two characters that are cached": "and a value longer than that too"}`,
  `{"object": "list", "object ": "list", "objecT": "lis"}`,
  ` \t\n\r{ \t\n\r"a" \t\n\r: \t\n\r[ \t\n\r1 \t\n\r, \t\n\rtrue \t\n\r] \t\n\r} \t\n\r`,
];

Deno.test("parses tricky documents exactly as JSON.parse does", () => {
  for (const document of TRICKY_DOCUMENTS) {
    const bytes = utf8.encode(document);
    assert.deepStrictEqual(parseEmbeddingsResponse(bytes), reference(bytes), document);
  }
});

Deno.test("a __proto__ key becomes an own property, even where __proto__ sets the prototype", async () => {
  // Deno leaves Object.prototype.__proto__ out unless asked for it: ask.
  const code = `
    import { parseEmbeddingsResponse } from ${
    JSON.stringify(import.meta.resolve("../../src/embedders/response.ts"))
  };
    const parsed = parseEmbeddingsResponse(new TextEncoder().encode('{"__proto__": {"polluted": 1}}'));
    const probe = {};
    probe["__proto__"] = { polluted: 1 };
    console.log(JSON.stringify([
      Object.getPrototypeOf(probe) !== Object.prototype,
      Object.getPrototypeOf(parsed) === Object.prototype,
      Object.keys(parsed),
      parsed.polluted === undefined,
    ]));
  `;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--unstable-unsafe-proto", code],
    stderr: "inherit",
  }).output();
  assert.ok(output.success);
  const result = JSON.parse(new TextDecoder().decode(output.stdout));
  assert.deepStrictEqual(result, [true, true, ["__proto__"], true]);
});

Deno.test("short strings that share a cache slot stay distinct", () => {
  const keys = Array.from({ length: 3000 }, (_, i) => `k${String(i).padStart(4, "0")}`);
  const text = JSON.stringify({ keys, object: Object.fromEntries(keys.map((key) => [key, key])) });
  const bytes = utf8.encode(text);
  assert.deepStrictEqual(parseEmbeddingsResponse(bytes), reference(bytes));
  assert.deepStrictEqual(parseEmbeddingsResponse(bytes), reference(bytes));
});

/** A random JSON value: deep, with strings of any code units, numbers of any size. */
function randomValue(next: () => number, depth: number): unknown {
  const kind = Math.floor(next() * (depth > 4 ? 4 : 7));
  switch (kind) {
    case 0:
      return randomString(next);
    case 1: {
      const choice = next();
      if (choice < 0.3) return Math.floor((next() - 0.5) * 2 ** Math.floor(next() * 60));
      if (choice < 0.6) return (next() - 0.5) * 10 ** Math.floor(next() * 600 - 300);
      return new Float64Array(new Uint32Array([next() * 2 ** 32, next() * 2 ** 32]).buffer)[0]!;
    }
    case 2:
      return next() < 0.5;
    case 3:
      return null;
    case 4:
    case 5: {
      const object: Record<string, unknown> = {};
      const size = Math.floor(next() * 6);
      for (let i = 0; i < size; i++) {
        // Keys that merely contain "embedding" are ordinary; the key itself is not.
        const key = randomString(next);
        object[key === "embedding" ? "embeddings" : key] = randomValue(next, depth + 1);
      }
      return object;
    }
    default:
      return Array.from({ length: Math.floor(next() * 6) }, () => randomValue(next, depth + 1));
  }
}

/** ASCII, control characters, quotes, backslashes, 2- to 4-byte characters, lone surrogates. */
function randomString(next: () => number): string {
  const pieces = ["a", "Z", "0", " ", '"', "\\", "/", "\n", "\u0001", "\u007f", "é", "ф", "中"];
  pieces.push("😀", "\ud800", "\udfff", "\ufeff", "\u2028", "embedding");
  let text = "";
  const length = Math.floor(next() * (next() < 0.1 ? 80 : 12));
  for (let i = 0; i < length; i++) {
    text += next() < 0.3
      ? String.fromCharCode(Math.floor(next() * 0x10000))
      : pieces[Math.floor(next() * pieces.length)];
  }
  return text;
}

Deno.test("round-trips random JSON values like JSON.parse, in any layout", () => {
  const next = random(20240611);
  for (let i = 0; i < 400; i++) {
    const value = randomValue(next, 0);
    const text = JSON.stringify(value, null, i % 3 === 0 ? undefined : i % 3 === 1 ? 2 : "\t");
    const bytes = utf8.encode(text);
    assert.deepStrictEqual(parseEmbeddingsResponse(bytes), reference(bytes), text);
  }
});

Deno.test("decodes strings with invalid UTF-8 like the platform's decoder", () => {
  const bytes = new Uint8Array([
    ...utf8.encode(`["a`),
    0xff,
    0xc3, // a lead byte whose continuation is the closing quote
    ...utf8.encode(`", "`),
    0xed, // an encoded surrogate half
    0xa0,
    0x80,
    ...utf8.encode(`b\\n`),
    0xe4,
    0xb8, // cut short by an escape
    ...utf8.encode(`\\t"]`),
  ]);
  assert.deepStrictEqual(parseEmbeddingsResponse(bytes), reference(bytes));
});

Deno.test("skips a leading byte order mark like Response.json()", () => {
  const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8.encode(`{"a": "\ufeffb"}`)]);
  assert.deepStrictEqual(parseEmbeddingsResponse(bytes), { a: "\ufeffb" });
});

Deno.test("decodes base64 embeddings exactly, edge values included", () => {
  const next = random(7);
  // Byte sizes of every remainder modulo 3 (so 0, 1 or 2 padding characters) and 16 characters.
  for (const dims of [1, 2, 3, 4, 5, 11, 12, 13, 64, 767, 768, 1536]) {
    const vectors = Array.from({ length: 5 }, () => vectorOf(dims, next));
    const parsed = parse(openAIBody(vectors), vectors.length) as Parsed;
    vectors.forEach((vector, i) => {
      assertSameFloats(parsed.data[i]!.embedding, vector, `${dims} dims, vector ${i}`);
    });
    assert.deepStrictEqual(parsed.usage, { prompt_tokens: 123, total_tokens: 123 });
  }
});

Deno.test("the vectors of a response share one buffer sized for the expected count", () => {
  const next = random(11);
  const vectors = Array.from({ length: 4 }, () => vectorOf(16, next));
  const parsed = parse(openAIBody(vectors), 4) as Parsed;
  const decoded = parsed.data.map((item) => item.embedding as Float32Array);
  assert.equal(decoded[0]!.buffer.byteLength, 4 * 16 * 4);
  decoded.forEach((vector, i) => {
    assert.equal(vector.buffer, decoded[0]!.buffer);
    assert.equal(vector.byteOffset, i * 64);
    assertSameFloats(vector, vectors[i]!);
  });
});

Deno.test("vectors beyond the expected count or of another size get buffers of their own", () => {
  const next = random(13);
  const vectors = [vectorOf(8, next), vectorOf(8, next), vectorOf(3, next), vectorOf(8, next)];
  const parsed = parse(openAIBody(vectors), 2) as Parsed;
  const decoded = parsed.data.map((item) => item.embedding as Float32Array);
  decoded.forEach((vector, i) => assertSameFloats(vector, vectors[i]!, `vector ${i}`));
  assert.equal(decoded[1]!.buffer, decoded[0]!.buffer);
  assert.notEqual(decoded[2]!.buffer, decoded[0]!.buffer);
  assert.notEqual(decoded[3]!.buffer, decoded[0]!.buffer);
});

Deno.test("accepts unpadded base64", () => {
  const next = random(17);
  for (const dims of [1, 2, 5, 7]) {
    const vectors = [vectorOf(dims, next), vectorOf(dims, next)];
    const unpadded = (vector: Float32Array) => encodeBase64Floats(vector).replace(/=+$/, "");
    assert.notEqual(unpadded(vectors[0]!), encodeBase64Floats(vectors[0]!), `${dims} dims`);
    const parsed = parse(openAIBody(vectors, unpadded), 2) as Parsed;
    vectors.forEach((vector, i) => assertSameFloats(parsed.data[i]!.embedding, vector));
  }
});

Deno.test("decodes base64 that a server wrote with JSON escapes", () => {
  const next = random(19);
  const vectors = Array.from({ length: 3 }, () => vectorOf(96, next));
  const body = openAIBody(vectors);
  assert.ok(body.includes("/") && body.includes("+"));
  // PHP escapes every slash, .NET writes + as \u002B.
  const escaped = body.replaceAll("/", "\\/").replaceAll("+", "\\u002B");
  const parsed = parse(escaped, 3) as Parsed;
  vectors.forEach((vector, i) => assertSameFloats(parsed.data[i]!.embedding, vector));
  // One buffer for all of them, whatever the escapes did to the lengths of the strings.
  for (let dims = 96; dims < 104; dims++) {
    const more = Array.from({ length: 3 }, () => vectorOf(dims, next));
    const all = parse(openAIBody(more).replaceAll("/", "\\/"), 3) as Parsed;
    more.forEach((vector, i) => {
      const decoded = all.data[i]!.embedding as Float32Array;
      assertSameFloats(decoded, vector);
      assert.equal(decoded.buffer, (all.data[0]!.embedding as Float32Array).buffer, `${dims}`);
    });
  }
  // Even when only a later vector is escaped, or only the first.
  const [first, ...rest] = body.split(`"embedding":"`);
  const onlyLast = [first, ...rest.slice(0, -1), rest.at(-1)!.replaceAll("/", "\\/")];
  const onlyFirst = [first, rest[0]!.replaceAll("/", "\\/"), ...rest.slice(1)];
  for (const variant of [onlyLast, onlyFirst]) {
    const decoded = parse(variant.join(`"embedding":"`), 3) as Parsed;
    vectors.forEach((vector, i) => assertSameFloats(decoded.data[i]!.embedding, vector));
  }
});

Deno.test("leaves float-array embeddings as numbers, which become vectors", () => {
  const vectors = [new Float32Array([0.5, -0.25, 3]), new Float32Array([1, 2, -2])];
  const body = openAIBody(vectors, (vector) => Array.from(vector) as unknown as string);
  const parsed = parse(body, 2) as Parsed;
  assert.deepStrictEqual(parsed.data[0]!.embedding, [0.5, -0.25, 3]);
  const decoded = vectorsByIndex("openai", parsed.data, 2);
  decoded.forEach((vector, i) => assertSameFloats(vector, vectors[i]!));
});

Deno.test("decodes an embedding key anywhere, with whitespace around it", () => {
  const vector = new Float32Array([1.5, -2]);
  const base64 = encodeBase64Floats(vector);
  const parsed = parse(` [ { "embedding" \n:\t "${base64}" \r} , {"x": {"embedding":null}} ] `);
  assert.ok(Array.isArray(parsed));
  assertSameFloats(parsed[0].embedding, vector);
  assert.deepStrictEqual(parsed[1], { x: { embedding: null } });
});

Deno.test("rejects a character outside the base64 alphabet with its offset", () => {
  const base64 = encodeBase64Floats(new Float32Array([1, 2, 3, 4, 5, 6]));
  const cases: [string, number][] = [
    [base64.slice(0, 10) + "*" + base64.slice(11), 10],
    [base64.slice(0, 20) + "-" + base64.slice(21), 20], // base64url is not accepted
    ["=" + base64.slice(1), 0],
    [base64.slice(0, 5) + " " + base64.slice(6), 5],
    [base64.slice(0, 30) + "é" + base64.slice(32), 30],
  ];
  for (const [embedding, offset] of cases) {
    const text = `{"data": [{"embedding": "${embedding}"}]}`;
    const error = failure(text);
    assert.equal(
      error.message,
      `invalid embedding in the embeddings response at byte 24: ` +
        `invalid base64 character at offset ${offset}`,
    );
    assert.equal(error.position, 24);
  }
});

Deno.test("rejects base64 that is not a whole number of float32 values", () => {
  const error = failure(`{"embedding": "${btoa("abcdef")}"}`);
  assert.match(error.message, /base64 embedding has 6 bytes, not a whole number of float32/);
  assert.match(failure(`{"embedding": "AAAAA"}`).message, /invalid base64 length or padding/);
  // After a vector of 4 bytes, one of 6 whose closing quote is where padding would end.
  const twoSizes = `[{"embedding": "AAAAAA=="}, {"embedding": "AAAAAAAA"}]`;
  assert.match(failure(twoSizes, 2).message, /base64 embedding has 6 bytes/);
  assert.equal((parse(`[{"embedding": "AAAAAA=="}, {"embedding": "AAAAAA"}]`, 2) as []).length, 2);
  assert.match(failure(`{"embedding": "AAAAAA="}`).message, /invalid base64 length or padding/);
  assert.match(failure(`{"embedding": "AAAA\\u0041"}`).message, /invalid embedding/);
  assert.match(failure(`{"embedding": "AAAA\\n"}`).message, /whole number of float32/);
});

Deno.test("rejects truncated JSON at the position where it ends", () => {
  const body = openAIBody([new Float32Array([1, 2, 3]), new Float32Array([4, 5, 6])]);
  const text = body.replace(
    `"usage"`,
    `"extra": [true, false, null, -1.5e3, "a\\u00e9\\n"], "usage"`,
  );
  for (let length = 0; length < text.length; length++) {
    const error = failure(text.slice(0, length));
    assert.ok(error.position <= length, `${error.position} > ${length}`);
    if (error.position === length) assert.match(error.message, /unexpected end of data$/);
  }
  assert.equal(
    failure(`{"a": [1, 2`).message,
    "invalid JSON in the embeddings response at byte 11: unexpected end of data",
  );
});

Deno.test("rejects data after the JSON value", () => {
  for (const text of [`{"a": 1} x`, `{"a": 1}}`, `[1][2]`, `1 2`, `"a" "b"`, `null,`]) {
    const error = failure(text);
    assert.match(error.message, /unexpected data after the JSON value$/, text);
  }
  assert.equal(failure(`{}  ]`).position, 4);
});

Deno.test("rejects what JSON.parse rejects, saying where", () => {
  const cases: [string, number, RegExp][] = [
    [``, 0, /unexpected end of data/],
    [`{"a" 1}`, 5, /expected ':'/],
    [`{"a": 1,}`, 8, /expected a string key/],
    [`{a: 1}`, 1, /expected a string key/],
    [`{'a': 1}`, 1, /expected a string key/],
    [`[1, 2,]`, 6, /unexpected '\]'/],
    [`[1 2]`, 3, /expected ',' or '\]'/],
    [`{"a": 1 "b": 2}`, 8, /expected ',' or '}'/],
    [`[01]`, 2, /expected ',' or '\]'/],
    [`[1.]`, 3, /expected a digit/],
    [`[.5]`, 1, /unexpected '\.'/],
    [`[+1]`, 1, /unexpected '\+'/],
    [`[-]`, 2, /unexpected '\]'/],
    [`[1e]`, 3, /expected a digit/],
    [`[1e+]`, 4, /expected a digit/],
    [`[NaN]`, 1, /unexpected 'N'/],
    [`[Infinity]`, 1, /unexpected 'I'/],
    [`[tru]`, 4, /unexpected '\]'/],
    [`[nul`, 4, /unexpected end of data/],
    [`["a\\x"]`, 3, /invalid escape/],
    [`["\\u12G4"]`, 2, /invalid \\u escape/],
    [`["tab\there"]`, 5, /control character in a string/],
    [`["new\nline"]`, 5, /control character in a string/],
    [`["open`, 1, /unterminated string/],
    [`{"embedding": "AAAA`, 14, /unterminated string/],
    [`\u00a0[]`, 0, /unexpected byte 0xc2/],
  ];
  for (const [text, position, reason] of cases) {
    assert.throws(() => JSON.parse(text), SyntaxError, `JSON.parse accepts ${text}`);
    const error = failure(text);
    assert.equal(error.position, position, text);
    assert.match(error.message, reason, text);
    assert.ok(
      error.message.startsWith(`invalid JSON in the embeddings response at byte ${position}: `),
      error.message,
    );
  }
});

Deno.test("refuses nesting deeper than 1000 levels instead of overflowing the stack", () => {
  assert.ok(Array.isArray(parse("[".repeat(1000) + "]".repeat(1000))));
  assert.match(failure("[".repeat(1001) + "]".repeat(1001)).message, /nesting too deep/);
  assert.match(failure(`{"a":`.repeat(100_000)).message, /nesting too deep/);
});

Deno.test("reads numbers of any length like JSON.parse", () => {
  for (const digits of [15, 16, 17, 400, 200_000]) {
    const text = `[${"7".repeat(digits)}, -0.${"3".repeat(digits)}e-2, ${"1".repeat(digits)}E+5]`;
    const bytes = utf8.encode(text);
    assert.deepStrictEqual(parseEmbeddingsResponse(bytes), reference(bytes), `${digits} digits`);
  }
});
