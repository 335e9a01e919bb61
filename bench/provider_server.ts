/**
 * A zero-cost OpenAI-compatible embeddings server for the benchmark, run as its own process.
 *
 * The benchmark measures the worker, not the provider: this server must answer tens of thousands
 * of embeddings per second without taking CPU the worker needs, and it must run in a separate
 * process so that the worker's RSS and CPU time are its own. The test servers of
 * `tests/support/providers.ts` record every request and compute a fresh vector per input, which
 * is right for tests and too slow here. This one keeps a pool of precomputed vectors (already
 * base64- and JSON-encoded) and answers each input with the pool entry picked by a hash of its
 * text, so the same text always gets the same vector (the worker's and the baseline's stores can
 * be compared) and a response is mostly string concatenation.
 *
 * It speaks `POST /v1/embeddings` (or `/embeddings`) like OpenAI: `input` a string or a list of
 * strings, optional `dimensions`, `encoding_format` `"float"` (default) or `"base64"`.
 * `GET /stats` answers `{requests, inputs}` counted since start.
 *
 * ```sh
 * deno run -A bench/provider_server.ts [--latency-ms 300] [--dimensions 768] [--pool 4096]
 * ```
 * Prints one JSON line `{"url":"http://127.0.0.1:PORT"}` when listening; exits when its standard
 * input closes (so it never outlives the benchmark) or on SIGTERM.
 */

/** Options of {@link serveEmbeddings}. */
export interface EmbeddingServerOptions {
  /** Delay before each embeddings answer, milliseconds. */
  latencyMs: number;
  /** Vector size when a request does not ask for one. */
  dimensions: number;
  /** Distinct vectors per size. */
  pool: number;
}

interface PoolEntry {
  base64: string;
  values: Float32Array;
  json?: string;
}

/** Vector `index` of the pool at `dims` dimensions: xorshift values, multiples of 1/1024. */
function poolVector(index: number, dims: number): Float32Array {
  let state = (Math.imul(index + 1, 0x9e3779b1) ^ Math.imul(dims, 0x85ebca6b)) >>> 0 || 1;
  const out = new Float32Array(dims);
  for (let i = 0; i < dims; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out[i] = ((state % 2001) - 1000) / 1024;
  }
  return out;
}

function base64Of(values: Float32Array): string {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** FNV-1a over UTF-16 code units: cheap, and stable for the same text. */
function textHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function openAIError(status: number, message: string): Response {
  const body = { error: { message, type: "invalid_request_error", param: null, code: null } };
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** Serves OpenAI-style embeddings on 127.0.0.1 (random port) until `signal` aborts. */
export function serveEmbeddings(
  options: EmbeddingServerOptions,
  signal: AbortSignal,
): Deno.HttpServer<Deno.NetAddr> {
  const pools = new Map<number, PoolEntry[]>();
  const stats = { requests: 0, inputs: 0 };
  const poolFor = (dims: number): PoolEntry[] => {
    let pool = pools.get(dims);
    if (pool === undefined) {
      pool = [];
      for (let i = 0; i < options.pool; i++) {
        const values = poolVector(i, dims);
        pool.push({ base64: base64Of(values), values });
      }
      pools.set(dims, pool);
    }
    return pool;
  };
  poolFor(options.dimensions);

  const embeddings = async (request: Request): Promise<Response> => {
    let body: Record<string, unknown>;
    try {
      body = await request.json();
    } catch {
      return openAIError(400, "We could not parse the JSON body of your request.");
    }
    const raw = body.input;
    const inputs = typeof raw === "string" ? [raw] : raw;
    if (!Array.isArray(inputs) || inputs.some((x) => typeof x !== "string")) {
      return openAIError(400, "'input' must be a string or an array of strings");
    }
    const dims = typeof body.dimensions === "number" ? body.dimensions : options.dimensions;
    const base64 = body.encoding_format === "base64";
    const pool = poolFor(dims);
    stats.requests++;
    stats.inputs += inputs.length;
    if (options.latencyMs > 0) await new Promise((r) => setTimeout(r, options.latencyMs));
    const parts: string[] = [];
    let tokens = 0;
    for (let i = 0; i < inputs.length; i++) {
      const text = inputs[i] as string;
      tokens += Math.ceil(text.length / 4);
      const entry = pool[textHash(text) % pool.length]!;
      const embedding = base64
        ? `"${entry.base64}"`
        : (entry.json ??= JSON.stringify(Array.from(entry.values)));
      parts.push(`{"object":"embedding","index":${i},"embedding":${embedding}}`);
    }
    const model = JSON.stringify(typeof body.model === "string" ? body.model : "unknown");
    const text = `{"object":"list","data":[${parts.join(",")}],"model":${model},` +
      `"usage":{"prompt_tokens":${tokens},"total_tokens":${tokens}}}`;
    return new Response(text, { headers: { "content-type": "application/json" } });
  };

  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal, onListen() {} },
    (request) => {
      const path = new URL(request.url).pathname;
      if (request.method === "POST" && /^(\/v1)?\/embeddings$/.test(path)) {
        return embeddings(request);
      }
      if (request.method === "GET" && path === "/stats") return Response.json(stats);
      return openAIError(404, `no route for ${request.method} ${path}`);
    },
  );
}

function numberOption(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const value = Number(args[i + 1]);
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(`${name} needs a non-negative number, got ${args[i + 1]}`);
  }
  return value;
}

if (import.meta.main) {
  const options: EmbeddingServerOptions = {
    latencyMs: numberOption(Deno.args, "--latency-ms", 0),
    dimensions: numberOption(Deno.args, "--dimensions", 768),
    pool: numberOption(Deno.args, "--pool", 4096),
  };
  const stop = new AbortController();
  const server = serveEmbeddings(options, stop.signal);
  Deno.addSignalListener("SIGTERM", () => stop.abort());
  console.log(JSON.stringify({ url: `http://127.0.0.1:${server.addr.port}` }));
  // Exit with the parent: its end of our standard input closes when it exits.
  (async () => {
    for await (const _ of Deno.stdin.readable) { /* ignore input */ }
    stop.abort();
  })();
  await server.finished;
}
