/**
 * Local stand-ins for the embedding providers' HTTP APIs, for tests that drive the real clients.
 *
 * Each server listens on 127.0.0.1 (random port), speaks one provider's wire format (OpenAI,
 * Azure OpenAI, Mistral, Ollama, Voyage AI, Cohere), answers with DETERMINISTIC vectors
 * (`expectedVector(text, dims)`, so tests can check stored embeddings exactly), records every
 * request, and can be scripted: latency, error statuses and bodies, `Retry-After`, and inputs that
 * are rejected with 400 ("poison" text). Use with `await using server = await startOpenAIServer()`
 * or call `await server.close()`.
 */

/** One request as received. */
export interface RecordedRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  /** Query string including `?`, or "". */
  readonly search: string;
  readonly headers: Headers;
  /** Parsed JSON body (undefined when there was none or it was not JSON). */
  readonly body: unknown;
  readonly rawBody: string;
}

/**
 * A scripted answer for one upcoming request. Without `status`, the request is answered normally
 * after `delayMs`.
 */
export interface ScriptedResponse {
  readonly status?: number;
  /** JSON value, or a string sent as text/plain. */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly delayMs?: number;
}

/** Options shared by all provider servers. */
export interface ProviderServerOptions {
  /** When set, requests must carry this key (401 with the provider's error body otherwise). */
  readonly apiKey?: string;
  /** Vector size when the request does not ask for one. Default 16. */
  readonly dimensions?: number;
  /** Delay before every embedding answer, in milliseconds. */
  readonly latencyMs?: number;
  /** Embedding requests with an input containing this text are rejected with 400. */
  readonly poison?: string;
}

/**
 * The vector every server returns for `text` at `dims` dimensions: derived from a hash of the
 * text, components are multiples of 1/1024 in [-0.98, 0.98], exact in float32 and in JSON.
 */
export function expectedVector(text: string, dims: number): Float32Array {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  let state = (hash ^ Math.imul(dims, 0x9e3779b1)) >>> 0 || 1;
  const vector = new Float32Array(dims);
  for (let i = 0; i < dims; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    vector[i] = ((state % 2001) - 1000) / 1024;
  }
  return vector;
}

