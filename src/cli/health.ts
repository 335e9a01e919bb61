/**
 * `pgai health`: probes a running worker's health endpoint (`GET /healthz`) and exits 0 when it
 * answers 200, 1 otherwise. It exists so that container HEALTHCHECKs work in images without a
 * shell or curl (distroless): `pgai health --port 8080`.
 */

import type { CliContext } from "./context.ts";
import { formatHelp, type HelpPage } from "./help.ts";
import {
  type CommandInfo,
  integerRange,
  type OptionSpec,
  parseArgs,
  rejectExtraArguments,
  resolveValue,
  text,
  UsageError,
} from "./options.ts";

const COMMAND: CommandInfo = { path: "pgai health", usage: "[OPTIONS]" };
const LISTEN_HOST = "PGAI_VECTORIZER_WORKER_HEALTH_HOST";
const WILDCARDS = new Set(["0.0.0.0", "::", "[::]"]);
/** How long to wait for the answer, in milliseconds. */
export const PROBE_TIMEOUT_MS = 5000;

const OPTION = {
  host: {
    name: "host",
    flags: ["--host"],
    kind: "value",
    metavar: "HOST",
    help: "Host of the worker's health endpoint.",
    defaultHelp: `${LISTEN_HOST} unless it is a wildcard address, else 127.0.0.1`,
  },
  port: {
    name: "port",
    flags: ["--port"],
    kind: "value",
    metavar: "PORT",
    envvars: ["PGAI_VECTORIZER_WORKER_HEALTH_PORT"],
    help: "Port of the worker's health endpoint (its --health-port). Required unless the " +
      "variable is set.",
  },
} as const satisfies Record<string, OptionSpec>;

const HELP: HelpPage = {
  command: COMMAND,
  description: [
    "Probe a running worker's health endpoint: exit with status 0 when GET /healthz answers " +
    `200, else 1. Gives up after ${PROBE_TIMEOUT_MS / 1000} seconds.`,
  ],
  options: Object.values(OPTION),
};

/** Runs `pgai health` with `argv` (the arguments after `health`). */
export async function healthCommand(argv: readonly string[], cli: CliContext): Promise<number> {
  const parsed = parseArgs(argv, Object.values(OPTION), COMMAND);
  if (parsed.eager === "help") {
    cli.stdout(formatHelp(HELP));
    return 0;
  }
  const listen = cli.env.get(LISTEN_HOST);
  const host = resolveValue(parsed, OPTION.host, cli.env, text, COMMAND) ??
    (listen && !WILDCARDS.has(listen) ? listen : "127.0.0.1");
  const port = resolveValue(parsed, OPTION.port, cli.env, integerRange(1, 65535), COMMAND);
  if (port === undefined) throw new UsageError("Missing option '--port'.", COMMAND);
  rejectExtraArguments(parsed, COMMAND);

  const url = `http://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${port}` +
    "/healthz";
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), PROBE_TIMEOUT_MS);
  try {
    const response = await fetch(url, { signal: controller.signal });
    const body = (await response.text()).trim().slice(0, 500);
    const answer = `${response.status} ${response.statusText}`.trim() + (body ? `: ${body}` : "");
    if (response.status === 200) {
      cli.stdout(`healthy: ${url} answered ${answer}\n`);
      return 0;
    }
    cli.stderr(`unhealthy: ${url} answered ${answer}\n`);
    return 1;
  } catch (error) {
    const reason = controller.signal.aborted
      ? `no answer within ${PROBE_TIMEOUT_MS / 1000} seconds`
      : (error as Error).message;
    cli.stderr(`unhealthy: cannot reach ${url}: ${reason}\n`);
    return 1;
  } finally {
    clearTimeout(timer);
  }
}
