/**
 * Small readers for the deployment files the static deploy tests inspect:
 * Dockerfile instructions, systemd unit files, duration strings and image
 * references. They exist so that each test asserts on parsed values instead of
 * grepping text (a commented-out directive must not count as present).
 */

/** Absolute path of a file in the repository, from a path relative to its root. */
export function repoPath(relative: string): string {
  return new URL(`../../${relative}`, import.meta.url).pathname;
}

/** Reads a repository file as text. */
export function readRepoFile(relative: string): string {
  return Deno.readTextFileSync(repoPath(relative));
}

/** One Dockerfile instruction, continuation lines joined. */
export interface DockerInstruction {
  /** Upper-cased keyword, e.g. `FROM`. */
  keyword: string;
  /** Everything after the keyword, trimmed. */
  args: string;
  /** Index of the build stage (0-based) this instruction belongs to; -1 before the first FROM. */
  stage: number;
}

/** Splits a Dockerfile into instructions (comments dropped, `\` continuations joined). */
export function parseDockerfile(text: string): DockerInstruction[] {
  const instructions: DockerInstruction[] = [];
  let pending = "";
  let stage = -1;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("#") || (line === "" && pending === "")) continue;
    if (line.endsWith("\\")) {
      pending += line.slice(0, -1).trimEnd() + " ";
      continue;
    }
    const full = (pending + line).trim();
    pending = "";
    if (full === "") continue;
    const match = /^(\S+)\s*(.*)$/s.exec(full);
    if (!match) continue;
    const keyword = match[1]!.toUpperCase();
    if (keyword === "FROM") stage++;
    instructions.push({ keyword, args: match[2]!.trim(), stage });
  }
  return instructions;
}

/**
 * Parses the exec (JSON array) form of ENTRYPOINT/CMD arguments; returns
 * undefined for the shell form.
 */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith("[")) return undefined;
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === "string")) {
    return undefined;
  }
  return parsed;
}

/** A systemd unit file: section name -> key -> values in order (keys may repeat). */
export type UnitFile = Map<string, Map<string, string[]>>;

/** Parses a systemd unit file; comments (`#`, `;`) are ignored. */
export function parseUnitFile(text: string): UnitFile {
  const unit: UnitFile = new Map();
  let section: Map<string, string[]> | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = new Map();
      unit.set(header[1]!, section);
      continue;
    }
    const eq = line.indexOf("=");
    if (!section || eq < 0) {
      throw new Error(`unit file line outside a section or without '=': ${line}`);
    }
    const key = line.slice(0, eq).trim();
    const values = section.get(key) ?? [];
    values.push(line.slice(eq + 1).trim());
    section.set(key, values);
  }
  return unit;
}

const UNIT_SECONDS: Record<string, number> = {
  ms: 0.001,
  s: 1,
  sec: 1,
  m: 60,
  min: 60,
  h: 3600,
  hr: 3600,
};

/**
 * Converts a duration such as `30s`, `1m30s`, `2min` or a bare number of
 * seconds (`30`) into seconds. Throws on anything else.
 */
export function durationSeconds(value: string | number): number {
  if (typeof value === "number") return value;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  let total = 0;
  let rest = text;
  while (rest !== "") {
    const part = /^(\d+(?:\.\d+)?)\s*(ms|sec|min|hr|s|m|h)\s*/.exec(rest);
    if (!part) throw new Error(`not a duration: '${value}'`);
    total += Number(part[1]) * UNIT_SECONDS[part[2]!]!;
    rest = rest.slice(part[0].length);
  }
  return total;
}

/**
 * Tag of an image reference (`repo/name:tag`), or undefined when the reference
 * has no tag. A digest-pinned reference (`@sha256:...`) returns its digest.
 */
export function imageTag(reference: string): string | undefined {
  const at = reference.indexOf("@");
  if (at >= 0) return reference.slice(at + 1);
  const lastSegment = reference.slice(reference.lastIndexOf("/") + 1);
  const colon = lastSegment.indexOf(":");
  return colon >= 0 ? lastSegment.slice(colon + 1) : undefined;
}

/** True when an image reference is pinned: it has a tag other than `latest`, or a digest. */
export function isPinnedImage(reference: string): boolean {
  const tag = imageTag(reference);
  return tag !== undefined && tag !== "" && tag !== "latest";
}

/** Converts a Kubernetes memory quantity (`256Mi`, `1Gi`, `500M`, bytes) to bytes. */
export function memoryBytes(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|k|M|G)?$/.exec(quantity);
  if (!match) throw new Error(`not a memory quantity: '${quantity}'`);
  const factor: Record<string, number> = {
    "": 1,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
  };
  return Number(match[1]) * factor[match[2] ?? ""]!;
}

/** The worker's graceful-shutdown deadline in seconds (issue "Ship it"; worker shutdown). */
export const WORKER_SHUTDOWN_DEADLINE_SECONDS = 10;

/** The worker's health endpoint port in every shipped configuration. */
export const HEALTH_PORT = 8080;
