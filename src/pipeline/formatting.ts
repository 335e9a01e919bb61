/**
 * Formatting: each chunk becomes the text that is embedded.
 *
 * pgai's `python_template` formatting is `string.Template(template).substitute(chunk=chunk,
 * **row)`. This reproduces Python's rules exactly: `$$`, `$name` (longest ASCII identifier),
 * `${name}`, case-sensitive lookup, and the errors with pgai's messages (`'name'` for a missing
 * key, `Invalid placeholder in string: line L, col C`, the `chunk` column TypeError). Values are
 * rendered as Python `str()` of what psycopg returns (`pyrender.ts`). Templates are compiled
 * once and rendered per chunk; rendered row values are cached per row.
 */
import { renderValue } from "./pyrender.ts";
import { codePointOffset, isPyLineBreak } from "./pystr.ts";
import type { RenderContext, SourceColumn, SourceRow } from "./row.ts";

/** `formatting` of a vectorizer config. */
export type FormattingConfig =
  | { readonly implementation: "python_template"; readonly template: string }
  | { readonly implementation: "chunk_value" };

/** A template failure; `message` is exactly what pgai records as the error reason. */
export class TemplateError extends Error {
  /** The Python exception class pgai raises. */
  readonly pythonClass: "KeyError" | "ValueError" | "TypeError";
  constructor(message: string, pythonClass: "KeyError" | "ValueError" | "TypeError") {
    super(message);
    this.name = "TemplateError";
    this.pythonClass = pythonClass;
  }
}

type Segment =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "name"; readonly name: string }
  | { readonly kind: "invalid"; readonly message: string };

/** A template parsed once, rendered for many chunks. */
export interface CompiledTemplate {
  readonly template: string;
  /** Python `Template(template).substitute(chunk=chunk, **row)`. Throws {@link TemplateError}. */
  render(chunk: string, row: SourceRow, context?: RenderContext): string;
}

const IDENTIFIER = /[_a-zA-Z][_a-zA-Z0-9]*/y;
const BRACED = /\{([_a-zA-Z][_a-zA-Z0-9]*)\}/y;

/** Python's `Template._invalid` position: 1-based line and column of the `$` at `dollar`. */
function invalidPlaceholder(template: string, dollar: number): string {
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < dollar; k++) {
    const c = template.charCodeAt(k);
    if (!isPyLineBreak(c)) continue;
    if (c === 0x0d && template.charCodeAt(k + 1) === 0x0a && k + 1 < dollar) k++;
    line++;
    lineStart = k + 1;
  }
  const col = codePointOffset(template, dollar + 1) - codePointOffset(template, lineStart);
  return `Invalid placeholder in string: line ${line}, col ${col}`;
}

function parseTemplate(template: string): Segment[] {
  const segments: Segment[] = [];
  let text = "";
  let i = 0;
  for (;;) {
    const dollar = template.indexOf("$", i);
    if (dollar < 0) {
      text += template.slice(i);
      break;
    }
    text += template.slice(i, dollar);
    if (template[dollar + 1] === "$") {
      text += "$";
      i = dollar + 2;
      continue;
    }
    IDENTIFIER.lastIndex = dollar + 1;
    const named = IDENTIFIER.exec(template);
    BRACED.lastIndex = dollar + 1;
    const braced = named === null ? BRACED.exec(template) : null;
    if (text) segments.push({ kind: "text", text });
    text = "";
    if (named !== null) {
      segments.push({ kind: "name", name: named[0] });
      i = IDENTIFIER.lastIndex;
    } else if (braced !== null) {
      segments.push({ kind: "name", name: braced[1]! });
      i = BRACED.lastIndex;
    } else {
      // substitution stops here with a ValueError; nothing after it matters
      segments.push({ kind: "invalid", message: invalidPlaceholder(template, dollar) });
      return segments;
    }
  }
  if (text) segments.push({ kind: "text", text });
  return segments;
}

const columnIndexes = new WeakMap<readonly SourceColumn[], Map<string, number>>();

function indexOf(columns: readonly SourceColumn[]): Map<string, number> {
  let map = columnIndexes.get(columns);
  if (map === undefined) {
    map = new Map();
    columns.forEach((c, i) => map!.set(c.name, i));
    columnIndexes.set(columns, map);
  }
  return map;
}

const renderedValues = new WeakMap<SourceRow, (string | undefined)[]>();

function columnValue(row: SourceRow, index: number, context?: RenderContext): string {
  let cache = renderedValues.get(row);
  if (cache === undefined) {
    cache = new Array(row.columns.length);
    renderedValues.set(row, cache);
  }
  let v = cache[index];
  if (v === undefined) {
    v = renderValue(row.values[index] ?? null, row.columns[index]!.typeOid, context);
    cache[index] = v;
  }
  return v;
}

/** Parses a `python_template` template once. */
export function compileTemplate(template: string): CompiledTemplate {
  const segments = parseTemplate(template);
  return {
    template,
    render(chunk: string, row: SourceRow, context?: RenderContext): string {
      const columns = indexOf(row.columns);
      if (columns.has("chunk")) {
        throw new TemplateError(
          "string.Template.substitute() got multiple values for keyword argument 'chunk'",
          "TypeError",
        );
      }
      const out: string[] = [];
      for (const seg of segments) {
        if (seg.kind === "text") out.push(seg.text);
        else if (seg.kind === "invalid") throw new TemplateError(seg.message, "ValueError");
        else if (seg.name === "chunk") out.push(chunk);
        else {
          const index = columns.get(seg.name);
          if (index === undefined) throw new TemplateError(`'${seg.name}'`, "KeyError");
          out.push(columnValue(row, index, context));
        }
      }
      return out.join("");
    },
  };
}

const compiled = new Map<string, CompiledTemplate>();

/**
 * The text pgai embeds for `chunk` of `row`. `context` supplies the type catalog (pgvector
 * types) and session time zone used to render column values.
 */
export function formatChunk(
  config: FormattingConfig,
  chunk: string,
  row: SourceRow,
  context?: RenderContext,
): string {
  if (config.implementation === "chunk_value") return chunk;
  let t = compiled.get(config.template);
  if (t === undefined) {
    t = compileTemplate(config.template);
    if (compiled.size > 256) compiled.clear();
    compiled.set(config.template, t);
  }
  return t.render(chunk, row, context);
}
