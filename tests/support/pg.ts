/**
 * Ephemeral PostgreSQL for tests.
 *
 * Tests run against a real server, never a mock. One throw-away cluster is started per test
 * process (initdb into a temporary directory, a free port, fsync off), unless
 * `TEST_DATABASE_URL` points at a server to use instead. A template database with the `vector`
 * extension is created once; every test file then gets its own database cloned from it, so
 * files never see each other's data and cloning costs milliseconds.
 *
 * ```ts
 * import { testDatabase } from "./support/pg.ts";
 * const db = await testDatabase("catalog_install");
 * await db.sql`select 1`;
 * await db.drop();
 * ```
 */
import postgres from "postgres";

const TEMPLATE = "pgai_test_template";

/** A database of the test cluster, owned by one test file. */
export interface TestDatabase {
  /** Its name. */
  readonly name: string;
  /** A `postgres://` URL that reaches it. */
  readonly url: string;
  /** A client connected to it (closed by `drop`). */
  readonly sql: postgres.Sql;
  /** Closes the client and drops the database. */
  drop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Raised when no test cluster can be started or reached. */
export class TestClusterError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TestClusterError";
  }
}

interface Cluster {
  /** Base URL without a database name, e.g. `postgres://postgres@127.0.0.1:5433`. */
  base: string;
}

let clusterPromise: Promise<Cluster> | undefined;
let counter = 0;

/** URL of `dbname` on the test cluster (starting the cluster if needed). */
export async function clusterUrl(dbname: string): Promise<string> {
  const cluster = await getCluster();
  return `${cluster.base}/${encodeURIComponent(dbname)}`;
}

/** A short-lived client on the cluster's `postgres` database. Close it with `end()`. */
export async function adminSql(): Promise<postgres.Sql> {
  return postgres(await clusterUrl("postgres"), { max: 1, onnotice: () => {} });
}

/**
 * Creates a fresh database for one test file, cloned from the template that has `vector`.
 * `label` becomes part of the name so a leftover database tells whose it was.
 */
export async function testDatabase(label: string): Promise<TestDatabase> {
  await getCluster();
  const safe = label.toLowerCase().replace(/[^a-z0-9_]/g, "_").slice(0, 30);
  const name = `t_${safe}_${Deno.pid}_${++counter}`;
  const admin = await adminSql();
  try {
    await admin.unsafe(`drop database if exists "${name}"`);
    await admin.unsafe(`create database "${name}" template "${TEMPLATE}"`);
  } finally {
    await admin.end();
  }
  const url = await clusterUrl(name);
  const sql = postgres(url, { max: 4, onnotice: () => {} });
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    await sql.end({ timeout: 5 });
    const a = await adminSql();
    try {
      await a.unsafe(`drop database if exists "${name}" with (force)`);
    } finally {
      await a.end();
    }
  };
  return { name, url, sql, drop, [Symbol.asyncDispose]: drop };
}

function getCluster(): Promise<Cluster> {
  clusterPromise ??= startOrReuse();
  return clusterPromise;
}

async function startOrReuse(): Promise<Cluster> {
  const given = Deno.env.get("TEST_DATABASE_URL");
  const cluster = given ? { base: stripDatabase(given) } : startCluster();
  await ensureTemplate(cluster);
  return cluster;
}

function stripDatabase(url: string): string {
  const u = new URL(url);
  u.pathname = "";
  return u.toString().replace(/\/$/, "");
}

async function ensureTemplate(cluster: Cluster): Promise<void> {
  const admin = postgres(`${cluster.base}/postgres`, { max: 1, onnotice: () => {} });
  try {
    // Serialize template creation between concurrent test processes on a shared server.
    await admin`select pg_advisory_lock(74651)`;
    const [row] = await admin`select 1 as ok from pg_database where datname = ${TEMPLATE}`;
    if (!row) {
      await admin.unsafe(`create database "${TEMPLATE}"`).catch((e: unknown) => {
        throw new TestClusterError(`cannot create the template database: ${String(e)}`, {
          cause: e,
        });
      });
    }
    const tpl = postgres(`${cluster.base}/${TEMPLATE}`, { max: 1, onnotice: () => {} });
    try {
      await tpl`create extension if not exists vector`;
    } catch (e) {
      throw new TestClusterError(
        "pgvector is not installed in the test server (`create extension vector` failed); " +
          "run scripts/bootstrap.sh",
        { cause: e },
      );
    } finally {
      await tpl.end();
    }
  } finally {
    await admin.end();
  }
}

