/**
 * Database connections for the worker.
 *
 * Wraps npm:postgres with what the worker needs on every connection: TCP_NODELAY (npm:postgres
 * on Deno does not set it, and a batch is a chain of small request/response messages that Nagle's
 * algorithm would delay), libpq-style connection strings (`postgres://` URIs including a `host`
 * query parameter, and `key=value` conninfo strings), an application_name per purpose (contract
 * §2.9), and connection errors with libpq-like texts that never contain the password.
 */
import net from "node:net";
import postgres from "postgres";

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
}

/** A connection could not be established or was lost. Its message never includes a password. */
export class DatabaseConnectionError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DatabaseConnectionError";
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
  if (options.applicationName !== undefined) connection.application_name = options.applicationName;
  // `socket` is supported by npm:postgres 3.4.9 but missing from its type definitions.
  const opts = {
    ...settings,
    max: options.max ?? 1,
    connect_timeout: connectTimeout,
    idle_timeout: options.idleTimeout ?? 0,
    onnotice: () => {},
    connection: { ...settings.connection, ...connection },
    socket: socketFactory(connectTimeout),
  } as postgres.Options<Record<string, never>>;
  return url === undefined ? postgres(opts) : postgres(url, opts);
}

interface SocketTarget {
  host: string[];
  port: number[];
  path: string | false;
}

/**
 * npm:postgres calls this instead of creating its own socket: connect (trying each host of a
 * multi-host URL in turn), switch TCP_NODELAY on, and hand back the connected socket.
 */
function socketFactory(timeoutSeconds: number) {
  return (target: SocketTarget): Promise<net.Socket> =>
    new Promise((resolve, reject) => {
      const hosts = target.path ? [target.path] : target.host;
      const attempt = (i: number) => {
        const host = hosts[i] ?? "localhost";
        const port = target.port[i] ?? target.port[0] ?? 5432;
        const socket = new net.Socket();
        const timer = timeoutSeconds > 0
          ? setTimeout(() => {
            socket.destroy();
            next(Object.assign(new Error("timeout expired"), { code: "ETIMEDOUT" }));
          }, timeoutSeconds * 1000)
          : undefined;
        const next = (e: Error & { code?: string }) => {
          clearTimeout(timer);
          socket.removeAllListeners();
          if (i + 1 < hosts.length) return attempt(i + 1);
          reject(socketError(e, target.path ? undefined : host, port, target.path || undefined));
        };
        socket.once("error", next);
        socket.once("connect", () => {
          clearTimeout(timer);
          socket.removeListener("error", next);
          socket.setNoDelay(true);
          resolve(socket);
        });
        if (target.path) socket.connect(target.path);
        else socket.connect(port, host);
      };
      attempt(0);
    });
}

const SOCKET_ERRORS: Record<string, string> = {
  ECONNREFUSED: "Connection refused",
  ECONNRESET: "Connection reset by peer",
  EHOSTUNREACH: "No route to host",
  ENETUNREACH: "Network is unreachable",
  ETIMEDOUT: "timeout expired",
  ENOENT: "No such file or directory",
};

function socketError(
  e: Error & { code?: string },
  host: string | undefined,
  port: number,
  path: string | undefined,
): DatabaseConnectionError {
  if (host !== undefined && (e.code === "ENOTFOUND" || e.code === "EAI_AGAIN")) {
    return new DatabaseConnectionError(
      `connection failed: could not translate host name "${host}" to address: ${e.message}`,
      { cause: e },
    );
  }
  const reason = (e.code && SOCKET_ERRORS[e.code]) ?? e.message;
  const where = path === undefined
    ? `connection to server at "${host}", port ${port} failed`
    : `connection to server on socket "${path}" failed`;
  return new DatabaseConnectionError(`connection failed: ${where}: ${reason}`, { cause: e });
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
  if (e instanceof DatabaseConnectionError) return true;
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
    throw new DatabaseConnectionError(
      `invalid connection string: expected key=value pairs or a postgres:// URL near "${
        text.slice(end).trim().split(/\s/)[0]
      }"`,
    );
  }
  if (Object.keys(connection).length > 0) settings.connection = connection;
  return settings;
}
