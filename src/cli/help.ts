/**
 * Help pages and usage-error texts, laid out like click's: a usage line, a description, an
 * options table whose entries name their environment variables and defaults, a commands
 * table for groups; errors as `Usage:` / `Try '... --help' for help.` / `Error: ...`.
 */

import type { CommandInfo, OptionSpec, UsageError } from "./options.ts";

const WIDTH = 78;
const INDENT = 2;
const MAX_FIRST_COLUMN = 30;
const COLUMN_GAP = 2;

/** A help page. */
export interface HelpPage {
  command: CommandInfo;
  /** Paragraphs under the usage line. */
  description: readonly string[];
  options: readonly OptionSpec[];
  withVersion?: boolean;
  /** Subcommands of a group: name and one-line summary. */
  commands?: readonly (readonly [string, string])[];
  /** Paragraphs after the tables. */
  epilog?: readonly string[];
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  if (line !== "") lines.push(line);
  return lines;
}

function paragraphs(texts: readonly string[]): string {
  return texts.map((text) =>
    wrap(text, WIDTH - INDENT).map((l) => " ".repeat(INDENT) + l).join("\n")
  )
    .join("\n\n");
}

function table(rows: readonly (readonly [string, string])[]): string {
  const first = Math.min(Math.max(...rows.map(([term]) => term.length)), MAX_FIRST_COLUMN) +
    COLUMN_GAP;
  const textWidth = Math.max(WIDTH - first - 2, 10);
  const out: string[] = [];
  for (const [term, text] of rows) {
    const lines = wrap(text, textWidth);
    const head = " ".repeat(INDENT) + term;
    const pad = " ".repeat(INDENT + first);
    if (term.length <= first - COLUMN_GAP) {
      out.push(head + " ".repeat(first - term.length) + (lines[0] ?? ""));
    } else {
      out.push(head, pad + (lines[0] ?? ""));
    }
    for (const line of lines.slice(1)) out.push(pad + line);
  }
  return out.map((line) => line.trimEnd()).join("\n");
}

function optionRow(option: OptionSpec): [string, string] {
  const term = option.flags.join(", ") + (option.metavar ? ` ${option.metavar}` : "");
  const extras: string[] = [];
  if (option.envvars?.length) extras.push(`env var: ${option.envvars.join(", ")}`);
  if (option.defaultHelp !== undefined) extras.push(`default: ${option.defaultHelp}`);
  return [term, extras.length ? `${option.help}  [${extras.join("; ")}]` : option.help];
}

/** The usage line of a command: `Usage: pgai vectorizer worker [OPTIONS]`. */
export function usageLine(command: CommandInfo): string {
  return `Usage: ${command.path} ${command.usage}`;
}

/** The full help page text, ending with a newline. */
export function formatHelp(page: HelpPage): string {
  const rows = page.options.map(optionRow);
  if (page.withVersion) rows.push(["--version", "Show the version and exit."]);
  rows.push(["--help", "Show this message and exit."]);
  const sections = [usageLine(page.command)];
  if (page.description.length) sections.push(paragraphs(page.description));
  sections.push(`Options:\n${table(rows)}`);
  if (page.commands?.length) sections.push(`Commands:\n${table(page.commands)}`);
  if (page.epilog?.length) sections.push(paragraphs(page.epilog));
  return sections.join("\n\n") + "\n";
}

/** A usage error as click prints it on standard error, ending with a newline. */
export function formatUsageError(error: UsageError): string {
  return `${usageLine(error.command)}\nTry '${error.command.path} --help' for help.\n\n` +
    `Error: ${error.message}\n`;
}
