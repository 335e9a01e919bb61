/**
 * Python string and number text forms, checked against values printed by CPython 3.11.
 */
import assert from "node:assert/strict";
import { pyDecimalStr, pyFloatRepr } from "../../src/pipeline/pynum.ts";
import {
  codePointLength,
  isPyWhitespace,
  pyReprBytes,
  pyReprStr,
  pyStrip,
} from "../../src/pipeline/pystr.ts";

/** `[c for c in range(0x110000) if chr(c).isspace()]` in CPython 3.11. */
const PY_WHITESPACE = [
  9,
  10,
  11,
  12,
  13,
  28,
  29,
  30,
  31,
  32,
  133,
  160,
  5760,
  8192,
  8193,
  8194,
  8195,
  8196,
  8197,
  8198,
  8199,
  8200,
  8201,
  8202,
  8232,
  8233,
  8239,
  8287,
  12288,
];

Deno.test("Python whitespace is exactly str.isspace()", () => {
  const found: number[] = [];
  for (let c = 0; c < 0x10000; c++) if (isPyWhitespace(c)) found.push(c);
  assert.deepEqual(found, PY_WHITESPACE);
  assert.equal(pyStrip("\x1c\x85 a\u3000b \ufeff\u2029"), "a\u3000b \ufeff");
  assert.equal(pyStrip(" \t "), "");
});

Deno.test("len() counts code points", () => {
  assert.equal(codePointLength("a😀b"), 3);
  assert.equal(codePointLength("👩\u200d💻"), 3);
  assert.equal(codePointLength("\ud800x"), 2); // a lone surrogate is one code point
});

Deno.test("repr() of str and bytes follows CPython's quoting and escapes", () => {
  const strs: [string, string][] = [
    ["plain", "'plain'"],
    ["it's", `"it's"`],
    ['say "hi"', `'say "hi"'`],
    ["both ' and \"", `'both \\' and "'`],
    ["tab\there\nnl\r", "'tab\\there\\nnl\\r'"],
    ["\x00\x07\x1b\x7f", "'\\x00\\x07\\x1b\\x7f'"],
    ["\x85\xa0\xad", "'\\x85\\xa0\\xad'"],
    ["\u2028\u200b\ufeff", "'\\u2028\\u200b\\ufeff'"],
    ["é😀中", "'é😀中'"],
    ["\u{e0001}\udc00", "'\\U000e0001\\udc00'"],
    ["back\\slash", "'back\\\\slash'"],
    ["\u{10ffff}", "'\\U0010ffff'"],
    ["\u0378", "'\\u0378'"],
  ];
  for (const [s, r] of strs) assert.equal(pyReprStr(s), r, JSON.stringify(s));
  const bytes: [number[], string][] = [
    [[0, 255, 65], "b'\\x00\\xffA'"],
    [[39], `b"'"`],
    [[34], `b'"'`],
    [[39, 34], `b'\\'"'`],
    [[92, 9, 10, 13, 32, 126, 127], "b'\\\\\\t\\n\\r ~\\x7f'"],
  ];
  for (const [b, r] of bytes) assert.equal(pyReprBytes(Uint8Array.from(b)), r);
});

Deno.test("float repr and Decimal str match CPython", () => {
  const floats: [number, string][] = [
    [0.1, "0.1"],
    [3, "3.0"],
    [1e20, "1e+20"],
    [1e-5, "1e-05"],
    [-0, "-0.0"],
    [1234567890123456789, "1.2345678901234568e+18"],
    [1e16, "1e+16"],
    [1e15, "1000000000000000.0"],
    [0.0001, "0.0001"],
    [1.5e-7, "1.5e-07"],
    [5e-324, "5e-324"],
    [1.7976931348623157e308, "1.7976931348623157e+308"],
    [NaN, "nan"],
    [-Infinity, "-inf"],
  ];
  for (const [x, r] of floats) assert.equal(pyFloatRepr(x), r, String(x));
  const decimals: [string, string][] = [
    ["1.50", "1.50"],
    ["0.0000001", "1E-7"],
    ["0.000001", "0.000001"],
    ["-0.50", "-0.50"],
    ["0.0000000", "0E-7"],
    ["0.00000010", "1.0E-7"],
    ["-0.0000001234", "-1.234E-7"],
    ["123456789012345678901234567890.123456789", "123456789012345678901234567890.123456789"],
    ["NaN", "NaN"],
    ["-Infinity", "-Infinity"],
  ];
  for (const [t, r] of decimals) assert.equal(pyDecimalStr(t), r, t);
});
