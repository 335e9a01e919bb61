/**
 * HTTP health endpoint for orchestrators (Docker HEALTHCHECK via `pgai health`, Kubernetes
 * probes): `GET /healthz` answers 200 while the worker loop is alive (it showed activity recently
 * relative to the poll interval), `GET /readyz` 200 once the pgai catalog has been detected.
 * Bodies are JSON; anything else is 404.
 */

/** What the endpoint reports; read on every request. */
export interface HealthState {
  /** Whether the loop counts as alive right now. */
  alive(): boolean;
  /** Whether the catalog was detected (the worker can do its job). */
  ready(): boolean;
  /** Extra facts for the JSON body (worker id, catalog version, last activity...). */
  details(): Record<string, unknown>;
}

/** A running health server. */
export interface HealthServer {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** Stops serving. */
  close(): Promise<void>;
}

/** Raised when the health port cannot be bound. */
export class HealthServerError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "HealthServerError";
  }
}

/** Starts serving `/healthz` and `/readyz` on `host:port` (default host 127.0.0.1). */
export function startHealthServer(
  port: number,
  host: string | undefined,
  state: HealthState,
): HealthServer {
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      port,
      hostname: host ?? "127.0.0.1",
      onListen: () => {},
    }, (request) => handle(request, state));
  } catch (e) {
    throw new HealthServerError(
      `cannot serve the health endpoint on ${host ?? "127.0.0.1"}:${port}: ${(e as Error).message}`,
      { cause: e },
    );
  }
  return {
    port: server.addr.port,
    close: () => server.shutdown(),
  };
}

function handle(request: Request, state: HealthState): Response {
  const path = new URL(request.url).pathname;
  if (request.method !== "GET" && request.method !== "HEAD") {
    return json(405, { error: "method not allowed" });
  }
  if (path === "/healthz") {
    const ok = state.alive();
    return json(ok ? 200 : 503, { status: ok ? "ok" : "unhealthy", ...state.details() });
  }
  if (path === "/readyz") {
    const ok = state.ready();
    return json(ok ? 200 : 503, { status: ok ? "ready" : "not ready", ...state.details() });
  }
  return json(404, { error: "not found" });
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}