/** Directory holding initdb/pg_ctl/postgres: $PG_BINDIR, `pg_config --bindir`, or the newest Debian one. */
function findBinDir(): string {
  const fromEnv = Deno.env.get("PG_BINDIR");
  if (fromEnv) return fromEnv;
  try {
    const out = new Deno.Command("pg_config", { args: ["--bindir"], stderr: "null" }).outputSync();
    const dir = new TextDecoder().decode(out.stdout).trim();
    if (out.success && exists(`${dir}/initdb`)) return dir;
  } catch { /* pg_config absent: look for Debian's layout */ }
  const versions: number[] = [];
  try {
    for (const e of Deno.readDirSync("/usr/lib/postgresql")) {
      const v = Number(e.name);
      if (Number.isInteger(v) && exists(`/usr/lib/postgresql/${v}/bin/initdb`)) versions.push(v);
    }
  } catch { /* no Debian layout */ }
  versions.sort((a, b) => b - a);
  if (versions[0] !== undefined) return `/usr/lib/postgresql/${versions[0]}/bin`;
  throw new TestClusterError(
    "no PostgreSQL server binaries found (set PG_BINDIR or TEST_DATABASE_URL, or run scripts/bootstrap.sh)",
  );
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Runs a server binary, as the `postgres` OS user when we are root (Postgres refuses root). */
function run(bin: string, args: string[], asPostgres: boolean): Deno.CommandOutput {
  const cmd = asPostgres
    ? new Deno.Command("runuser", { args: ["-u", "postgres", "--", bin, ...args] })
    : new Deno.Command(bin, { args });
  return cmd.outputSync();
}

const CLUSTER_PREFIX = "pgai-test-pg-";

/**
 * Stops clusters left behind by test processes that died without running their unload handler
 * (killed, or interrupted by a signal): each cluster directory records its owner's pid.
 */
function reapOrphanClusters(bindir: string, root: boolean): void {
  const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(tmp)];
  } catch {
    return;
  }
  for (const e of entries) {
    if (!e.isDirectory || !e.name.startsWith(CLUSTER_PREFIX)) continue;
    const dir = `${tmp}/${e.name}`;
    let owner: number;
    try {
      owner = Number(Deno.readTextFileSync(`${dir}/owner.pid`).trim());
    } catch {
      continue;
    }
    if (!Number.isInteger(owner) || owner <= 0 || exists(`/proc/${owner}`)) continue;
    if (exists(`${dir}/data/postmaster.pid`)) {
      run(`${bindir}/pg_ctl`, ["-D", `${dir}/data`, "-m", "immediate", "-w", "stop"], root);
    }
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch { /* another process may be reaping it too */ }
  }
}

function startCluster(): Cluster {
  const bindir = findBinDir();
  const root = Deno.uid() === 0;
  reapOrphanClusters(bindir, root);
  const dir = Deno.makeTempDirSync({ prefix: CLUSTER_PREFIX });
  Deno.writeTextFileSync(`${dir}/owner.pid`, String(Deno.pid));
  if (root) new Deno.Command("chown", { args: ["-R", "postgres:", dir] }).outputSync();
  const data = `${dir}/data`;
  const init = run(`${bindir}/initdb`, [
    "-D",
    data,
    "-U",
    "postgres",
    "-A",
    "trust",
    "-E",
    "UTF8",
    "--locale=C",
    "--no-sync",
  ], root);
  if (!init.success) {
    throw new TestClusterError(`initdb failed: ${new TextDecoder().decode(init.stderr)}`);
  }
  const port = freePort();
  const opts = [
    `-p ${port}`,
    "-c listen_addresses=127.0.0.1",
    `-c unix_socket_directories=${dir}`,
    "-c fsync=off",
    "-c synchronous_commit=off",
    "-c full_page_writes=off",
    "-c max_connections=200",
    "-c shared_buffers=128MB",
  ].join(" ");
  const start = run(`${bindir}/pg_ctl`, [
    "-D",
    data,
    "-l",
    `${dir}/server.log`,
    "-o",
    opts,
    "-w",
    "-t",
    "60",
    "start",
  ], root);
  if (!start.success) {
    let log = "";
    try {
      log = Deno.readTextFileSync(`${dir}/server.log`);
    } catch { /* no log written */ }
    throw new TestClusterError(
      `pg_ctl start failed: ${new TextDecoder().decode(start.stderr)}\n${log}`,
    );
  }
  // Stop the cluster and remove its files when the test process ends.
  globalThis.addEventListener("unload", () => {
    run(`${bindir}/pg_ctl`, ["-D", data, "-m", "immediate", "-w", "stop"], root);
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch { /* best effort */ }
  });
  return { base: `postgres://postgres@127.0.0.1:${port}` };
}
