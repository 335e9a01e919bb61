/**
 * What the database's pgai catalog is and can do.
 *
 * The worker must run against every pgai catalog from the extension era (0.4) to the library
 * (0.12.1), so it detects the version only for warnings and switches behaviour on catalog objects,
 * exactly as pgai's worker does (contract §2.2-2.3, catalog §5-6). The probe is read-only: it never
 * records or changes the catalog's version. It takes one round trip (two when the library version
 * table exists), so the worker repeats it after every reconnect.
 */
import type postgres from "postgres";
import { compareVersions, isSemver, PGAI_VERSION } from "../worker/semver.ts";

/** Catalog objects the worker switches behaviour on (contract §2.3). */
export interface CatalogFeatures {
  /** `ai.vectorizer.disabled` exists: check it before every batch. */
  disabledColumn: boolean;
  /** `ai.vectorizer_worker_process` exists: worker tracking and heartbeats. */
  workerTracking: boolean;
  /** `ai._vectorizer_create_queue_failed_table` exists: retry-aware queues and failed queues. */
  loadingRetries: boolean;
  /** `ai.reveal_secret` exists: API keys may come from the database. */
  revealSecret: boolean;
  /** View `ai.vectorizer_errors` exists: errors go to table `ai._vectorizer_errors`. */
  errorsView: boolean;
}

/** Result of {@link probeCatalog}. */
export interface CatalogInfo {
  /** `extversion` of extension `ai`, if installed. */
  extensionVersion: string | null;
  /** `ai.pgai_lib_version` row `ai`, if present. */
  libraryVersion: string | null;
  /** Whether the `ai.vectorizer` table exists (the worker has nothing to do without it). */
  hasVectorizerTable: boolean;
  features: CatalogFeatures;
}

/** Raised when neither the extension nor the library version is recorded. */
export class PgaiNotInstalledError extends Error {
  constructor() {
    super("pgai is not installed in the database");
    this.name = "PgaiNotInstalledError";
  }
}

/** Reads the catalog's versions and features. */
export async function probeCatalog(
  sql: postgres.Sql | postgres.TransactionSql,
): Promise<CatalogInfo> {
  const [row] = await sql.unsafe<
    {
      ext_version: string | null;
      lib_table: boolean;
      vectorizer_table: boolean;
      disabled_column: boolean;
      worker_tracking: boolean;
      loading_retries: boolean;
      reveal_secret: boolean;
      errors_view: boolean;
    }[]
  >(PROBE_SQL);
  if (!row) throw new Error("catalog probe returned no row");
  let libraryVersion: string | null = null;
  if (row.lib_table) {
    const [lib] = await sql.unsafe<{ version: string }[]>(
      "select version from ai.pgai_lib_version where name = 'ai'",
    );
    libraryVersion = lib?.version ?? null;
  }
  return {
    extensionVersion: row.ext_version,
    libraryVersion,
    hasVectorizerTable: row.vectorizer_table,
    features: {
      disabledColumn: row.disabled_column,
      workerTracking: row.worker_tracking,
      loadingRetries: row.loading_retries,
      revealSecret: row.reveal_secret,
      errorsView: row.errors_view,
    },
  };
}

const PROBE_SQL = `
select
  (select extversion from pg_catalog.pg_extension where extname = 'ai') as ext_version,
  exists (select 1 from information_schema.tables
          where table_schema = 'ai' and table_name = 'pgai_lib_version') as lib_table,
  exists (select 1 from information_schema.tables
          where table_schema = 'ai' and table_name = 'vectorizer') as vectorizer_table,
  exists (select 1 from information_schema.columns
          where table_schema = 'ai' and table_name = 'vectorizer'
            and column_name = 'disabled') as disabled_column,
  exists (select 1 from information_schema.tables
          where table_schema = 'ai' and table_name = 'vectorizer_worker_process') as worker_tracking,
  exists (select 1 from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
          where n.nspname = 'ai'
            and p.proname = '_vectorizer_create_queue_failed_table') as loading_retries,
  exists (select 1 from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
          where n.nspname = 'ai' and p.proname = 'reveal_secret') as reveal_secret,
  exists (select 1 from information_schema.views
          where table_schema = 'ai' and table_name = 'vectorizer_errors') as errors_view
`;

/** Whether pgai is installed at all (contract §2.2: either version recorded). */
export function isInstalled(info: CatalogInfo): boolean {
  return info.extensionVersion !== null || info.libraryVersion !== null;
}

/**
 * pgai's warning for an outdated catalog (contract §1.7, §2.2), or undefined. A newer catalog is
 * not warned about; unparsable versions are ignored.
 */
export function outdatedWarning(info: CatalogInfo): string | undefined {
  const older = (v: string, than: string) => isSemver(v) && compareVersions(v, than) < 0;
  if (info.libraryVersion === null) {
    if (info.extensionVersion !== null && older(info.extensionVersion, "0.10.0")) {
      return "The pgai extension is outdated and can be upgraded. See https://github.com/timescale/pgai/blob/main/docs/vectorizer/migrating-from-extension.md";
    }
    return undefined;
  }
  if (older(info.libraryVersion, PGAI_VERSION)) {
    return `The pgai installation in your database is outdated and can be upgraded. Installed version: ${info.libraryVersion}, latest version: ${PGAI_VERSION}.`;
  }
  return undefined;
}

/** The table errors are inserted into (contract §2.3). */
export function errorsTable(features: CatalogFeatures): string {
  return features.errorsView ? "ai._vectorizer_errors" : "ai.vectorizer_errors";
}
