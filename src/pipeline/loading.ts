/**
 * Loading: turns a source row into the payload to embed (contract §4.2).
 *
 * `column` loading takes the value of one column: text as is, `bytea` as a document whose type is
 * guessed from its bytes. `uri` loading reads the document the column points at: `http(s)://`
 * (with a time limit, unlike pgai), `file://` and plain local paths, with gzip files decompressed
 * as smart_open does. Failures raise {@link LoadingError} whose message is the reason pgai would
 * record; the worker retries such rows later (§3.7).
 */
import type { LoadingConfig } from "../worker/config.ts";
import type { SourceRow } from "./row.ts";
import { decodeByteaHex } from "../db/wire.ts";

/** What loading produced: text to chunk, or a document for the parsing stage. */
export type Payload =
  | { kind: "text"; text: string }
  | { kind: "document"; content: Uint8Array; filePath: string | null; fileType: string | null };

/** Loading one row failed; `message` is pgai's `error_reason`. */
export class LoadingError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "LoadingError";
  }
}

/** Options for {@link loadRow}. */
export interface LoadOptions {
  /** Aborts downloads. */
  signal?: AbortSignal;
  /** Time limit of one download in milliseconds (default 120,000). */
  timeoutMs?: number;
}

const BYTEA_OID = 17;

/** Whether a payload is empty (pgai skips such rows: nothing to embed). */
export function isEmptyPayload(p: Payload): boolean {
  return p.kind === "text" ? p.text === "" : false;
}

/** Loads the payload of `row` as `config` says. */
export async function loadRow(
  config: LoadingConfig,
  row: SourceRow,
  options: LoadOptions = {},
): Promise<Payload> {
  const index = row.columns.findIndex((c) => c.name === config.column_name);
  // pgai indexes the row dict by the column name: a missing column is a KeyError.
  if (index < 0) throw new LoadingError(`'${config.column_name}'`);
  const value = row.values[index] ?? null;
  const typeOid = row.columns[index]!.typeOid;
  if (config.implementation === "column") {
    if (value === null || value === "") return { kind: "text", text: "" };
    if (typeOid === BYTEA_OID) {
      const content = decodeByteaHex(value);
      if (content.length === 0) return { kind: "text", text: "" };
      return { kind: "document", content, filePath: null, fileType: guessFileType(content, null) };
    }
    return { kind: "text", text: value };
  }
  if (value === null) throw new LoadingError("'NoneType' object has no attribute 'startswith'");
  const content = await readUri(value, options);
  return { kind: "document", content, filePath: value, fileType: guessFileType(content, value) };
}

async function readUri(uri: string, options: LoadOptions): Promise<Uint8Array> {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(uri)?.[1]?.toLowerCase();
  let content: Uint8Array;
  if (scheme === "http" || scheme === "https") {
    content = await download(uri, options);
  } else if (scheme === undefined || scheme === "file") {
    const path = scheme === "file" ? decodeURIComponent(new URL(uri).pathname) : uri;
    try {
      content = await Deno.readFile(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new LoadingError(`[Errno 2] No such file or directory: '${path}'`, { cause: e });
      }
      if (e instanceof Deno.errors.PermissionDenied) {
        throw new LoadingError(`[Errno 13] Permission denied: '${path}'`, { cause: e });
      }
      throw new LoadingError(String((e as Error).message ?? e), { cause: e });
    }
  } else {
    throw new LoadingError(`loading ${scheme}:// documents is not supported yet`);
  }
  // smart_open decompresses transparently by file extension.
  if (pathOf(uri).toLowerCase().endsWith(".gz")) content = await gunzip(content);
  return content;
}

async function download(uri: string, options: LoadOptions): Promise<Uint8Array> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 120_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let response: Response;
  try {
    response = await fetch(uri, { signal });
  } catch (e) {
    if (options.signal?.aborted) throw e;
    const reason = timeout.aborted ? "timed out" : (e as Error).message;
    throw new LoadingError(`request to ${uri} failed: ${reason}`, { cause: e });
  }
  if (!response.ok) {
    await response.body?.cancel();
    const kind = response.status < 500 ? "Client Error" : "Server Error";
    throw new LoadingError(
      `${response.status} ${kind}: ${response.statusText} for url: ${uri}`,
    );
  }
  try {
    return new Uint8Array(await response.arrayBuffer());
  } catch (e) {
    if (options.signal?.aborted) throw e;
    throw new LoadingError(`reading ${uri} failed: ${(e as Error).message}`, { cause: e });
  }
}

async function gunzip(content: Uint8Array): Promise<Uint8Array> {
  try {
    const stream = new Blob([content as Uint8Array<ArrayBuffer>]).stream()
      .pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new LoadingError(`Not a gzipped file: ${(e as Error).message}`, { cause: e });
  }
}

function pathOf(uri: string): string {
  try {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) return new URL(uri).pathname;
  } catch {
    // not a parsable URL: treat it as a path
  }
  return uri.split(/[?#]/)[0] ?? uri;
}

const MAGIC: readonly [string, number[], number?][] = [
  ["pdf", [0x25, 0x50, 0x44, 0x46]],
  ["png", [0x89, 0x50, 0x4e, 0x47]],
  ["jpg", [0xff, 0xd8, 0xff]],
  ["gif", [0x47, 0x49, 0x46, 0x38]],
  ["bmp", [0x42, 0x4d]],
  ["tif", [0x49, 0x49, 0x2a, 0x00]],
  ["tif", [0x4d, 0x4d, 0x00, 0x2a]],
  ["gz", [0x1f, 0x8b]],
  ["bz2", [0x42, 0x5a, 0x68]],
  ["xz", [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ["zst", [0x28, 0xb5, 0x2f, 0xfd]],
  ["7z", [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]],
  ["rar", [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07]],
  ["rtf", [0x7b, 0x5c, 0x72, 0x74, 0x66]],
  ["doc", [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]],
];

/**
 * Guesses a document's type like pgai (python `filetype` first, then the path's extension):
 * well-known binary formats by magic number, plain text and markdown only by extension.
 */
export function guessFileType(content: Uint8Array, path: string | null): string | null {
  const magic = magicType(content);
  if (magic !== null) return magic;
  if (path === null) return null;
  const name = pathOf(path).split("/").pop() ?? "";
  const dot = name.lastIndexOf(".");
  return dot < 0 ? null : name.slice(dot + 1).toLowerCase();
}

function magicType(b: Uint8Array): string | null {
  const starts = (sig: number[], at = 0) => sig.every((x, i) => b[at + i] === x);
  if (starts([0x50, 0x4b, 0x03, 0x04])) return zipType(b);
  if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return "webp";
  for (const [type, sig, at] of MAGIC) if (starts(sig, at)) return type;
  return null;
}

function zipType(b: Uint8Array): string {
  const head = new TextDecoder("latin1").decode(b.subarray(0, Math.min(b.length, 8192)));
  if (head.slice(30, 58) === "mimetypeapplication/epub+zip") return "epub";
  if (head.includes("word/")) return "docx";
  if (head.includes("xl/")) return "xlsx";
  if (head.includes("ppt/")) return "pptx";
  return "zip";
}
