/**
 * Chunking must give the chunks pgai 0.12.1 gives: every golden case, the contract's test
 * vectors, and properties of Python semantics (code points, `str.strip`, `re`).
 */
import assert from "node:assert/strict";
import { type ChunkingConfig, ChunkingError, chunkText } from "../../src/pipeline/chunking.ts";
import { pyStrip } from "../../src/pipeline/pystr.ts";

interface GoldenChunks {
  name: string;
  splitter: "character_text_splitter" | "recursive_character_text_splitter";
  params: Record<string, unknown>;
  text: string;
  chunks: string[];
}

const golden = JSON.parse(
  await Deno.readTextFile(new URL("../../../shared/golden/chunks.json", import.meta.url)),
) as GoldenChunks[];

const D = ["\n\n", "\n", ".", "?", "!", " ", ""];

function char(separator: string, size: number, overlap: number, regex = false): ChunkingConfig {
  return {
    implementation: "character_text_splitter",
    separator,
    chunk_size: size,
    chunk_overlap: overlap,
    is_separator_regex: regex,
  };
}

function rec(separators: string[], size: number, overlap: number, regex = false): ChunkingConfig {
  return {
    implementation: "recursive_character_text_splitter",
    separators,
    chunk_size: size,
    chunk_overlap: overlap,
    is_separator_regex: regex,
  };
}

Deno.test("every golden chunking case gives pgai's chunks", () => {
  assert.ok(golden.length >= 30);
  for (const c of golden) {
    const config = { implementation: c.splitter, ...c.params } as ChunkingConfig;
    assert.deepEqual(chunkText(config, c.text), c.chunks, c.name);
  }
});

Deno.test("the contract's LangChain test vectors give the documented chunks", () => {
  const vectors: [ChunkingConfig, string, string[]][] = [
    [char(" ", 10, 4), "aa bb cc dd ee ff gg", ["aa bb cc", "cc dd ee", "ee ff gg"]],
    [char("\n\n", 10, 0), "para one is long\n\nshort\n\nx\n\n\n\ny", [
      "para one is long",
      "short\n\nx",
      "y",
    ]],
    [char("\\s+", 7, 0, true), "a b  c\td e f g", ["a\\s+b", "c\\s+d", "e\\s+f", "g"]],
    [char("|", 5, 0), " a |  b | c ", ["a", "b", "c"]],
    [char(" ", 12, 6), "one two three four five six", [
      "one two",
      "two three",
      "three four",
      "four five",
      "five six",
    ]],
    [rec(D, 10, 3), "Hello world. How are you? I am fine!", [
      "Hello",
      "world",
      ". How are",
      "you",
      "? I am",
      "am fine",
      "!",
    ]],
    [rec(["\n\n"], 5, 1), "  abcdefghij  ", ["  abcdefghij  "]],
    [rec([" ", ""], 4, 1), "abcdefghij kl", ["abcd", "defg", "ghij", "kl"]],
    [rec([" "], 5, 0), "abcde fghij", ["abcde", " fghij"]],
    [rec(["\\d+"], 4, 0, true), "ab1cd22ef", ["ab", "1cd", "22ef"]],
    [rec(D, 800, 400), "   \n\t  ", []],
  ];
  for (const [config, text, expected] of vectors) {
    assert.deepEqual(chunkText(config, text), expected, JSON.stringify(text));
  }
  const ml = "Introduction to Machine Learning\n\n" +
    "Machine learning is a subset of artificial intelligence that focuses on data and\n" +
    "algorithms.\nIt enables systems to learn and improve from experience.\n\n" +
    "Key Concepts:\n1. Supervised Learning\n2. Unsupervised Learning\n3. Reinforcement Learning\n\n" +
    "Each type has its own unique applications and methodologies.";
  assert.deepEqual(chunkText(rec(["\n\n", "\n", " "], 100, 20), ml), [
    "Introduction to Machine Learning",
    "Machine learning is a subset of artificial intelligence that focuses on data and\nalgorithms.",
    "algorithms.\nIt enables systems to learn and improve from experience.",
    "Key Concepts:\n1. Supervised Learning\n2. Unsupervised Learning\n3. Reinforcement Learning",
    "Each type has its own unique applications and methodologies.",
  ]);
});

Deno.test("chunking none returns the payload unchanged, even blank", () => {
  assert.deepEqual(chunkText({ implementation: "none" }, "  \n "), ["  \n "]);
  assert.deepEqual(chunkText({ implementation: "none" }, ""), [""]);
});

Deno.test("invalid sizes raise the splitter's ValueError text", () => {
  assert.throws(
    () => chunkText(rec(D, 10, 11), "text"),
    new ChunkingError(
      "Got a larger chunk overlap (11) than chunk size (10), should be smaller.",
      "ValueError",
    ),
  );
  assert.throws(() => chunkText(char(" ", 0, 0), "x"), /chunk_size must be > 0, got 0/);
  assert.throws(() => chunkText(char(" ", 5, -1), "x"), /chunk_overlap must be >= 0, got -1/);
  // raised even for empty text: the splitter is built before the text is looked at
  assert.throws(() => chunkText(rec(D, 1, 2), ""), ChunkingError);
});

