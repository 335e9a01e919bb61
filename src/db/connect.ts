/**
 * Database connections for the worker.
 *
 * Wraps npm:postgres with what the worker needs on every connection: Deno's own sockets for
 * plaintext connections (`socket.ts`), TCP_NODELAY (npm:postgres on Deno does not set it, and a
 * batch is a chain of small request/response messages that Nagle's algorithm would delay),
 * libpq-style connection strings (`postgres://` URIs including a `host` query parameter, and
 * `key=value` conninfo strings), an application_name per purpose (contract §2.9), and libpq-like
 * texts for connection failures (never containing the password).
 */
import net from "node:net";
import postgres from "postgres";
import { DenoSocket } from "./socket.ts";

/** Options for {@link connect}. */
export interface ConnectOptions {
  /** `application_name` of the session; overrides one given in the URL. */
  applicationName?: string;
  /** Pool size; the worker uses one connection per client (default 1). */
  max?: number;
  /** Seconds to wait for the TCP connection (default 30, as npm:postgres). */
  connectTimeout?: number;
  /** Seconds after which an idle connection is closed (default: never). */
  idleTimeout?: number;
  /** Environment used for libpq defaults such as PGTZ (default Deno.env). */
  env?: Record<string, string | undefined>;
  /**
   * Whether npm:postgres reads the array types when it connects (default true): a query per
   * connection that JS array parameters and array results need. Executors pass false.
   */
  fetchTypes?: boolean;
}

/** The connection string cannot be understood. Its message never includes a password. */
export class ConnectionStringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConnectionStringError";
  }
}

/**
 * Opens a client (lazily connecting) for `dbUrl`. Every socket gets TCP_NODELAY.
 * Close it with `sql.end()`.
 */
export function connect(dbUrl: string, options: ConnectOptions = {}): postgres.Sql {
  const { url, settings } = parseConnectionString(dbUrl);
  const env = options.env ?? Deno.env.toObject();
  const connectTimeout = options.connectTimeout ?? 30;
  const connection: Record<string, string> = {};
  // libpq reads PGTZ/PGOPTIONS and sends them at startup; npm:postgres does not.
  if (env.PGTZ) connection.TimeZone = env.PGTZ;
  if (env.PGOPTIONS) connection.options = env.PGOPTIONS;
  // The worker's statements are short; JIT compiling them costs far more than it saves (a fetch
  // whose estimated cost crossed jit_above_cost took 25-120 ms instead of ~2 ms). A jit setting
  // in PGOPTIONS is left to win.
  if (!/\bjit\b/.test(env.PGOPTIONS ?? "")) connection.jit = "off";
  if (options.applicationName !== undefined) connection.application_name = options.applicationName;
  // `socket` is supported by npm:postgres 3.4.9 but missing from its type definitions.
  const opts = {
    ...settings,
    max: options.max ?? 1,
    connect_timeout: connectTimeout,
    idle_timeout: options.idleTimeout ?? 0,
    fetch_types: options.fetchTypes ?? true,
    onnotice: () => {},
    connection: { ...settings.connection, ...connection },
    socket: socketFactory(),
  } as postgres.Options<Record<string, never>>;
  return url === undefined ? postgres(opts) : postgres(url, opts);
}

interface SocketTarget {
  host: string[];
  port: number[];
  path: string | false;
  /** npm:postgres's resolved `ssl` setting (false: plaintext). */
  ssl: unknown;
}

/**
 * npm:postgres calls this instead of creating its own socket. The socket is returned while still
 * connecting (npm:postgres queues its first messages and handles errors, timeouts and reconnects
 * as with its own sockets); TCP_NODELAY is switched on once connected. The hosts of a multi-host
 * URL are tried in turn, one per connection attempt.
 *
 * Plaintext connections go through Deno's own sockets ({@link DenoSocket}: far less native
 * memory than `node:net` under load); TLS needs a `node:net` socket for npm:postgres to upgrade
 * with `node:tls` and its certificate options.
 */
function socketFactory() {
  let attempt = 0;
  return (target: SocketTarget): net.Socket | DenoSocket => {
    const i = attempt++ % Math.max(1, target.host.length);
    const host = target.host[i] ?? "localhost";
    const port = target.port[i] ?? target.port[0] ?? 5432;
    if (!target.ssl) {
      return new DenoSocket(target.path ? { path: target.path } : { hostname: host, port });
    }
    const socket = new net.Socket();
    socket.once("connect", () => socket.setNoDelay(true));
    // npm:postgres names the TLS server (SNI) after `socket.host`, which only its own sockets set.
    if (!target.path) Object.assign(socket, { host });
    if (target.path) socket.connect(target.path);
    else socket.connect(port, host);
    return socket;
  };
}

const SOCKET_ERRORS: Record<string, string> = {
  ECONNREFUSED: "Connection refused",
  ECONNRESET: "Connection reset by peer",
  EHOSTUNREACH: "No route to host",
  ENETUNREACH: "Network is unreachable",
  ETIMEDOUT: "timeout expired",
  CONNECT_TIMEOUT: "timeout expired",
  ENOENT: "No such file or directory",
};

