/**
 * The `pgai` command line: loads `.env`, then dispatches `pgai [--version] COMMAND` to
 * `vectorizer worker`, `install` or `health`. `runCli` returns the exit status instead of
 * exiting, and takes its streams, environment and working directory from `io`, so that the
 * whole CLI can run in-process (tests) as well as from main.ts.
 */

import { DotenvError, loadDotenv } from "../env.ts";
import { maskSecrets, registerEnvSecrets } from "../secrets.ts";
import { type CliContext, type CliIo, processIo } from "./context.ts";
import { formatHelp, formatUsageError, type HelpPage } from "./help.ts";
import { healthCommand } from "./health.ts";
import { installCommand } from "./install.ts";
import { type CommandInfo, parseArgs, UsageError } from "./options.ts";
import { VERSION } from "./version.ts";
import { workerCommand } from "./worker.ts";

export type { CliEnv, CliIo } from "./context.ts";

type Command = (argv: readonly string[], cli: CliContext) => Promise<number>;

interface Group {
  help: HelpPage;
  commands: ReadonlyMap<string, Command>;
}

const GROUP_USAGE = "[OPTIONS] COMMAND [ARGS]...";

const VECTORIZER: Group = {
  help: {
    command: { path: "pgai vectorizer", usage: GROUP_USAGE },
    description: ["Vectorizer commands."],
    options: [],
    withVersion: true,
    commands: [["worker", "Run the vectorizer worker."]],
  },
  commands: new Map([["worker", workerCommand]]),
};

const ROOT: Group = {
  help: {
    command: { path: "pgai", usage: GROUP_USAGE },
    description: [
      "pgai's vectorizer worker and installer: keep the embeddings of pgai vectorizers in " +
      "PostgreSQL up to date.",
    ],
    options: [],
    withVersion: true,
    commands: [
      ["health", "Probe a running worker's health endpoint."],
      ["install", "Install or upgrade pgai in the database."],
      ["vectorizer", "Vectorizer commands."],
    ],
  },
  commands: new Map<string, Command>([
    ["health", healthCommand],
    ["install", installCommand],
    ["vectorizer", (argv, cli) => runGroup(VECTORIZER, argv, cli)],
  ]),
};

async function runGroup(group: Group, argv: readonly string[], cli: CliContext): Promise<number> {
  const info: CommandInfo = group.help.command;
  if (argv.length === 0) {
    cli.stdout(formatHelp(group.help));
    return 0;
  }
  const parsed = parseArgs(argv, [], info, { group: true, withVersion: true });
  if (parsed.eager === "help") {
    cli.stdout(formatHelp(group.help));
    return 0;
  }
  if (parsed.eager === "version") {
    cli.stdout(`pgai, version ${VERSION}\n`);
    return 0;
  }
  const [name, ...rest] = parsed.positionals;
  if (name === undefined) throw new UsageError("Missing command.", info);
  const command = group.commands.get(name);
  if (command === undefined) throw new UsageError(`No such command '${name}'.`, info);
  return await command(rest, cli);
}

/**
 * Runs `pgai` with `argv` (without the program name) and returns the exit status: 0 success
 * or help, 1 failure, 2 usage error. `io` overrides the process's streams, environment
 * (`.env` variables are added to it) and working directory.
 */
export async function runCli(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const base = processIo(io);
  try {
    const dotenv = loadDotenv(base.cwd, base.env);
    registerEnvSecrets(base.env.toObject());
    return await runGroup(ROOT, argv, { ...base, dotenv });
  } catch (error) {
    if (error instanceof UsageError) {
      base.stderr(formatUsageError(error));
      return 2;
    }
    const message = error instanceof DotenvError || !(error instanceof Error)
      ? String(error instanceof Error ? error.message : error)
      : `${error.name}: ${error.message}`;
    base.stderr(`Error: ${maskSecrets(message)}\n`);
    return 1;
  }
}
