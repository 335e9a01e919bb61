import assert from "node:assert/strict";
import {
  connect,
  connectionFailureText,
  ConnectionStringError,
  isConnectionError,
  parseConnectionString,
} from "../../src/db/connect.ts";
import {
  type CatalogInfo,
  isInstalled,
  outdatedWarning,
  probeCatalog,
} from "../../src/db/catalog.ts";
import { testDatabase } from "../support/pg.ts";

const db = await testDatabase("db_connect");
const url = new URL(db.url);

Deno.test("connect: libpq key=value strings and a URL's host parameter are understood", async () => {
  const conninfo =
    `host=${url.hostname} port=${url.port} user=postgres dbname='${db.name}' application_name=ignored`;
  assert.deepEqual(parseConnectionString(conninfo).settings, {
    host: url.hostname,
    port: Number(url.port),
    user: "postgres",
    database: db.name,
    connection: { application_name: "ignored" },
  });
  const sql = connect(conninfo, { applicationName: "pgai-worker[7]: abc" });
  try {
    const [row] = await sql`select current_database() as db,
      current_setting('application_name') as app`;
    assert.deepEqual({ ...row }, { db: db.name, app: "pgai-worker[7]: abc" });
  } finally {
    await sql.end();
  }
  const withHost = parseConnectionString(
    `postgresql:///${db.name}?host=/var/run/postgresql&sslmode=disable`,
  );
  assert.equal(withHost.url, `postgresql:///${db.name}?sslmode=disable`);
  assert.equal(withHost.settings.host, "/var/run/postgresql");
  assert.throws(() => parseConnectionString("host=x junk"), ConnectionStringError);
});

Deno.test("connect: sessions run without JIT unless PGOPTIONS chooses", async () => {
  const show = async (env: Record<string, string>) => {
    const sql = connect(db.url, { env });
    try {
      const [row] = await sql<{ jit: string }[]>`show jit`;
      return row?.jit;
    } finally {
      await sql.end();
    }
  };
  assert.equal(await show({}), "off");
  assert.equal(await show({ PGOPTIONS: "-c jit=on" }), "on");
  assert.equal(await show({ PGOPTIONS: "-c work_mem=8MB" }), "off");
});

Deno.test("connect: a refused connection gets a libpq-like text and counts as a connection error", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const sql = connect(`postgres://postgres:secret-pw@127.0.0.1:${port}/x`);
  try {
    const error = await sql`select 1`.then(() => undefined, (e: unknown) => e);
    assert.ok(isConnectionError(error));
    const text = connectionFailureText(error);
    assert.equal(
      text,
      `connection failed: connection to server at "127.0.0.1", port ${port} failed: Connection refused`,
    );
    assert.ok(!String((error as Error).message).includes("secret-pw"));
  } finally {
    await sql.end();
  }
  const shutdown = Object.assign(new Error("terminating connection"), {
    name: "PostgresError",
    code: "57P01",
  });
  assert.ok(isConnectionError(shutdown));
  const syntax = Object.assign(new Error("syntax error"), { name: "PostgresError", code: "42601" });
  assert.ok(!isConnectionError(syntax));
});

const strace = (() => {
  try {
    return new Deno.Command("strace", { args: ["-V"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "connect: sockets get TCP_NODELAY",
  ignore: !strace,
  fn: async () => {
    const script = await Deno.makeTempFile({ suffix: ".ts" });
    const module = new URL("../../src/db/connect.ts", import.meta.url).href;
    await Deno.writeTextFile(
      script,
      `import { connect } from ${JSON.stringify(module)};
       const sql = connect(Deno.args[0]);
       await sql\`select 1\`;
       await sql.end();`,
    );
    try {
      const config = new URL("../../deno.json", import.meta.url).pathname;
      const out = await new Deno.Command("strace", {
        args: [
          "-f",
          "-e",
          "trace=setsockopt",
          Deno.execPath(),
          "run",
          "-A",
          "--config",
          config,
          script,
          db.url,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const trace = new TextDecoder().decode(out.stderr);
      assert.ok(out.success, trace);
      assert.match(trace, /setsockopt\(\d+, SOL_TCP, TCP_NODELAY, \[1\], 4\) = 0/);
    } finally {
      await Deno.remove(script);
    }
  },
});

Deno.test("catalog: a database without pgai is not installed; outdated catalogs get pgai's warnings", async () => {
  const info = await probeCatalog(db.sql);
  assert.equal(isInstalled(info), false);
  assert.deepEqual(info.features, {
    disabledColumn: false,
    workerTracking: false,
    loadingRetries: false,
    revealSecret: false,
    errorsView: false,
  });
  const at = (extensionVersion: string | null, libraryVersion: string | null): CatalogInfo => ({
    ...info,
    extensionVersion,
    libraryVersion,
  });
  assert.equal(
    outdatedWarning(at("0.8.0", null)),
    "The pgai extension is outdated and can be upgraded. See https://github.com/timescale/pgai/blob/main/docs/vectorizer/migrating-from-extension.md",
  );
  assert.equal(outdatedWarning(at("0.10.1", null)), undefined);
  assert.equal(
    outdatedWarning(at(null, "0.11.2")),
    "The pgai installation in your database is outdated and can be upgraded. Installed version: 0.11.2, latest version: 0.12.1.",
  );
  assert.equal(outdatedWarning(at("0.8.0", "0.12.1")), undefined);
  assert.equal(
    outdatedWarning(at(null, "0.13.0")),
    undefined,
    "newer catalogs are not warned about",
  );
});

Deno.test({
  name: "connect tests: teardown",
  fn: async () => {
    await db.drop();
  },
});