Deno.test("lengths count code points: astral characters count once", () => {
  const text = "😀".repeat(10);
  assert.deepEqual(chunkText(rec([""], 5, 0), text), ["😀😀😀😀😀", "😀😀😀😀😀"]);
  assert.deepEqual(chunkText(char("", 3, 1), "𝔞𝔟𝔠𝔡𝔢"), ["𝔞𝔟𝔠", "𝔠𝔡𝔢"]);
  // 4 astral characters are 8 UTF-16 units but fit a chunk of 4
  assert.deepEqual(chunkText(char(" ", 4, 0), "🎉🎉🎉🎉 x"), ["🎉🎉🎉🎉", "x"]);
});

Deno.test("stripping uses Python's whitespace set, not JavaScript's trim", () => {
  // U+001C..U+001F and U+0085 are stripped by Python; U+FEFF and U+200B are not
  const chunks = chunkText(char("|", 50, 0), "\x1c\x1d a \x1e\x1f|\x85b\u3000|\ufeffc\u200b");
  assert.deepEqual(chunks, ["a \x1e\x1f|\x85b\u3000|\ufeffc\u200b"]);
  assert.deepEqual(chunkText(char("|", 3, 0), "\x1cab\x1f|\x85cd\u2028|\ufeff"), [
    "ab",
    "cd",
    "\ufeff",
  ]);
});

Deno.test("separator regexes follow Python re semantics", () => {
  // expected values computed with Python 3.11 `re` and LangChain's algorithm
  // \d matches any Unicode decimal digit, \s includes U+001C and U+0085, \W is Unicode-aware
  assert.deepEqual(chunkText(char("\\d", 6, 0, true), "ab٣cd"), ["ab\\dcd"]);
  assert.deepEqual(chunkText(char("\\d", 3, 0, true), "ab٣cd"), ["ab", "cd"]);
  assert.deepEqual(chunkText(char("\\s", 1, 0, true), "a\x1cb\x85c\ufeffd"), [
    "a",
    "b",
    "c\ufeffd",
  ]);
  assert.deepEqual(chunkText(rec(["\\W+"], 4, 0, true), "été, ça! ok"), ["été", ", ça", "! ok"]);
  // Python named groups and backreferences; re.split puts captured groups among the pieces
  assert.deepEqual(chunkText(char("(?P<q>[\"'])(?P=q)", 3, 0, true), "ab''cd\"\"ef"), [
    "ab",
    "'",
    "cd",
    '"',
    "ef",
  ]);
  // a lookahead separator splits on an empty match and merges with "" (LangChain 1.x)
  assert.deepEqual(chunkText(char("(?=#)", 6, 0, true), "#a b#c d#e"), ["#a b", "#c d#e"]);
});

Deno.test("recursive regex separators are wrapped in a group exactly as LangChain does", () => {
  // "((?i)X)" puts the global flag after the start: Python rejects it
  assert.throws(
    () => chunkText(rec(["(?i)X", ""], 3, 0, true), "axbXc"),
    new ChunkingError(
      "global flags not at the start of the expression at position 1",
      "re.error",
    ),
  );
  // a user group inside the kept separator makes re.split's pieces unpairable
  assert.throws(
    () => chunkText(rec(["(\\d)\\d*"], 3, 0, true), "x1y22z333w"),
    new ChunkingError("list index out of range", "IndexError"),
  );
});

Deno.test("separators Python rejects fail with re.error text", () => {
  assert.throws(
    () => chunkText(char("(?<=a+)b", 5, 0, true), "aab"),
    new ChunkingError("look-behind requires fixed-width pattern", "re.error"),
  );
  assert.throws(
    () => chunkText(rec(["*x"], 5, 0, true), "abc"),
    new ChunkingError("nothing to repeat at position 0", "re.error"),
  );
  // conditional groups cannot be expressed in JavaScript: a clear error names the construct
  assert.throws(() => chunkText(char("(a)?(?(1)b|c)", 5, 0, true), "ab"), /conditional groups/);
});

Deno.test("recursive splitting keeps separators with the following piece", () => {
  const chunks = chunkText(rec(["\n\n", " "], 12, 0), "alpha beta\n\ngamma delta epsilon");
  assert.deepEqual(chunks, ["alpha beta", "gamma", "delta", "epsilon"]);
  const glued = chunkText(rec([". "], 20, 0), "One. Two. Three. Four.");
  assert.deepEqual(glued, ["One. Two. Three", ". Four."]);
});

Deno.test("merged chunks never exceed chunk_size unless one piece is larger", () => {
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const words = ["a", "bb", "ccc", "dddd", "ééé", "😀x", "\n", "\n\n", ".", " "];
  for (let round = 0; round < 200; round++) {
    let text = "";
    const n = 5 + Math.floor(rand() * 60);
    for (let i = 0; i < n; i++) text += words[Math.floor(rand() * words.length)] + " ";
    const size = 3 + Math.floor(rand() * 30);
    const overlap = Math.floor(rand() * size);
    for (const chunk of chunkText(rec(D, size, overlap), text)) {
      assert.ok([...chunk].length <= size, `${JSON.stringify(chunk)} > ${size}`);
      assert.equal(chunk, pyStrip(chunk));
      assert.notEqual(chunk, "");
    }
  }
});
