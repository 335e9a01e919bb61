/**
 * The `pgai` executable: `pgai vectorizer worker`, `pgai install`, `pgai health`. Runs the
 * command line and exits with its status when executed; importing it has no side effects.
 */

import { runCli } from "./src/cli/mod.ts";

export { runCli };
export type { CliEnv, CliIo } from "./src/cli/mod.ts";

if (import.meta.main) runCli(Deno.args).then((status) => Deno.exit(status));
