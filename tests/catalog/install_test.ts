/**
 * A fresh install against the contract's facts (bookkeeping, tables, views, constraints, indexes,
 * functions, privileges), and the installer's behaviour when run again, concurrently, by another
 * role, over a newer catalog, or without pgvector.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { adminSql, clusterUrl, testDatabase } from "../support/pg.ts";
import {
  AlreadyInstalledError,
  compareVersions,
  install,
  NewerCatalogError,
  NotCatalogOwnerError,
  PGAI_VERSION,
  UnsupportedServerError,
  VectorExtensionError,
} from "../../src/catalog/install.ts";
import { VERSION as CLI_VERSION } from "../../src/cli/version.ts";
import {
  CONSTRAINTS,
  INDEXES,
  INTERNAL_ARGUMENTS,
  INTERNAL_FUNCTIONS,
  MIGRATION_NAMES,
  PUBLIC_FUNCTIONS,
  TABLES,
  VIEWS,
} from "./contract.ts";
import { catalogDatabase, recordingClient, uniqueRole } from "./helpers.ts";
import outdatedSql from "../../src/catalog/sql/functions/00-outdated.sql" with { type: "text" };

const db = await catalogDatabase("catalog_install");

Deno.test.afterAll(() => db.drop());

Deno.test("installer version equals the CLI version and pgai's 0.12.1", () => {
  assert.equal(PGAI_VERSION, "0.12.1");
  assert.equal(CLI_VERSION, PGAI_VERSION);
});

Deno.test("fresh install records the version row and one migration row per upstream name", async () => {
  const versions = await db.sql`select name, version from ai.pgai_lib_version`;
  assert.deepEqual([...versions], [{ name: "ai", version: "0.12.1" }]);
  const migrations = await db.sql<{ name: string; applied_at_version: string; body: string }[]>`
    select name, applied_at_version, body from ai.pgai_lib_migration order by name`;
  assert.deepEqual(migrations.map((m) => m.name), MIGRATION_NAMES);
  for (const m of migrations) {
    assert.equal(m.applied_at_version, "0.12.1", m.name);
    assert.ok(m.body.trim().length > 0, `${m.name} has its SQL as body`);
  }
  const flags = await db.sql`select * from ai.pgai_lib_feature_flag`;
  assert.equal(flags.length, 0);
});

Deno.test("fresh install creates exactly the contract's relations in schema ai", async () => {
  const rows = await db.sql<{ relname: string; relkind: string }[]>`
    select c.relname, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'ai' order by c.relname`;
  const expected = [
    ...Object.keys(TABLES).map((t) => `${t}:r`),
    ...Object.keys(VIEWS).map((v) => `${v}:v`),
    ...Object.keys(INDEXES).map((i) => `${i}:i`),
    "vectorizer_id_seq:S",
  ].sort();
  assert.deepEqual(rows.map((r) => `${r.relname}:${r.relkind}`).sort(), expected);
});

for (const [table, columns] of Object.entries(TABLES)) {
  Deno.test(`table ai.${table} has the contract's columns, types, nullability and defaults`, async () => {
    const rows = await db.sql<
      { name: string; type: string; not_null: boolean; def: string | null }[]
    >`
      select a.attname as name, format_type(a.atttypid, a.atttypmod) as type,
             a.attnotnull as not_null, pg_get_expr(d.adbin, d.adrelid) as def
      from pg_attribute a
      left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where a.attrelid = ${`ai.${table}`}::regclass and a.attnum > 0 and not a.attisdropped
      order by a.attnum`;
    assert.deepEqual(
      rows.map((r) => ({ name: r.name, type: r.type, notNull: r.not_null, default: r.def })),
      columns,
    );
  });
}

Deno.test("ai.vectorizer.id is an int4 identity (by default) backed by ai.vectorizer_id_seq", async () => {
  const [ident] = await db.sql`
    select a.attidentity, pg_get_serial_sequence('ai.vectorizer', 'id') as seq
    from pg_attribute a where a.attrelid = 'ai.vectorizer'::regclass and a.attname = 'id'`;
  assert.equal(ident?.attidentity, "d");
  assert.equal(ident?.seq, "ai.vectorizer_id_seq");
  const [seq] = await db.sql`
    select format_type(seqtypid, null) as type, seqstart::int, seqcache::int, seqincrement::int
    from pg_sequence where seqrelid = 'ai.vectorizer_id_seq'::regclass`;
  assert.deepEqual({ ...seq }, { type: "integer", seqstart: 1, seqcache: 1, seqincrement: 1 });
});

Deno.test("ai.vectorizer has no triggers and no row level security", async () => {
  const [row] = await db.sql`
    select relrowsecurity, relhastriggers from pg_class where oid = 'ai.vectorizer'::regclass`;
  assert.equal(row?.relrowsecurity, false);
  const triggers = await db.sql`select 1 from pg_trigger where tgrelid = 'ai.vectorizer'::regclass
    and not tgisinternal`;
  assert.equal(triggers.length, 0);
});

for (const [table, constraints] of Object.entries(CONSTRAINTS)) {
  Deno.test(`table ai.${table} has the contract's constraints`, async () => {
    const rows = await db.sql<{ c: string }[]>`
      select conname || ' ' || contype::text || ' ' || pg_get_constraintdef(oid) as c
      from pg_constraint where conrelid = ${`ai.${table}`}::regclass and contype <> 'n'
      order by conname`;
    assert.deepEqual(rows.map((r) => r.c), constraints);
  });
}

Deno.test("schema ai has the contract's indexes on the contract's columns", async () => {
  const rows = await db.sql<{ name: string; columns: string }[]>`
    select i.relname as name,
           (select string_agg(a.attname, ', ' order by k.ord)
            from unnest(x.indkey) with ordinality k(attnum, ord)
            join pg_attribute a on a.attrelid = x.indrelid and a.attnum = k.attnum) as columns
    from pg_index x join pg_class i on i.oid = x.indexrelid
    join pg_namespace n on n.oid = i.relnamespace where n.nspname = 'ai'`;
  assert.deepEqual(Object.fromEntries(rows.map((r) => [r.name, r.columns])), INDEXES);
});

for (const [view, columns] of Object.entries(VIEWS)) {
  Deno.test(`view ai.${view} has the contract's columns and types`, async () => {
    const rows = await db.sql<{ name: string; type: string }[]>`
      select a.attname as name, format_type(a.atttypid, a.atttypmod) as type
      from pg_attribute a where a.attrelid = ${`ai.${view}`}::regclass and a.attnum > 0
      order by a.attnum`;
    assert.deepEqual(rows.map((r) => ({ ...r })), columns);
  });
}

interface ProcRow {
  name: string;
  args: string;
  identity_types: string;
  returns: string;
  volatility: string;
  secdef: boolean;
  strict: boolean;
  parallel: string;
  config: string[] | null;
  acl: string | null;
  owner: string;
}

async function catalogFunctions(): Promise<ProcRow[]> {
  return await db.sql<ProcRow[]>`
    select p.proname as name, pg_get_function_arguments(p.oid) as args,
           coalesce((select string_agg(format_type(t, null), ', ' order by o)
                     from unnest(p.proargtypes) with ordinality u(t, o)), '') as identity_types,
           coalesce(pg_get_function_result(p.oid), '') as returns,
           p.provolatile as volatility, p.prosecdef as secdef, p.proisstrict as strict,
           p.proparallel as parallel, p.proconfig as config, p.proacl::text as acl,
           pg_get_userbyid(p.proowner) as owner
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'ai'`;
}

Deno.test("every public function of the contract exists with its exact signature and volatility", async () => {
  const procs = await catalogFunctions();
  for (const f of PUBLIC_FUNCTIONS) {
    const found = procs.filter((p) => p.name === f.name && p.args === f.args);
    assert.equal(found.length, 1, `ai.${f.name}(${f.args}) exists once`);
    const p = found[0]!;
    assert.equal(p.returns, f.returns, `return type of ai.${f.name}(${f.args})`);
    assert.equal(p.volatility, f.volatility, `volatility of ai.${f.name}(${f.args})`);
  }
});

Deno.test("every internal function of the contract exists with its argument types and result", async () => {
  const procs = await catalogFunctions();
  for (const f of INTERNAL_FUNCTIONS) {
    const found = procs.filter((p) => p.name === f.name && p.identity_types === f.types);
    assert.equal(found.length, 1, `ai.${f.name}(${f.types}) exists once`);
    assert.equal(found[0]!.returns, f.returns, `result of ai.${f.name}`);
    const named = INTERNAL_ARGUMENTS[f.name];
    if (named !== undefined) assert.equal(found[0]!.args, named, `parameters of ai.${f.name}`);
  }
});

Deno.test("schema ai holds no function beyond the contract's", async () => {
  const procs = await catalogFunctions();
  const known = new Set([
    ...PUBLIC_FUNCTIONS.map((f) => `${f.name}(${f.args})`),
    ...INTERNAL_FUNCTIONS.map((f) => f.name),
  ]);
  const extra = procs.filter((p) => !known.has(`${p.name}(${p.args})`) && !known.has(p.name));
  assert.deepEqual(extra.map((p) => `${p.name}(${p.args})`), []);
  const publicOverloads = new Set(PUBLIC_FUNCTIONS.map((f) => f.name));
  const internalCount = procs.filter((p) => !publicOverloads.has(p.name)).length;
  assert.equal(internalCount, INTERNAL_FUNCTIONS.length);
});

Deno.test("the upgrade's list of current signatures is exactly what a fresh install creates", async () => {
  const listed = [...outdatedSql.matchAll(/\('(\w+)', '([^']*)', '([^']+)', (\d+)\)/g)]
    .filter((m) => m[2] !== "-")
    .map((m) => ({ name: m[1]!, identity: m[2]!, result: m[3]!, defaults: Number(m[4]) }));
  assert.ok(listed.length > 70, "the list was parsed");
  const rows = await db.sql.begin(async (tx) => {
    await tx`set local search_path = pg_catalog`;
    return await tx<{ entry: string }[]>`
      select p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ') '
             || p.prorettype::regtype::text || ' ' || p.pronargdefaults as entry
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'ai' order by 1`;
  });
  const expected = listed
    .map((f) =>
      `${f.name}(${f.identity}) ${
        f.result.replace("@extschema:vector@.vector", "public.vector")
      } ${f.defaults}`
    )
    .sort();
  assert.deepEqual(rows.map((r) => r.entry).sort(), expected);
});

Deno.test("functions are security invoker, not strict, parallel unsafe, pinned search_path, public execute", async () => {
  const procs = await catalogFunctions();
  for (const p of procs) {
    const label = `ai.${p.name}(${p.args})`;
    assert.equal(p.secdef, false, `${label} is security invoker`);
    assert.equal(p.strict, false, `${label} is not strict`);
    assert.equal(p.parallel, "u", `${label} is parallel unsafe`);
    assert.equal(p.acl, null, `${label} keeps the default EXECUTE to PUBLIC`);
    if (p.name === "_vectorizer_job") continue; // a procedure that commits cannot pin settings
    assert.deepEqual(p.config, ["search_path=pg_catalog, pg_temp"], `${label} search_path`);
  }
});

Deno.test("install grants nothing and the installing role owns every object", async () => {
  const rows = await db.sql<{ relname: string; owner: string; acl: string | null }[]>`
    select c.relname, pg_get_userbyid(c.relowner) as owner, c.relacl::text as acl
    from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'ai'`;
  for (const r of rows) {
    assert.equal(r.owner, "postgres", `${r.relname} owner`);
    assert.equal(r.acl, null, `${r.relname} has no grants`);
  }
  const [schema] = await db.sql`select pg_get_userbyid(nspowner) as owner, nspacl::text as acl
    from pg_namespace where nspname = 'ai'`;
  assert.deepEqual({ ...schema }, { owner: "postgres", acl: null });
});

Deno.test("running the installer again is a no-op, and an error with strict", async () => {
  const before = await db.sql`select name, applied_at from ai.pgai_lib_migration order by name`;
  const [v1] = await db.sql`select installed_at from ai.pgai_lib_version`;
  const result = await install(db.sql);
  assert.equal(result.status, "already-installed");
  assert.equal(result.message, "pgai 0.12.1 already installed");
  await assert.rejects(install(db.sql, { strict: true }), AlreadyInstalledError);
  const after = await db.sql`select name, applied_at from ai.pgai_lib_migration order by name`;
  assert.deepEqual([...after], [...before]);
  const [v2] = await db.sql`select installed_at from ai.pgai_lib_version`;
  assert.deepEqual(v2, v1);
});

Deno.test("the raw script at the same version fails with SQLSTATE 42710 and pgai's message", async () => {
  const { buildInstallScript } = await import("../../src/catalog/script.ts");
  const error = await db.sql.unsafe(buildInstallScript({ vectorSchema: "public" })).simple()
    .then(() => undefined, (e: unknown) => e as { code: string; message: string });
  assert.equal(error?.code, "42710");
  assert.equal(error?.message, "the pgai library has already been installed/upgraded");
});

Deno.test("install reports to the given log: installed, then already installed", async () => {
  await using fresh = await testDatabase("catalog_install_log");
  const lines: string[] = [];
  const log = { info: (e: string) => lines.push(`info ${e}`), warn: (e: string) => lines.push(e) };
  const first = await install(fresh.sql, { log });
  const second = await install(fresh.sql, { log });
  assert.equal(first.status, "installed");
  assert.equal(first.previousVersion, null);
  assert.equal(second.status, "already-installed");
  assert.deepEqual(lines, ["info pgai 0.12.1 installed", "info pgai 0.12.1 already installed"]);
});

Deno.test("two installers started at once both succeed: one installs, the other is a no-op", async () => {
  await using fresh = await testDatabase("catalog_install_race");
  const a = postgres(fresh.url, { max: 1, onnotice: () => {} });
  const b = postgres(fresh.url, { max: 1, onnotice: () => {} });
  try {
    const results = await Promise.all([install(a), install(b)]);
    assert.deepEqual(results.map((r) => r.status).sort(), ["already-installed", "installed"]);
    const [{ count }] = await fresh.sql`select count(*)::int from ai.pgai_lib_migration` as [
      { count: number },
    ];
    assert.equal(count, MIGRATION_NAMES.length);
  } finally {
    await a.end();
    await b.end();
  }
});

Deno.test("a role that does not own the catalog cannot run migrations over it", async () => {
  await using fresh = await testDatabase("catalog_install_owner");
  await install(fresh.sql);
  await fresh.sql`update ai.pgai_lib_version set version = '0.12.0'`;
  const role = uniqueRole("catalog_intruder");
  const admin = await adminSql();
  try {
    await admin.unsafe(`create role ${role} login`);
    await fresh.sql.unsafe(`grant create on database "${fresh.name}" to ${role};
      grant usage, create on schema ai to ${role}; grant select on ai.pgai_lib_version to ${role}`);
    const intruder = postgres(fresh.url, { max: 1, user: role, onnotice: () => {} });
    try {
      const error = await install(intruder).then(() => undefined, (e: unknown) => e);
      assert.ok(error instanceof NotCatalogOwnerError, String(error));
      assert.match(
        error.message,
        /^only the owner of the ai\.pgai_lib_migration table can run database migrations/,
      );
    } finally {
      await intruder.end();
    }
    const [row] = await fresh.sql`select version from ai.pgai_lib_version`;
    assert.equal(row?.version, "0.12.0", "nothing changed");
  } finally {
    await fresh.sql.unsafe(`revoke all on database "${fresh.name}" from ${role};
      revoke all on schema ai from ${role}; revoke all on ai.pgai_lib_version from ${role}`);
    await admin.unsafe(`drop role ${role}`);
    await admin.end();
  }
});

Deno.test("a catalog newer than ours is left alone, and strict turns that into an error", async () => {
  await using fresh = await testDatabase("catalog_install_newer");
  await install(fresh.sql);
  await fresh.sql`update ai.pgai_lib_version set version = '0.13.0'`;
  await fresh.sql`drop function ai.parsing_none()`;
  const result = await install(fresh.sql);
  assert.equal(result.status, "newer");
  assert.equal(result.previousVersion, "0.13.0");
  assert.match(result.message, /has version 0\.13\.0, newer than this installer \(0\.12\.1\)/);
  await assert.rejects(install(fresh.sql, { strict: true }), NewerCatalogError);
  const gone = await fresh.sql`select 1 from pg_proc where proname = 'parsing_none'`;
  assert.equal(gone.length, 0, "functions were not touched");
  const [row] = await fresh.sql`select version from ai.pgai_lib_version`;
  assert.equal(row?.version, "0.13.0");
});

Deno.test("pgvector in another schema: vector types are qualified with that schema", async () => {
  const name = `catalog_vec_schema_${Deno.pid}`;
  const admin = await adminSql();
  await admin.unsafe(`drop database if exists ${name}`);
  await admin.unsafe(`create database ${name}`);
  const sql = postgres(await clusterUrl(name), { max: 1, onnotice: () => {} });
  try {
    await sql`create schema ext`;
    await sql`create extension vector with schema ext`;
    await install(sql);
    const [f] =
      await sql`select pg_get_function_result('ai.vectorizer_embed(jsonb,text,text)'::regprocedure) as r`;
    assert.equal(f?.r, "ext.vector");
    await sql`create table public.doc (id int primary key, body text)`;
    await sql`select ai.create_vectorizer('public.doc', loading => ai.loading_column('body'),
      embedding => ai.embedding_ollama('m', 3), destination => ai.destination_table('doc_vec'))`;
    const [c] = await sql`select format_type(atttypid, atttypmod) as t from pg_attribute
      where attrelid = 'public.doc_vec_store'::regclass and attname = 'embedding'`;
    assert.equal(c?.t, "ext.vector(3)");
  } finally {
    await sql.end();
    await admin.unsafe(`drop database ${name} with (force)`);
    await admin.end();
  }
});

Deno.test("missing pgvector that the role may not create fails with a message naming the fix", async () => {
  const name = `catalog_no_vector_${Deno.pid}`;
  const role = uniqueRole("catalog_novec");
  const admin = await adminSql();
  await admin.unsafe(`drop database if exists ${name}`);
  await admin.unsafe(`create role ${role} login`);
  await admin.unsafe(`create database ${name} owner ${role}`);
  const sql = postgres(await clusterUrl(name), { max: 1, user: role, onnotice: () => {} });
  try {
    const error = await install(sql).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof VectorExtensionError, String(error));
    assert.match(error.message, /permission denied to create extension "vector"/);
    assert.match(error.message, /superuser/);
    assert.match(error.message, /CREATE EXTENSION vector/);
  } finally {
    await sql.end();
    await admin.unsafe(`drop database ${name} with (force)`);
    await admin.unsafe(`drop role ${role}`);
    await admin.end();
  }
});

Deno.test("the database owner (not superuser) installs when pgvector exists", async () => {
  const name = `catalog_dbowner_${Deno.pid}`;
  const role = uniqueRole("catalog_dbowner");
  const admin = await adminSql();
  await admin.unsafe(`drop database if exists ${name}`);
  await admin.unsafe(`create role ${role} login`);
  await admin.unsafe(`create database ${name} owner ${role}`);
  const superSql = postgres(await clusterUrl(name), { max: 1, onnotice: () => {} });
  await superSql`create extension vector`;
  await superSql.end();
  const sql = postgres(await clusterUrl(name), { max: 1, user: role, onnotice: () => {} });
  try {
    const result = await install(sql);
    assert.equal(result.status, "installed");
    const [owner] = await sql`select pg_get_userbyid(relowner) as o from pg_class
      where oid = 'ai.vectorizer'::regclass`;
    assert.equal(owner?.o, role);
  } finally {
    await sql.end();
    await admin.unsafe(`drop database ${name} with (force)`);
    await admin.unsafe(`drop role ${role}`);
    await admin.end();
  }
});

Deno.test("install and upgrade send no warnings and leave the session's settings as they were", async () => {
  await using fresh = await testDatabase("catalog_install_quiet");
  const client = recordingClient(fresh.url);
  try {
    await install(client.sql);
    await client.sql`update ai.pgai_lib_version set version = '0.12.0'`;
    assert.equal((await install(client.sql)).status, "upgraded");
    assert.deepEqual(client.messages, []);
    const [settings] = await client.sql`select current_setting('search_path') as path,
      current_setting('client_min_messages') as level`;
    assert.deepEqual({ ...settings }, { path: '"$user", public', level: "notice" });
  } finally {
    await client.sql.end();
  }
});

Deno.test("servers older than PostgreSQL 15 get pgai's refusal message", () => {
  assert.equal(
    new UnsupportedServerError(14).message,
    "postgres 14 is unsupported, pgai requires postgres version 15 or greater",
  );
});

Deno.test("extension versions compare numerically, part by part", () => {
  assert.ok(compareVersions("0.9.0", "0.10.0") < 0);
  assert.ok(compareVersions("0.10.0", "0.10.0") === 0);
  assert.ok(compareVersions("0.11.2", "0.10.0") > 0);
  assert.ok(compareVersions("1.0.0-dev", "0.10.0") > 0);
});
