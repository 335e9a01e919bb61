/**
 * `pgai install`: installs or upgrades pgai's `ai` schema in a database (src/catalog), with
 * pgai's options `-d/--db-url` and `--strict`, also from `PGAI_INSTALL_DB_URL` and
 * `PGAI_INSTALL_STRICT`. Failures are reported on standard error with the password masked.
 */

import { getLogger } from "../log.ts";
import { maskDbUrl, maskSecrets, registerDbUrlSecrets } from "../secrets.ts";
import { type CliContext, startLogging } from "./context.ts";
import { formatHelp, type HelpPage } from "./help.ts";
import {
  boolean,
  type CommandInfo,
  type OptionSpec,
  parseArgs,
  rejectExtraArguments,
  resolveValue,
  text,
} from "./options.ts";
import { DEFAULT_DB_URL } from "./worker.ts";

const COMMAND: CommandInfo = { path: "pgai install", usage: "[OPTIONS]" };

const OPTION = {
  dbUrl: {
    name: "db_url",
    flags: ["-d", "--db-url"],
    kind: "value",
    metavar: "URL",
    envvars: ["PGAI_INSTALL_DB_URL"],
    help: "Database to install pgai into: a postgres:// URL or a libpq connection string.",
    defaultHelp: DEFAULT_DB_URL,
  },
  strict: {
    name: "strict",
    flags: ["--strict"],
    kind: "flag",
    envvars: ["PGAI_INSTALL_STRICT"],
    help: "Fail if this version of pgai is already installed. The variable takes a boolean.",
  },
} as const satisfies Record<string, OptionSpec>;

const HELP: HelpPage = {
  command: COMMAND,
  description: [
    "Install or upgrade pgai's catalog (the ai schema) in the database. Running it again is " +
    "harmless unless --strict is given.",
  ],
  options: Object.values(OPTION),
};

/** Runs `pgai install` with `argv` (the arguments after `install`). */
export async function installCommand(argv: readonly string[], cli: CliContext): Promise<number> {
  const parsed = parseArgs(argv, Object.values(OPTION), COMMAND);
  if (parsed.eager === "help") {
    cli.stdout(formatHelp(HELP));
    return 0;
  }
  const dbUrl = resolveValue(parsed, OPTION.dbUrl, cli.env, text, COMMAND) ??
    DEFAULT_DB_URL;
  const strict = resolveValue(parsed, OPTION.strict, cli.env, boolean, COMMAND) ?? false;
  rejectExtraArguments(parsed, COMMAND);
  startLogging(cli, "info", "text");
  registerDbUrlSecrets(dbUrl);

  // Loaded only now, so that --help and usage errors do not pay for the database client.
  const [{ connect }, { install }] = await Promise.all([
    import("../db/connect.ts"),
    import("../catalog/install.ts"),
  ]);
  let sql: ReturnType<typeof connect> | undefined;
  try {
    sql = connect(dbUrl, { applicationName: "pgai install", env: cli.env.toObject() });
    await install(sql, { strict, log: getLogger("install") });
    return 0;
  } catch (error) {
    cli.stderr(
      `Error: installing pgai into ${maskDbUrl(dbUrl)} failed: ${
        maskSecrets(error instanceof Error ? error.message : String(error))
      }\n`,
    );
    return 1;
  } finally {
    await sql?.end();
  }
}
