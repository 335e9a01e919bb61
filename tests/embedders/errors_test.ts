import assert from "node:assert/strict";
import {
  blamesInput,
  formatPythonFloat,
  pythonRepr,
  pythonStringRepr,
} from "../../src/embedders/errors.ts";

Deno.test("python repr quotes strings the way Python chooses", () => {
  assert.equal(pythonStringRepr("plain"), "'plain'");
  assert.equal(pythonStringRepr("it's"), `"it's"`);
  assert.equal(pythonStringRepr(`both ' and "`), `'both \\' and "'`);
  assert.equal(pythonStringRepr("tab\tnew\nline\\"), "'tab\\tnew\\nline\\\\'");
  assert.equal(
    pythonStringRepr("bell\x07 del\x7f nbsp\xa0 zwsp\u200b"),
    "'bell\\x07 del\\x7f nbsp\\xa0 zwsp\\u200b'",
  );
  assert.equal(pythonStringRepr("café 中文 😀"), "'café 中文 😀'");
});

Deno.test("python repr renders JSON values like json.loads results", () => {
  assert.equal(
    pythonRepr({ error: { message: "x", param: null, ok: true, n: 3, f: 0.5, list: [1, "a"] } }),
    "{'error': {'message': 'x', 'param': None, 'ok': True, 'n': 3, 'f': 0.5, 'list': [1, 'a']}}",
  );
  assert.equal(pythonRepr([]), "[]");
  assert.equal(pythonRepr({}), "{}");
  assert.equal(pythonRepr(1e-7), "1e-07");
  assert.equal(formatPythonFloat(301000), "301000.0");
  assert.equal(formatPythonFloat(12.25), "12.25");
});

Deno.test("input blame is told apart from configuration errors", () => {
  const openai = (message: string, param: string | null = null) => ({
    error: { message, type: "invalid_request_error", param, code: null },
  });
  assert.equal(
    blamesInput(400, openai("This model's maximum context length is 8192 tokens")),
    true,
  );
  assert.equal(blamesInput(400, openai("'$.input' is invalid.", "input")), true);
  assert.equal(
    blamesInput(400, openai("This model does not support specifying dimensions.")),
    false,
  );
  assert.equal(blamesInput(404, openai("The model `x` does not exist")), false);
  assert.equal(blamesInput(413, "payload too large"), true);
  assert.equal(blamesInput(401, openai("Incorrect API key provided")), false);
});
