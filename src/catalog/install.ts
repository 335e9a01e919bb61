/**
 * `pgai install` without Python: prepares a database so that it is indistinguishable from one
 * prepared by pgai 0.12.1's installer (the `ai` schema, its bookkeeping, functions and views).
 *
 * Checks the server (PostgreSQL >= 15, pgvector), then runs the whole catalog script as one
 * multi-statement simple query, i.e. one transaction: either everything is installed or nothing
 * changed. Running it again at the same version is a no-op (an error with `strict`); a catalog
 * newer than ours is left alone.
 */
import type postgres from "postgres";
import type { Logger } from "../log.ts";
import { buildInstallScript } from "./script.ts";
import { PGAI_VERSION } from "./version.ts";

export { PGAI_VERSION };

/** Where install progress is reported (e.g. `getLogger("install")`). */
export type InstallLog = Pick<Logger, "info" | "warn">;

/** Options of {@link install}. */
export interface InstallOptions {
  /** Fail instead of succeeding quietly when the catalog is already at (or beyond) our version. */
  readonly strict?: boolean;
  /** Receives one info line with the outcome (and warnings). */
  readonly log?: InstallLog;
}

/** What {@link install} did. */
export type InstallStatus = "installed" | "upgraded" | "already-installed" | "newer";

/** Outcome of {@link install}. */
export interface InstallResult {
  readonly status: InstallStatus;
  /** Version of this installer (`0.12.1`). */
  readonly version: string;
  /** Catalog version found before installing; null on a fresh database. */
  readonly previousVersion: string | null;
  /** One human line, e.g. `pgai 0.12.1 installed`. */
  readonly message: string;
  /** Wall time of the install, milliseconds. */
  readonly elapsedMs: number;
}

/** Any failure of `pgai install`; the message says what to do. */
export class InstallError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InstallError";
  }
}

/** The server is older than PostgreSQL 15. */
export class UnsupportedServerError extends InstallError {
  constructor(readonly majorVersion: number) {
    super(`postgres ${majorVersion} is unsupported, pgai requires postgres version 15 or greater`);
    this.name = "UnsupportedServerError";
  }
}

/** pgvector is missing and could not be created. */
export class VectorExtensionError extends InstallError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "VectorExtensionError";
  }
}

/** The `ai` extension is installed at a version older than 0.10.0. */
export class OutdatedAiExtensionError extends InstallError {
  constructor(readonly installedVersion: string) {
    super(
      `The ai extension is outdated and must be upgraded. Installed version: ${installedVersion}, required version: 0.10.0`,
    );
    this.name = "OutdatedAiExtensionError";
  }
}

/** Another role owns the catalog's bookkeeping. */
export class NotCatalogOwnerError extends InstallError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "NotCatalogOwnerError";
  }
}

/** `strict` and the catalog is already at our version. */
export class AlreadyInstalledError extends InstallError {
  constructor(options?: ErrorOptions) {
    super(
      `the pgai library has already been installed/upgraded (version ${PGAI_VERSION})`,
      options,
    );
    this.name = "AlreadyInstalledError";
  }
}

/** `strict` and the catalog is newer than ours. */
export class NewerCatalogError extends InstallError {
  constructor(readonly catalogVersion: string | null, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "NewerCatalogError";
  }
}

const ALREADY_INSTALLED = "the pgai library has already been installed/upgraded";
const NEWER_CATALOG = "the pgai catalog in this database has version";

/**
 * Installs (or upgrades to) the pgai 0.12.1 catalog in the database `sql` is connected to.
 * `sql` may be a pool: the script runs as one query on one connection.
 */
export async function install(
  sql: postgres.Sql,
  options: InstallOptions = {},
): Promise<InstallResult> {
  const started = performance.now();
  await checkServerVersion(sql);
  const vectorSchema = await ensureVector(sql);
  await checkAiExtension(sql);
  const previousVersion = await catalogVersion(sql);
  const script = "set local client_min_messages = warning;\n" +
    buildInstallScript({ vectorSchema });

  let status: InstallStatus;
  let message: string;
  try {
    await sql.unsafe(script).simple();
    status = previousVersion === null ? "installed" : "upgraded";
    message = previousVersion === null
      ? `pgai ${PGAI_VERSION} installed`
      : `pgai ${PGAI_VERSION} installed (upgraded from ${previousVersion})`;
  } catch (e) {
    const outcome = classifyFailure(e, previousVersion, options.strict ?? false);
    status = outcome.status;
    message = outcome.message;
  }
  const elapsedMs = performance.now() - started;
  if (status === "newer") options.log?.warn(message, { version: previousVersion });
  else options.log?.info(message, { elapsed_ms: Math.round(elapsedMs) });
  return { status, version: PGAI_VERSION, previousVersion, message, elapsedMs };
}

