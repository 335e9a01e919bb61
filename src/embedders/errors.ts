/**
 * Error classes raised by embedders.
 *
 * pgai records `str(exception)` of provider errors as `error_reason` in the vectorizer's errors
 * table (contract §3.8), so `EmbeddingProviderError.message` carries the text pgai would have
 * recorded (for example OpenAI's `Error code: 401 - {'error': {...}}`), while the structured fields
 * tell the worker what to do next: retry later, or isolate a poison input by re-embedding subsets.
 * `BatchLimitError` mirrors pgai's batching error, which is outside Python's `Exception` hierarchy
 * and therefore never produces an error row.
 */

/** Facts about a provider failure, besides its pgai-compatible message. */
export interface EmbeddingProviderErrorOptions {
  /** HTTP status of the final failed response, when there was one. */
  status?: number | undefined;
  /** True when trying the same request later may succeed (rate limit, 5xx, network, timeout). */
  retryable?: boolean;
  /** True when the provider blamed the request's input (HTTP 400/413/422 about the texts). */
  inputRejected?: boolean;
  /** The underlying error. */
  cause?: unknown;
}

/** A failure of the embedding provider; `message` is pgai's `error_reason` text. */
export class EmbeddingProviderError extends Error {
  /** The embedding implementation (`openai`, `ollama`, `voyageai`, `litellm`). */
  readonly provider: string;
  /** HTTP status of the failed response, if any. */
  readonly status: number | undefined;
  /** Whether the same request may succeed later. */
  readonly retryable: boolean;
  /** Whether the provider rejected the input texts (so a subset may succeed). */
  readonly inputRejected: boolean;

  constructor(provider: string, message: string, options: EmbeddingProviderErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "EmbeddingProviderError";
    this.provider = provider;
    this.status = options.status;
    this.retryable = options.retryable ?? false;
    this.inputRejected = options.inputRejected ?? false;
  }
}

/**
 * A single chunk exceeds the provider's per-request token budget (§4.6.1). pgai raises this
 * outside its error-row handling: the batch is rolled back without an error row.
 */
export class BatchLimitError extends Error {
  /** Token count of the offending chunk. */
  readonly tokens: number;
  /** The per-request token budget. */
  readonly maxTokens: number;

  /**
   * @param floatCounts whether token counts are estimates held as Python floats (printed as
   *   `12.0` rather than `12`), as pgai's OpenAI embedder does
   */
  constructor(tokens: number, maxTokens: number, floatCounts = false) {
    const count = floatCounts ? formatPythonFloat(tokens) : formatPythonNumber(tokens);
    super(`chunk length ${count} greater than max_tokens_per_batch ${maxTokens}`);
    this.name = "BatchLimitError";
    this.tokens = tokens;
    this.maxTokens = maxTokens;
  }
}

/** HTTP statuses on which providers' own clients retry. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** HTTP statuses with which providers reject a request's content. */
export function isInputRejectionStatus(status: number): boolean {
  return status === 400 || status === 413 || status === 422;
}

/**
 * Whether an error body about a 400/413/422 blames the input texts rather than the configuration
 * (model, dimensions, ...). Used to decide `inputRejected`: a configuration error would fail for
 * every subset, so isolating a "poison" row would only multiply requests.
 */
export function blamesInput(status: number, body: unknown): boolean {
  if (!isInputRejectionStatus(status)) return false;
  if (status === 413) return true;
  const text = typeof body === "string" ? body : JSON.stringify(body ?? "");
  if (/\binput|token|context length|too long|too large|empty|string/i.test(text)) return true;
  return !/\b(model|dimension|encoding_format|api[_ ]?key|deployment|api[_-]version)/i.test(text);
}

/**
 * Python's `repr()` of a value decoded from JSON (`json.loads` result): dicts, lists, str, int,
 * float, bool, None. Used to reproduce error texts such as `Error code: 400 - {'error': ...}`.
 */
export function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") return formatPythonNumber(value);
  if (typeof value === "string") return pythonStringRepr(value);
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(", ")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    return `{${entries.map(([k, v]) => `${pythonStringRepr(k)}: ${pythonRepr(v)}`).join(", ")}}`;
  }
  return pythonStringRepr(String(value));
}

/** Python's `repr()` of a number (integers without a fraction, floats in shortest form). */
export function formatPythonNumber(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return String(value);
  const text = String(value);
  // Python writes exponents with at least two digits and a sign: 1e-07, 1e+16.
  const match = /^(-?[\d.]+)e([+-])(\d+)$/.exec(text);
  if (match) return `${match[1]}e${match[2]}${match[3]!.padStart(2, "0")}`;
  return text;
}

/** Python's `repr()` of a float: like a number, but integral values keep a `.0`. */
export function formatPythonFloat(value: number): string {
  const text = formatPythonNumber(value);
  return /^-?\d+$/.test(text) ? `${text}.0` : text;
}

// Characters Python's str.isprintable() rejects: categories Cc, Cf, Cs, Co, Cn, Zl, Zp, Zs
// (except the ASCII space).
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}]|(?! )\p{Zs}/u;

/** Python's `repr()` of a str. */
export function pythonStringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    if (ch === quote || ch === "\\") out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (NON_PRINTABLE.test(ch)) {
      const code = ch.codePointAt(0)!;
      if (code < 0x100) out += "\\x" + code.toString(16).padStart(2, "0");
      else if (code < 0x10000) out += "\\u" + code.toString(16).padStart(4, "0");
      else out += "\\U" + code.toString(16).padStart(8, "0");
    } else out += ch;
  }
  return out + quote;
}
