/**
 * Assembles the catalog install script: prelude (lock, version gate), the incremental migrations
 * wrapped so each runs at most once per database (recorded under pgai's migration names), then
 * the idempotent part that (re)creates every function and view.
 *
 * The SQL files are embedded at build time (text imports), so `deno compile` ships them.
 */
import prelude from "./sql/prelude.sql" with { type: "text" };
import m001 from "./sql/migrations/001-vectorizer.sql" with { type: "text" };
import m003 from "./sql/migrations/003-vec-storage.sql" with { type: "text" };
import m005 from "./sql/migrations/005-vectorizer-queue-pending.sql" with { type: "text" };
import m006 from "./sql/migrations/006-drop-vectorizer.sql" with { type: "text" };
import m012 from "./sql/migrations/012-add-vectorizer-disabled-column.sql" with { type: "text" };
import m017 from "./sql/migrations/017-upgrade-source-pk.sql" with { type: "text" };
import m018 from "./sql/migrations/018-drop-foreign-key-constraint.sql" with { type: "text" };
import m019 from "./sql/migrations/019-drop-truncate-from-vectorizer-config-lib.sql" with {
  type: "text",
};
import m020 from "./sql/migrations/020-add-worker-tracking-table.sql" with { type: "text" };
import m021 from "./sql/migrations/021-drop-create-vectorizer-old-function.sql" with {
  type: "text",
};
import m022 from "./sql/migrations/022-migrate-existing-vectorizers-to-loading.sql" with {
  type: "text",
};
import m023 from "./sql/migrations/023-migrate-vectorizer-queue-tables.sql" with { type: "text" };
import m024 from "./sql/migrations/024-add-vectorizer-queue-failed-table.sql" with {
  type: "text",
};
import m025 from "./sql/migrations/025-migrate-vectorizer-to-have-queue-failed-table.sql" with {
  type: "text",
};
import m026 from "./sql/migrations/026-change_trigger_definition.sql" with { type: "text" };
import m027 from "./sql/migrations/027-drop-loading-uri-old-signature.sql" with { type: "text" };
import m028 from "./sql/migrations/028-remove-destination-columns.sql" with { type: "text" };
import m029 from "./sql/migrations/029-add-vectorizer-name-column.sql" with { type: "text" };
import m030 from "./sql/migrations/030-add_vectorizer_errors_view.sql" with { type: "text" };
import fnOutdated from "./sql/functions/00-outdated.sql" with { type: "text" };
import fnConfig from "./sql/functions/01-config.sql" with { type: "text" };
import fnObjects from "./sql/functions/02-objects.sql" with { type: "text" };
import fnApi from "./sql/functions/03-api.sql" with { type: "text" };
import fnStatus from "./sql/functions/04-status-tracking-privileges.sql" with { type: "text" };
import { PGAI_VERSION } from "./version.ts";

/** One incremental migration: pgai's file name (the key recorded in `ai.pgai_lib_migration`). */
export interface Migration {
  readonly name: string;
  readonly body: string;
}

/**
 * The incremental migrations in order. Names are pgai's; bodies are ours. The numbers pgai
 * skips (002, 004, 007-011, 013-016) belonged to the `ai` extension; 031 (semantic catalog) is
 * not reproduced.
 */
export const MIGRATIONS: readonly Migration[] = [
  { name: "001-vectorizer.sql", body: m001 },
  { name: "003-vec-storage.sql", body: m003 },
  { name: "005-vectorizer-queue-pending.sql", body: m005 },
  { name: "006-drop-vectorizer.sql", body: m006 },
  { name: "012-add-vectorizer-disabled-column.sql", body: m012 },
  { name: "017-upgrade-source-pk.sql", body: m017 },
  { name: "018-drop-foreign-key-constraint.sql", body: m018 },
  { name: "019-drop-truncate-from-vectorizer-config-lib.sql", body: m019 },
  { name: "020-add-worker-tracking-table.sql", body: m020 },
  { name: "021-drop-create-vectorizer-old-function.sql", body: m021 },
  { name: "022-migrate-existing-vectorizers-to-loading.sql", body: m022 },
  { name: "023-migrate-vectorizer-queue-tables.sql", body: m023 },
  { name: "024-add-vectorizer-queue-failed-table.sql", body: m024 },
  { name: "025-migrate-vectorizer-to-have-queue-failed-table.sql", body: m025 },
  { name: "026-change_trigger_definition.sql", body: m026 },
  { name: "027-drop-loading-uri-old-signature.sql", body: m027 },
  { name: "028-remove-destination-columns.sql", body: m028 },
  { name: "029-add-vectorizer-name-column.sql", body: m029 },
  { name: "030-add_vectorizer_errors_view.sql", body: m030 },
];

/** The idempotent part, in execution order. */
const FUNCTION_FILES: readonly string[] = [fnOutdated, fnConfig, fnObjects, fnApi, fnStatus];

/** Raised when the embedded SQL cannot be assembled (a defect of this build, not of the database). */
export class ScriptAssemblyError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ScriptAssemblyError";
  }
}

/** Inputs substituted into the SQL. */
export interface ScriptOptions {
  /** Schema of the pgvector extension (unquoted), e.g. `public`. */
  readonly vectorSchema: string;
  /** Library version written to the catalog; defaults to {@link PGAI_VERSION}. */
  readonly version?: string;
}

/** Double-quotes an SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Substitutes `@extschema:vector@` and `@pgai_version@` into one SQL text. */
export function substitute(text: string, options: ScriptOptions): string {
  const version = options.version ?? PGAI_VERSION;
  if (!/^\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]*)?$/.test(version)) {
    throw new ScriptAssemblyError(`version ${JSON.stringify(version)} is not a semantic version`);
  }
  return text
    .replaceAll("@extschema:vector@", quoteIdent(options.vectorSchema))
    .replaceAll("@pgai_version@", version);
}

const BODY_TAG = "$pgai_migration_body$";

/** A DO block that runs `migration` unless `ai.pgai_lib_migration` already records its name. */
export function wrapMigration(migration: Migration, version: string): string {
  if (migration.body.includes(BODY_TAG)) {
    throw new ScriptAssemblyError(`migration ${migration.name} contains ${BODY_TAG}`);
  }
  if (migration.name.includes("'")) {
    throw new ScriptAssemblyError(`migration name ${migration.name} contains a quote`);
  }
  // "%s" leaves pgai's stray "s" after the name in the notice, as pgai's installer prints it.
  return `do $pgai_migration$
declare
    _name text = '${migration.name}';
    _body text = ${BODY_TAG}${migration.body}${BODY_TAG};
begin
    if exists (select 1 from ai.pgai_lib_migration m where m.name = _name) then
        raise notice 'migration %s already applied. skipping.', _name;
        return;
    end if;
    execute _body;
    insert into ai.pgai_lib_migration (name, body, applied_at_version)
    values (_name, _body, '${version}');
end
$pgai_migration$;
`;
}

/** The complete install script for one database. */
export function buildInstallScript(options: ScriptOptions): string {
  const version = options.version ?? PGAI_VERSION;
  const parts = [
    substitute(prelude, options),
    ...MIGRATIONS.map((m) =>
      wrapMigration({ name: m.name, body: substitute(m.body, options) }, version)
    ),
    ...FUNCTION_FILES.map((f) => substitute(f, options)),
  ];
  return parts.join("\n");
}
