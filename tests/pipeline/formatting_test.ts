/**
 * python_template formatting checked against pgai 0.12.1's recorded output: the golden source
 * table is created in a real Postgres database, its row fetched in raw text form the way the
 * worker fetches it, and every golden template rendered from it.
 */
import assert from "node:assert/strict";
import { loadTypeCatalog } from "../../src/db/types.ts";
import { compileTemplate, formatChunk, TemplateError } from "../../src/pipeline/formatting.ts";
import type { RenderContext, SourceRow } from "../../src/pipeline/row.ts";
import { testDatabase } from "../support/pg.ts";
import { fetchRows } from "../support/rows.ts";

interface GoldenCase {
  name: string;
  template: string;
  chunk: string;
  expected: string | null;
  error: { class: string; message: string } | null;
}

const golden = JSON.parse(
  await Deno.readTextFile(new URL("../../../shared/golden/templates.json", import.meta.url)),
) as {
  meta: {
    create_table_sql: string;
    insert_sql: string;
    extra_sql: string;
    session: Record<string, string>;
  };
  cases: GoldenCase[];
};

Deno.test("golden templates render exactly as pgai 0.12.1 on the golden source row", async () => {
  await using db = await testDatabase("pipeline_formatting");
  const { meta } = golden;
  await db.sql.unsafe(meta.extra_sql.replace(/--.*$/, ""));
  await db.sql.unsafe(meta.create_table_sql);
  await db.sql.unsafe(meta.insert_sql);
  const conn = await db.sql.reserve();
  try {
    for (const setting of ["TimeZone", "DateStyle", "IntervalStyle", "extra_float_digits"]) {
      await conn.unsafe(`select set_config($1, $2, false)`, [setting, meta.session[setting]!]);
    }
    const [row] = await fetchRows(conn, "select * from typed");
    assert.ok(row);
    const context: RenderContext = {
      types: await loadTypeCatalog(conn, row.columns.map((c) => c.typeOid)),
      timeZone: meta.session.TimeZone!,
    };
    let passed = 0;
    for (const c of golden.cases) {
      const config = { implementation: "python_template" as const, template: c.template };
      if (c.error === null) {
        assert.equal(formatChunk(config, c.chunk, row, context), c.expected, c.name);
      } else {
        assert.throws(
          () => formatChunk(config, c.chunk, row, context),
          (err: unknown) =>
            err instanceof TemplateError && err.pythonClass === c.error!.class &&
            err.message === c.error!.message,
          c.name,
        );
      }
      passed++;
    }
    assert.equal(passed, golden.cases.length);
  } finally {
    conn.release();
  }
});

const row = (columns: Record<string, string | null>): SourceRow => ({
  columns: Object.keys(columns).map((name) => ({ name, typeOid: 25 })),
  values: Object.values(columns),
});

Deno.test("a source column named chunk fails every template with pgai's TypeError", () => {
  const t = compileTemplate("$ chunk");
  assert.throws(
    () => t.render("x", row({ chunk: "a" })),
    new TemplateError(
      "string.Template.substitute() got multiple values for keyword argument 'chunk'",
      "TypeError",
    ),
  );
});

Deno.test("invalid placeholders report Python's line and column", () => {
  const cases: [string, string][] = [
    ["$chunk\n  $1", "line 2, col 3"],
    ["a\r\nb\r\n$", "line 3, col 1"],
    ["x\u2028y $%", "line 2, col 3"],
    ["😀😀 ${ x}", "line 1, col 4"],
    ["\x1c\x1d\x1e\x85\v\f$", "line 7, col 1"],
    ["abc$", "line 1, col 4"],
  ];
  for (const [template, where] of cases) {
    assert.throws(
      () => compileTemplate(template).render("c", row({})),
      new TemplateError(`Invalid placeholder in string: ${where}`, "ValueError"),
      template,
    );
  }
});

Deno.test("placeholders resolve left to right: a missing key before an invalid one wins", () => {
  assert.throws(
    () => compileTemplate("$nope $").render("c", row({})),
    new TemplateError("'nope'", "KeyError"),
  );
  assert.equal(
    compileTemplate("$a_b$a ${a}_ $$a $chunk").render("C", row({ a: "1", a_b: "2" })),
    "21 1_ $a C",
  );
});

Deno.test("chunk_value formatting returns the chunk unchanged", () => {
  assert.equal(
    formatChunk({ implementation: "chunk_value" }, " $x ", row({ chunk: "ignored" })),
    " $x ",
  );
});