/**
 * A libpq-like text for an error raised while connecting (`connection failed: connection to
 * server at "127.0.0.1", port 5432 failed: Connection refused`), or undefined when `e` is not a
 * socket-level connection error. Never contains a password.
 */
export function connectionFailureText(e: unknown): string | undefined {
  if (!(e instanceof Error)) return undefined;
  const err = e as Error & {
    code?: unknown;
    address?: unknown;
    port?: unknown;
    hostname?: unknown;
  };
  const code = typeof err.code === "string" ? err.code : "";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    const host = typeof err.hostname === "string" ? err.hostname : String(err.address ?? "");
    return `connection failed: could not translate host name "${host}" to address: ${
      code === "ENOTFOUND" ? "Name or service not known" : "Temporary failure in name resolution"
    }`;
  }
  const reason = SOCKET_ERRORS[code];
  if (reason === undefined) return undefined;
  const address = String(err.address ?? "");
  const where = address.startsWith("/")
    ? `connection to server on socket "${address}" failed`
    : `connection to server at "${address}", port ${String(err.port ?? "")} failed`;
  return `connection failed: ${where}: ${reason}`;
}

// SQLSTATEs that mean "no usable connection": class 08, shutdown/crash/startup (57P01-57P03),
// too many connections, invalid authorization (28xxx), unknown database.
const CONNECTION_SQLSTATE = /^(08|57P0[1-3]|53300|28|3D000)/;
// npm:postgres and node:net codes for lost or impossible connections.
const CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOENT",
]);

/** Whether `e` means the database is unreachable or the connection was lost. */
export function isConnectionError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code === "string") {
    if (e.name === "PostgresError") return CONNECTION_SQLSTATE.test(code);
    if (CONNECTION_CODES.has(code)) return true;
  }
  return e.cause !== undefined && e.cause !== e && isConnectionError(e.cause);
}

/** What a connection string resolves to: a URL for npm:postgres and/or explicit settings. */
interface ParsedConnectionString {
  url: string | undefined;
  settings: postgres.Options<Record<string, never>> & { connection?: Record<string, string> };
}

/**
 * Accepts libpq connection strings: `postgres://` / `postgresql://` URIs (a `host` query
 * parameter, e.g. a Unix socket directory, is honoured) and `key=value` conninfo strings.
 */
export function parseConnectionString(dbUrl: string): ParsedConnectionString {
  const text = dbUrl.trim();
  if (/^postgres(ql)?:\/\//i.test(text)) {
    const q = text.indexOf("?");
    if (q < 0) return { url: text, settings: {} };
    const params = new URLSearchParams(text.slice(q + 1));
    const settings: ParsedConnectionString["settings"] = {};
    const host = params.get("host");
    if (host !== null) {
      params.delete("host");
      settings.host = host;
    }
    const port = params.get("port");
    if (port !== null) {
      params.delete("port");
      settings.port = Number(port);
    }
    for (
      const [key, option] of [["dbname", "database"], ["user", "user"], [
        "password",
        "password",
      ]] as const
    ) {
      const value = params.get(key);
      if (value !== null) {
        params.delete(key);
        settings[option] = value;
      }
    }
    const rest = params.toString();
    return { url: text.slice(0, q) + (rest ? `?${rest}` : ""), settings };
  }
  return { url: undefined, settings: parseConninfo(text) };
}

function parseConninfo(text: string): ParsedConnectionString["settings"] {
  const settings: ParsedConnectionString["settings"] = {};
  const connection: Record<string, string> = {};
  const re = /\s*([A-Za-z_]+)\s*=\s*('((?:[^'\\]|\\.)*)'|(\S*))/gy;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(text)) !== null && m[0] !== "") {
    end = re.lastIndex;
    const key = m[1]!;
    const value = m[3] !== undefined ? m[3].replace(/\\(.)/g, "$1") : m[4] ?? "";
    switch (key) {
      case "host":
      case "hostaddr":
        settings.host = value;
        break;
      case "port":
        settings.port = Number(value);
        break;
      case "dbname":
        settings.database = value;
        break;
      case "user":
        settings.user = value;
        break;
      case "password":
        settings.password = value;
        break;
      case "sslmode":
        settings.ssl = value === "disable" ? false : value as "require" | "prefer" | "allow";
        break;
      case "connect_timeout":
        settings.connect_timeout = Number(value);
        break;
      default:
        connection[key] = value;
    }
  }
  if (text.slice(end).trim() !== "") {
    throw new ConnectionStringError(
      `invalid connection string: expected key=value pairs or a postgres:// URL near "${
        text.slice(end).trim().split(/\s/)[0]
      }"`,
    );
  }
  if (Object.keys(connection).length > 0) settings.connection = connection;
  return settings;
}