/** Base64 of little-endian float32 values, as providers send with `encoding_format: "base64"`. */
export function base64Vector(values: Float32Array): string {
  const view = new DataView(new ArrayBuffer(values.length * 4));
  values.forEach((value, i) => view.setFloat32(i * 4, value, true));
  let binary = "";
  for (const byte of new Uint8Array(view.buffer)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

type Handler = (
  request: RecordedRequest,
  server: ProviderServer,
) => Response | Promise<Response>;

/** A running provider server. */
export class ProviderServer implements AsyncDisposable {
  /** Base address, e.g. `http://127.0.0.1:43121`. */
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[] = [];
  /** Delay before every embedding answer. */
  latencyMs: number;
  /** Inputs containing this text are rejected with 400. */
  poison: string | undefined;
  /** Path that `script()` answers target. */
  readonly embedPath: RegExp;
  /** Embedding requests being answered now, and the most there were at once. */
  inFlight = 0;
  maxInFlight = 0;
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #scripts: { path: RegExp; response: ScriptedResponse }[] = [];
  readonly #closing = new AbortController();

  constructor(embedPath: RegExp, handler: Handler, options: ProviderServerOptions) {
    this.embedPath = embedPath;
    this.latencyMs = options.latencyMs ?? 0;
    this.poison = options.poison;
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (request) => this.#handle(request, handler),
    );
    this.url = `http://127.0.0.1:${this.#server.addr.port}`;
  }

  /** Answer the next embedding requests with these responses, in order. */
  script(...responses: ScriptedResponse[]): void {
    for (const response of responses) this.#scripts.push({ path: this.embedPath, response });
  }

  /** Answer the next requests to paths matching `path` with these responses, in order. */
  scriptPath(path: RegExp, ...responses: ScriptedResponse[]): void {
    for (const response of responses) this.#scripts.push({ path, response });
  }

  /** The recorded embedding requests. */
  get embedRequests(): RecordedRequest[] {
    return this.requests.filter((request) => this.embedPath.test(request.path));
  }

  /** Stop listening and cut pending delays short. */
  async close(): Promise<void> {
    if (this.#closing.signal.aborted) return;
    this.#closing.abort();
    await this.#server.shutdown();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #handle(request: Request, handler: Handler): Promise<Response> {
    const url = new URL(request.url);
    const rawBody = await request.text();
    let body: unknown;
    try {
      body = rawBody === "" ? undefined : JSON.parse(rawBody);
    } catch {
      body = undefined;
    }
    const recorded: RecordedRequest = {
      method: request.method,
      path: url.pathname,
      search: url.search,
      headers: request.headers,
      body,
      rawBody,
    };
    this.requests.push(recorded);
    const index = this.#scripts.findIndex((script) => script.path.test(url.pathname));
    const scripted = index >= 0 ? this.#scripts.splice(index, 1)[0]!.response : undefined;
    const isEmbed = this.embedPath.test(url.pathname);
    if (isEmbed) this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    try {
      await this.#delay(scripted?.delayMs ?? (isEmbed ? this.latencyMs : 0));
      if (scripted?.status !== undefined) {
        return respond(scripted.status, scripted.body, scripted.headers);
      }
      return await handler(recorded, this);
    } finally {
      if (isEmbed) this.inFlight--;
    }
  }

  #delay(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#closing.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
  }
}

function respond(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  if (typeof body === "string") {
    return new Response(body, { status, headers: { "content-type": "text/plain", ...headers } });
  }
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

function inputsOf(value: unknown): string[] | undefined {
  if (typeof value === "string") return [value];
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value;
  return undefined;
}

function bearer(request: RecordedRequest): string | undefined {
  const header = request.headers.get("authorization");
  return header?.startsWith("Bearer ") ? header.slice("Bearer ".length) : undefined;
}

function promptTokens(inputs: string[]): number {
  return inputs.reduce((sum, text) => sum + Math.ceil(text.length / 4), 0);
}

/** Extra knobs of OpenAI-compatible servers. */
export interface OpenAIServerOptions extends ProviderServerOptions {
  /** Answer with float arrays even when base64 was requested (like some compatible servers). */
  readonly ignoreEncodingFormat?: boolean;
  /** List `data` in reverse order (the `index` field still tells the truth). */
  readonly reverseOrder?: boolean;
}

type OpenAIFlavor = "openai" | "azure" | "mistral";

function openAIHandler(flavor: OpenAIFlavor, options: OpenAIServerOptions): Handler {
  return (request, server) => {
    if (!server.embedPath.test(request.path) || request.method !== "POST") {
      return respond(404, { error: { message: `no route ${request.path}`, type: "not_found" } });
    }
    const key = flavor === "azure" ? request.headers.get("api-key") ?? undefined : bearer(request);
    if (options.apiKey !== undefined && key !== options.apiKey) {
      if (flavor === "azure") {
        return respond(401, {
          error: {
            code: "401",
            message: "Access denied due to invalid subscription key or wrong API endpoint. " +
              "Make sure to provide a valid key for an active subscription and use a correct " +
              "regional API endpoint for your resource.",
          },
        });
      }
      if (flavor === "mistral") return respond(401, { message: "Unauthorized", request_id: "r1" });
      return respond(401, {
        error: {
          message: "Incorrect API key provided: bad. You can find your API key at " +
            "https://platform.openai.com/account/api-keys.",
          type: "invalid_request_error",
          param: null,
          code: "invalid_api_key",
        },
      });
    }
    const body = (request.body ?? {}) as Record<string, unknown>;
    const inputs = inputsOf(body.input);
    const model = typeof body.model === "string" ? body.model : "";
    if (inputs === undefined || model === "") {
      return respond(400, {
        error: {
          message: "'input' and 'model' are required",
          type: "invalid_request_error",
          param: null,
          code: null,
        },
      });
    }
    if (model === "text-embedding-ada-002" && body.dimensions !== undefined) {
      return respond(400, {
        error: {
          message: "This model does not support specifying dimensions.",
          type: "invalid_request_error",
          param: null,
          code: null,
        },
      });
    }
    const poison = server.poison;
    if (poison !== undefined && inputs.some((text) => text.includes(poison))) {
      return respond(400, {
        error: {
          message: `Invalid 'input': contains rejected text`,
          type: "invalid_request_error",
          param: "input",
          code: null,
        },
      });
    }
    const dims = typeof body.dimensions === "number" ? body.dimensions : options.dimensions ?? 16;
    const base64 = body.encoding_format === "base64" && !options.ignoreEncodingFormat;
    const data = inputs.map((text, index) => {
      const vector = expectedVector(text, dims);
      return {
        object: "embedding",
        index,
        embedding: base64 ? base64Vector(vector) : Array.from(vector),
      };
    });
    if (options.reverseOrder) data.reverse();
    const tokens = promptTokens(inputs);
    return respond(200, {
      object: "list",
      data,
      model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  };
}

/** An OpenAI API stand-in: `POST /v1/embeddings`. */
export function startOpenAIServer(options: OpenAIServerOptions = {}): ProviderServer {
  return new ProviderServer(/^\/v1\/embeddings$/, openAIHandler("openai", options), options);
}

/** A Mistral API stand-in: `POST /v1/embeddings` (OpenAI-compatible). */
export function startMistralServer(options: OpenAIServerOptions = {}): ProviderServer {
  return new ProviderServer(/^\/v1\/embeddings$/, openAIHandler("mistral", options), options);
}

/**
 * An Azure OpenAI stand-in: `POST /openai/deployments/{deployment}/embeddings?api-version=...`
 * with the key in the `api-key` header.
 */
export function startAzureOpenAIServer(options: OpenAIServerOptions = {}): ProviderServer {
  return new ProviderServer(
    /^\/openai\/deployments\/[^/]+\/embeddings$/,
    openAIHandler("azure", options),
    options,
  );
}

/** A Voyage AI stand-in: `POST /v1/embeddings`. */
export function startVoyageServer(options: ProviderServerOptions = {}): ProviderServer {
  return new ProviderServer(/^\/v1\/embeddings$/, (request, server) => {
    if (!server.embedPath.test(request.path)) return respond(404, { detail: "Not Found" });
    if (options.apiKey !== undefined && bearer(request) !== options.apiKey) {
      return respond(401, { detail: "Provided API key is invalid." });
    }
    const body = (request.body ?? {}) as Record<string, unknown>;
    const inputs = inputsOf(body.input);
    if (inputs === undefined || typeof body.model !== "string") {
      return respond(400, { detail: "Request body is missing 'input' or 'model'." });
    }
    const poison = server.poison;
    if (poison !== undefined && inputs.some((text) => text.includes(poison))) {
      return respond(400, { detail: "Input contains rejected text." });
    }
    const dims = typeof body.output_dimension === "number"
      ? body.output_dimension
      : options.dimensions ?? 16;
    const base64 = body.encoding_format === "base64";
    return respond(200, {
      object: "list",
      data: inputs.map((text, index) => {
        const vector = expectedVector(text, dims);
        return {
          object: "embedding",
          embedding: base64 ? base64Vector(vector) : Array.from(vector),
          index,
        };
      }),
      model: body.model,
      usage: { total_tokens: promptTokens(inputs) },
    });
  }, options);
}

/** A Cohere stand-in: `POST /v1/embed`. */
export function startCohereServer(options: ProviderServerOptions = {}): ProviderServer {
  return new ProviderServer(/^\/v1\/embed$/, (request, server) => {
    if (!server.embedPath.test(request.path)) return respond(404, { message: "not found" });
    if (options.apiKey !== undefined && bearer(request) !== options.apiKey) {
      return respond(401, { message: "invalid api token" });
    }
    const body = (request.body ?? {}) as Record<string, unknown>;
    const texts = inputsOf(body.texts);
    if (texts === undefined || typeof body.model !== "string") {
      return respond(400, { message: "invalid request: texts and model are required" });
    }
    const poison = server.poison;
    if (poison !== undefined && texts.some((text) => text.includes(poison))) {
      return respond(400, { message: "invalid request: text contains rejected content" });
    }
    const dims = options.dimensions ?? 16;
    const embeddings = texts.map((text) => Array.from(expectedVector(text, dims)));
    const byType = Array.isArray(body.embedding_types);
    return respond(200, {
      id: "embed-1",
      texts,
      embeddings: byType ? { float: embeddings } : embeddings,
      meta: { api_version: { version: "1" }, billed_units: { input_tokens: promptTokens(texts) } },
      response_type: byType ? "embeddings_by_type" : "embeddings_floats",
    });
  }, options);
}

/** Extra knobs of the Ollama stand-in. */
export interface OllamaServerOptions extends ProviderServerOptions {
  /** Models present at start (`name` or `name:tag`). Default none. */
  readonly models?: readonly string[];
  /** Models that `/api/pull` can fetch. Default: any. */
  readonly pullable?: (model: string) => boolean;
}

/** The Ollama stand-in, with its model list. */
export class OllamaServer extends ProviderServer {
  /** Present models, tagged (`name:latest`). */
  readonly models: Set<string>;

  constructor(options: OllamaServerOptions) {
    const models = new Set((options.models ?? []).map(withTag));
    super(
      /^\/api\/embed$/,
      (request, server) => ollamaRoute(request, models, options, server),
      options,
    );
    this.models = models;
  }
}

function withTag(model: string): string {
  return model.includes(":") ? model : `${model}:latest`;
}

function ollamaRoute(
  request: RecordedRequest,
  models: Set<string>,
  options: OllamaServerOptions,
  server: ProviderServer,
): Response {
  const body = (request.body ?? {}) as Record<string, unknown>;
  const requested = typeof body.model === "string"
    ? body.model
    : typeof body.name === "string"
    ? body.name
    : "";
  switch (request.path) {
    case "/api/tags":
      return respond(200, {
        models: [...models].map((name) => ({
          name,
          model: name,
          modified_at: "2025-01-01T00:00:00Z",
          size: 1,
          digest: "0",
          details: { format: "gguf", family: "bert" },
        })),
      });
    case "/api/show":
      if (!models.has(withTag(requested))) {
        return respond(404, { error: `model '${requested}' not found` });
      }
      return respond(200, {
        modelfile: "",
        parameters: "",
        template: "",
        details: { format: "gguf", family: "bert" },
        model_info: {},
      });
    case "/api/pull":
      if (options.pullable && !options.pullable(requested)) {
        return respond(500, { error: "pull model manifest: file does not exist" });
      }
      models.add(withTag(requested));
      return respond(200, { status: "success" });
    case "/api/embed": {
      if (!models.has(withTag(requested))) {
        return respond(404, { error: `model "${requested}" not found, try pulling it first` });
      }
      const inputs = inputsOf(body.input);
      if (inputs === undefined) return respond(400, { error: "invalid input type" });
      const poison = server.poison;
      if (poison !== undefined && inputs.some((text) => text.includes(poison))) {
        return respond(400, { error: "input contains rejected text" });
      }
      const dims = options.dimensions ?? 16;
      return respond(200, {
        model: requested,
        embeddings: inputs.map((text) => Array.from(expectedVector(text, dims))),
        total_duration: 1000,
        load_duration: 10,
        prompt_eval_count: promptTokens(inputs),
      });
    }
    default:
      return respond(404, { error: "404 page not found" });
  }
}

/** An Ollama stand-in: `/api/embed`, `/api/show`, `/api/pull`, `/api/tags`. */
export function startOllamaServer(options: OllamaServerOptions = {}): OllamaServer {
  return new OllamaServer(options);
}
