/**
 * The single-file bundle is what `deno compile` packs (the runtime cannot be downloaded here),
 * so it stands in for the executable: built with `deno bundle`, copied away from the source tree,
 * and run as the CLI for `--help`, `pgai install` and `pgai vectorizer worker --once`.
 */
import assert from "node:assert/strict";
import { expectedVector, startOpenAIServer } from "./support/providers.ts";
import { testDatabase } from "./support/pg.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const KEY = "sk-bundle-test-key";

/** Bundles main.ts into a fresh directory outside the repository and returns the file's path. */
async function bundle(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "pgai-bundle-" });
  const out = `${dir}/pgai.js`;
  const built = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--platform=deno", "-o", out, "main.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(built.success, new TextDecoder().decode(built.stderr));
  return out;
}

/** Runs the bundle from its own directory (no deno.json, no sources nearby). */
async function pgai(
  file: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string }> {
  const res = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-config", file, ...args],
    cwd: file.slice(0, file.lastIndexOf("/")),
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: res.code, out: dec.decode(res.stdout) + dec.decode(res.stderr) };
}

const file = await bundle();

Deno.test("the bundled CLI answers --help and --version on its own", async () => {
  const help = await pgai(file, ["vectorizer", "worker", "--help"]);
  assert.equal(help.code, 0, help.out);
  assert.match(help.out, /--poll-interval/);
  assert.match(help.out, /PGAI_VECTORIZER_WORKER_DB_URL/);
  const version = await pgai(file, ["--version"]);
  assert.equal(version.code, 0);
  assert.equal(version.out.trim(), "pgai, version 0.12.1");
});

Deno.test("the bundled CLI installs pgai and embeds a table end to end with --once", async () => {
  await using db = await testDatabase("bundle_e2e");
  await using server = startOpenAIServer({ apiKey: KEY });
  const installed = await pgai(file, ["install", "-d", db.url]);
  assert.equal(installed.code, 0, installed.out);
  assert.match(installed.out, /pgai 0\.12\.1 installed/);

  await db.sql`create table note (id int primary key, title text, body text)`;
  await db
    .sql`insert into note select g, 'n' || g, 'body of note ' || g from generate_series(1, 25) g`;
  await db.sql.unsafe(`select ai.create_vectorizer('note'::regclass,
    loading => ai.loading_column('body'),
    embedding => ai.embedding_openai('text-embedding-3-small', 4, base_url => '${server.url}/v1'),
    formatting => ai.formatting_python_template('$title: $chunk'))`);

  const run = await pgai(file, ["vectorizer", "worker", "-d", db.url, "--once"], {
    OPENAI_API_KEY: KEY,
  });
  assert.equal(run.code, 0, run.out);
  assert.ok(!run.out.includes(KEY), "the API key never appears in the output");

  const rows = await db.sql<{ id: number; chunk: string; e: string }[]>`
    select id, chunk, embedding::text as e from note_embedding_store order by id`;
  assert.equal(rows.length, 25);
  for (const r of rows) {
    assert.equal(r.chunk, `n${r.id}: body of note ${r.id}`);
    // pgvector prints float4 in its shortest form; read back as float4 it is exact.
    assert.deepEqual(
      (JSON.parse(r.e) as number[]).map(Math.fround),
      Array.from(expectedVector(r.chunk, 4)),
    );
  }
  const [queue] = await db.sql`select count(*)::int as n from ai._vectorizer_q_1`;
  assert.equal(queue?.n, 0);
});

globalThis.addEventListener("unload", () => {
  Deno.removeSync(file.slice(0, file.lastIndexOf("/")), { recursive: true });
});