function classifyFailure(
  e: unknown,
  previousVersion: string | null,
  strict: boolean,
): { status: InstallStatus; message: string } {
  const pgError = asPgError(e);
  if (pgError?.code === "42710" && pgError.message.includes(ALREADY_INSTALLED)) {
    if (strict) throw new AlreadyInstalledError({ cause: e });
    return { status: "already-installed", message: `pgai ${PGAI_VERSION} already installed` };
  }
  if (pgError?.code === "55000" && pgError.message.startsWith(NEWER_CATALOG)) {
    if (strict) throw new NewerCatalogError(previousVersion, pgError.message, { cause: e });
    return { status: "newer", message: pgError.message };
  }
  if (pgError?.message.startsWith("only the owner of the ai.pgai_lib_migration table")) {
    throw new NotCatalogOwnerError(
      `${pgError.message} (connect as the role that installed pgai in this database)`,
      { cause: e },
    );
  }
  if (pgError?.code === "42501") {
    throw new InstallError(
      `pgai install failed: ${pgError.message}; the installing role needs CREATE on the database ` +
        "and ownership of the ai schema objects",
      { cause: e },
    );
  }
  const text = pgError?.message ?? (e instanceof Error ? e.message : String(e));
  throw new InstallError(`pgai install failed: ${text}`, { cause: e });
}

interface PgErrorLike {
  readonly code: string;
  readonly message: string;
}

function asPgError(e: unknown): PgErrorLike | undefined {
  if (!(e instanceof Error)) return undefined;
  const code = (e as { code?: unknown }).code;
  return typeof code === "string" ? { code, message: e.message } : undefined;
}

async function checkServerVersion(sql: postgres.Sql): Promise<void> {
  const [row] = await sql<{ num: string }[]>`
    select pg_catalog.current_setting('server_version_num') as num`;
  const major = Math.floor(Number(row?.num ?? 0) / 10000);
  if (major < 15) throw new UnsupportedServerError(major);
}

/** Creates pgvector if needed; returns its schema. */
async function ensureVector(sql: postgres.Sql): Promise<string> {
  let schema = await vectorSchemaOf(sql);
  if (schema !== undefined) return schema;
  try {
    await sql`create extension if not exists vector`;
  } catch (e) {
    const pgError = asPgError(e);
    if (pgError?.code === "42501") {
      throw new VectorExtensionError(
        `cannot create extension "vector": ${pgError.message}. pgvector must be created by a ` +
          "superuser (or a role allowed to create it): run `CREATE EXTENSION vector;` in this " +
          "database once, then run pgai install again",
        { cause: e },
      );
    }
    throw new VectorExtensionError(
      `cannot create extension "vector" (is pgvector installed on the server?): ${
        pgError?.message ?? String(e)
      }`,
      { cause: e },
    );
  }
  schema = await vectorSchemaOf(sql);
  if (schema === undefined) throw new VectorExtensionError("vector extension not installed");
  return schema;
}

async function vectorSchemaOf(sql: postgres.Sql): Promise<string | undefined> {
  const [row] = await sql<{ schema: string }[]>`
    select n.nspname as schema
    from pg_catalog.pg_extension x
    join pg_catalog.pg_namespace n on n.oid = x.extnamespace
    where x.extname = 'vector'`;
  return row?.schema;
}

/** pgai's installer creates the ai extension when an executor URL is configured and refuses < 0.10. */
async function checkAiExtension(sql: postgres.Sql): Promise<void> {
  const [setting] = await sql<{ url: string | null }[]>`
    select pg_catalog.current_setting('ai.external_functions_executor_url', true) as url`;
  if (setting?.url) await sql`create extension if not exists ai cascade`;
  const [ext] = await sql<{ version: string }[]>`
    select x.extversion as version from pg_catalog.pg_extension x where x.extname = 'ai'`;
  if (ext && compareVersions(ext.version, "0.10.0") < 0) {
    throw new OutdatedAiExtensionError(ext.version);
  }
}

/** The catalog version before installing, or null (fresh database or unreadable). */
async function catalogVersion(sql: postgres.Sql): Promise<string | null> {
  const [table] = await sql<{ readable: boolean | null }[]>`
    select pg_catalog.has_table_privilege(
      pg_catalog.to_regclass('ai.pgai_lib_version'), 'select') as readable`;
  if (!table?.readable) return null;
  const [row] = await sql<{ version: string }[]>`
    select v.version from ai.pgai_lib_version v where v.name = 'ai'`;
  return row?.version ?? null;
}

/** Compares dotted numeric versions (`0.9.0` < `0.10.0`); non-numeric parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => v.split(/[.+-]/).slice(0, 3).map((p) => Number.parseInt(p, 10) || 0);
  const [x, y] = [parse(a), parse(b)];
  for (let i = 0; i < 3; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
