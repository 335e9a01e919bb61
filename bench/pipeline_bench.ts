/**
 * Chunking + formatting throughput on a 2 MB document with pgai's default recursive splitter
 * settings and a `$title: $chunk` template (the per-row CPU cost of the worker's pipeline).
 */
import { type ChunkingConfig, chunkText } from "../src/pipeline/chunking.ts";
import { compileTemplate } from "../src/pipeline/formatting.ts";
import type { SourceRow } from "../src/pipeline/row.ts";

const DEFAULT_RECURSIVE: ChunkingConfig = {
  implementation: "recursive_character_text_splitter",
  separators: ["\n\n", "\n", ".", "?", "!", " ", ""],
  chunk_size: 800,
  chunk_overlap: 400,
  is_separator_regex: false,
};

/** Deterministic prose with paragraphs, some non-ASCII and astral characters: ~2 MB of UTF-8. */
function document(bytes: number): string {
  const words = [
    "vector",
    "embedding",
    "Postgres",
    "chunk",
    "worker",
    "naïve",
    "café",
    "数据库",
    "queue",
    "😀",
    "latency",
    "the",
    "and",
    "of",
  ];
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
  const parts: string[] = [];
  let size = 0;
  while (size < bytes) {
    const sentence: string[] = [];
    const n = 6 + (next() % 14);
    for (let i = 0; i < n; i++) sentence.push(words[next() % words.length]!);
    const end = [". ", "? ", "! ", ".\n", ".\n\n"][next() % 5]!;
    const s = sentence.join(" ") + end;
    parts.push(s);
    size += new TextEncoder().encode(s).length;
  }
  return parts.join("");
}

const text = document(2 * 1024 * 1024);
const row: SourceRow = {
  columns: [{ name: "id", typeOid: 23 }, { name: "title", typeOid: 25 }, {
    name: "body",
    typeOid: 25,
  }],
  values: ["1", "A long document", text],
};
const template = compileTemplate("$title: $chunk");

Deno.bench("chunk + format a 2 MB document (recursive 800/400, '$title: $chunk')", () => {
  const chunks = chunkText(DEFAULT_RECURSIVE, text);
  let total = 0;
  for (const chunk of chunks) total += template.render(chunk, row).length;
  if (total === 0) throw new Error("no output");
});

Deno.bench("chunk a 2 MB document with a regex separator list", () => {
  chunkText({
    implementation: "recursive_character_text_splitter",
    separators: ["\\n\\s*\\n", "[.?!]\\s+", "\\s+", ""],
    chunk_size: 800,
    chunk_overlap: 400,
    is_separator_regex: true,
  }, text);
});
