import assert from "node:assert/strict";
import { testDatabase } from "../support/pg.ts";
import { cli, withDotenv } from "./support.ts";

Deno.test("pgai install installs the catalog; again is a no-op; --strict then fails", async () => {
  const db = await testDatabase("cli_install");
  try {
    const first = await cli(["install", "-d", db.url]);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /\[info {5}\] pgai 0\.12\.1 installed/);
    const [row] = await db.sql`select version from ai.pgai_lib_version where name = 'ai'`;
    assert.equal(row?.version, "0.12.1");

    const again = await cli(["install"], { env: { PGAI_INSTALL_DB_URL: db.url } });
    assert.equal(again.status, 0, again.stderr);

    const strict = await withDotenv(
      `PGAI_INSTALL_DB_URL=${db.url}\nPGAI_INSTALL_STRICT=true\n`,
      (dir) => cli(["install"], { cwd: dir }),
    );
    assert.equal(strict.status, 1);
    assert.match(
      strict.stderr,
      /^Error: installing pgai into postgres:\/\/.* failed: the pgai library has already been installed\/upgraded/,
    );
  } finally {
    await db.drop();
  }
});

Deno.test("pgai install failures exit 1 and never show the password", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close(); // nothing listens there now
  const url = `postgres://app:hunter2-secret@127.0.0.1:${port}/app`;
  const run = await cli(["install", "--db-url", url]);
  assert.equal(run.status, 1);
  assert.ok(!run.stderr.includes("hunter2-secret"), run.stderr);
  assert.ok(!run.stdout.includes("hunter2-secret"), run.stdout);
  assert.match(
    run.stderr,
    new RegExp(
      `^Error: installing pgai into postgres://app:\\*\\*\\*\\*@127\\.0\\.0\\.1:${port}/app failed: `,
    ),
  );
});
