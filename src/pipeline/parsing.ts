/**
 * Parsing: turns a loaded payload into the text to chunk (contract §4.3).
 *
 * Text passes through (unless the config demands a document). Documents of type `txt` and `md`
 * are decoded as strict UTF-8, as pgai does without a parser. Other document types (PDF, Office,
 * images, ...) need pgai's Python parsers (pymupdf, docling), which this worker does not have yet:
 * they fail with a clear "not supported yet" for that row only.
 */
import type { ParsingConfig } from "../worker/config.ts";
import type { Payload } from "./loading.ts";

/** Parsing one payload failed; `message` is the reason recorded in the errors table. */
export class ParsingError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ParsingError";
  }
}

/** Returns the text of `payload` as `config` says. */
export function parsePayload(config: ParsingConfig, payload: Payload): string {
  const impl = config.implementation;
  if (payload.kind === "text") {
    if (impl === "none" || impl === "auto") return payload.text;
    throw new ParsingError(
      `Column content must be a document to be parsed by ${impl}, use parsing_auto or parsing_none instead`,
    );
  }
  if (impl === "none") {
    throw new ParsingError(
      "Cannot chunk Document with parsing_none, use parsing_auto or parsing_pymupdf",
    );
  }
  const type = payload.fileType;
  if (type === null) throw new ParsingError("No file extension could be determined");
  if (type === "txt" || type === "md") return decodeUtf8Strict(payload.content);
  const parser = impl === "auto" ? (type === "epub" ? "pymupdf" : "docling") : impl;
  throw new ParsingError(
    `parsing ${type} documents (parser ${parser}) is not supported yet by this worker`,
  );
}

const FATAL_DECODER = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Decodes UTF-8 strictly; on invalid input the error names the byte and position like Python's
 * `'utf-8' codec can't decode byte 0xff in position 3: invalid start byte`.
 */
export function decodeUtf8Strict(bytes: Uint8Array): string {
  try {
    return FATAL_DECODER.decode(bytes);
  } catch (e) {
    throw new ParsingError(describeUtf8Error(bytes), { cause: e });
  }
}

function describeUtf8Error(b: Uint8Array): string {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    let need: number;
    let min = 0x80;
    let max = 0xbf;
    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) min = 0xa0;
      if (c === 0xed) max = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) min = 0x90;
      if (c === 0xf4) max = 0x8f;
    } else {
      return `'utf-8' codec can't decode byte 0x${hex(c)} in position ${i}: invalid start byte`;
    }
    for (let k = 1; k <= need; k++) {
      const x = b[i + k];
      const lo = k === 1 ? min : 0x80;
      const hi = k === 1 ? max : 0xbf;
      if (x === undefined) {
        const where = b.length - 1 === i
          ? `byte 0x${hex(c)} in position ${i}`
          : `bytes in position ${i}-${b.length - 1}`;
        return `'utf-8' codec can't decode ${where}: unexpected end of data`;
      }
      if (x < lo || x > hi) {
        return k === 1
          ? `'utf-8' codec can't decode byte 0x${
            hex(c)
          } in position ${i}: invalid continuation byte`
          : `'utf-8' codec can't decode bytes in position ${i}-${
            i + k - 1
          }: invalid continuation byte`;
      }
    }
    i += need + 1;
  }
  return "'utf-8' codec can't decode the document";
}

function hex(n: number): string {
  return n.toString(16).padStart(2, "0");
}
