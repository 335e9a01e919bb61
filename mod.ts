/**
 * `@pgai/worker`: pgai's vectorizer worker and `ai` schema installer for Deno.
 *
 * As a library it runs the worker inside your own program; run as a script
 * (`deno run -A jsr:@pgai/worker vectorizer worker -d postgres://...`) it is the `pgai` CLI.
 * Importing it has no side effects.
 *
 * @example Run the worker until the process is asked to stop
 * ```ts
 * import { Worker } from "jsr:@pgai/worker";
 *
 * const worker = new Worker({ dbUrl: "postgres://postgres@localhost:5432/postgres", pollInterval: 30 });
 * Deno.addSignalListener("SIGTERM", () => worker.stop());
 * const error = await worker.run(); // resolves after stop(), or with the error in exit-on-error mode
 * if (error) console.error(error.message);
 * ```
 *
 * @example Prepare a database (what `pgai install` does)
 * ```ts
 * import postgres from "npm:postgres";
 * import { install } from "jsr:@pgai/worker";
 *
 * const sql = postgres("postgres://postgres@localhost:5432/postgres", { max: 1 });
 * const result = await install(sql);
 * console.log(result.message); // "pgai 0.12.1 installed"
 * await sql.end();
 * ```
 *
 * @module
 */

import { runCli } from "./src/cli/mod.ts";

export { Worker } from "./src/worker/worker.ts";
export type { WorkerOptions } from "./src/worker/worker.ts";
export {
  AlreadyInstalledError,
  install,
  InstallError,
  NewerCatalogError,
  PGAI_VERSION,
} from "./src/catalog/install.ts";
export type { InstallOptions, InstallResult, InstallStatus } from "./src/catalog/install.ts";
export { runCli };

if (import.meta.main) runCli(Deno.args).then((status) => Deno.exit(status));
