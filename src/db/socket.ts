/**
 * The socket npm:postgres talks through on plaintext connections: Deno's own TCP and Unix
 * sockets (`Deno.connect`) behind the few `net.Socket` members npm:postgres uses.
 *
 * Why not `node:net`: Deno's Node compatibility sockets hold on to native memory as data flows.
 * Measured on Deno 2.9.6: a loop that receives 75 KB per round trip grew the process's malloc
 * heap to ~46 MB (RSS ~100 MB) over 3,000 round trips through `node:net`, and stayed at 2.5 MB
 * (RSS ~51 MB) through `Deno.connect`; in the worker it was most of the memory that grew during a
 * backfill. TLS connections keep using `node:net`/`node:tls` (see `connect.ts`), whose
 * certificate options npm:postgres relies on.
 *
 * Behaves as npm:postgres expects of a `net.Socket`: returned while still connecting (writes are
 * queued), `connect`, `data`, `drain`, `error` and `close` events in Node's order, `write`
 * callbacks once the bytes are handed to the kernel, backpressure through `write`'s result and
 * `drain`, `pause`/`resume` for COPY TO streams, and connection errors that carry Node's `code`,
 * `address` and `port`.
 */
import { Buffer } from "node:buffer";
import { EventEmitter } from "node:events";

/** Where to connect: a TCP host and port, or a Unix socket path. */
export type SocketAddress =
  | { readonly hostname: string; readonly port: number }
  | { readonly path: string };

/** Bytes queued for writing above which `write` asks the caller to wait for `drain`. */
const HIGH_WATER_MARK = 64 * 1024;
/** Size of the buffer each read fills; every chunk handed out is a copy of what was read. */
const READ_SIZE = 64 * 1024;

interface PendingWrite {
  data: Uint8Array;
  callback: ((error?: Error | null) => void) | undefined;
}

/** A connection error shaped like Node's (`code`, `errno`, `syscall`, `address`, `port`). */
export interface SocketError extends Error {
  code: string;
  errno?: string;
  syscall?: string;
  address?: string;
  port?: number;
  hostname?: string;
}

/** Node's error codes for the Deno errors a connection can raise. */
const CODES: Readonly<Record<string, string>> = {
  ConnectionRefused: "ECONNREFUSED",
  ConnectionReset: "ECONNRESET",
  ConnectionAborted: "ECONNABORTED",
  NotConnected: "ENOTCONN",
  AddrNotAvailable: "EADDRNOTAVAIL",
  BrokenPipe: "EPIPE",
  TimedOut: "ETIMEDOUT",
  NotFound: "ENOENT",
  PermissionDenied: "EACCES",
};

/**
 * A `net.Socket` look-alike over `Deno.connect`. Starts connecting at construction.
 *
 * ```ts
 * const socket = new DenoSocket({ hostname: "127.0.0.1", port: 5432 });
 * socket.on("data", (chunk) => console.log(chunk.length));
 * socket.write(new Uint8Array([0, 0, 0, 8, 4, 210, 22, 47])); // queued until connected
 * ```
 */
export class DenoSocket extends EventEmitter {
  /** Node's states that npm:postgres looks at. */
  readyState: "opening" | "open" | "closed" = "opening";
  readonly host: string | undefined;
  readonly port: number | undefined;
  readonly #address: SocketAddress;
  #conn: Deno.Conn | undefined;
  /** The same connection when it is TCP. */
  #tcp: Deno.TcpConn | undefined;
  readonly #queue: PendingWrite[] = [];
  #queuedBytes = 0;
  #writing = false;
  #needDrain = false;
  #ending = false;
  #paused = false;
  #resume: (() => void) | undefined;
  #keepAlive: boolean | undefined;

  constructor(address: SocketAddress) {
    super();
    this.#address = address;
    if ("hostname" in address) {
      this.host = address.hostname;
      this.port = address.port;
    }
    this.#open();
  }

  /**
   * Queues `data`; `callback` runs once it is written (with the error if the socket failed).
   * Returns false when the queue is full: wait for `drain`.
   */
  write(data: Uint8Array | string, callback?: (error?: Error | null) => void): boolean {
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    if (this.readyState === "closed" || this.#ending) {
      const error = socketError("EPIPE", "This socket has been ended", this.#address, "write");
      if (callback) queueMicrotask(() => callback(error));
      return false;
    }
    this.#queue.push({ data: bytes, callback });
    this.#queuedBytes += bytes.length;
    void this.#flush();
    if (this.#queuedBytes < HIGH_WATER_MARK) return true;
    this.#needDrain = true;
    return false;
  }

  /** Writes `data` (if any), then closes the connection once everything queued is written. */
  end(data?: Uint8Array | string): this {
    if (data !== undefined && this.readyState !== "closed") this.write(data);
    this.#ending = true;
    if (this.#conn && !this.#writing && this.#queue.length === 0) this.#close(undefined);
    return this;
  }

  /** Closes the connection at once, dropping queued writes; emits `error` first if given. */
  destroy(error?: Error): this {
    this.#close(error);
    return this;
  }

  /** Stops emitting `data` until {@link resume}. */
  pause(): this {
    this.#paused = true;
    return this;
  }

  resume(): this {
    this.#paused = false;
    const resume = this.#resume;
    this.#resume = undefined;
    resume?.();
    return this;
  }

  /** TCP keepalive (Deno sets no probe delay: the system's is used). */
  setKeepAlive(enable = false): this {
    this.#keepAlive = enable;
    this.#tcp?.setKeepAlive(enable);
    return this;
  }

  /** Always on for TCP connections; accepted for `net.Socket` compatibility. */
  setNoDelay(): this {
    return this;
  }

  async #open(): Promise<void> {
    const address = this.#address;
    let conn: Deno.Conn;
    let tcp: Deno.TcpConn | undefined;
    try {
      if ("path" in address) {
        conn = await Deno.connect({ transport: "unix", path: address.path });
      } else {
        conn = tcp = await Deno.connect({ hostname: address.hostname, port: address.port });
      }
    } catch (e) {
      this.#close(connectError(e, address));
      return;
    }
    if (this.readyState === "closed") {
      // Destroyed while connecting (npm:postgres's connect timeout).
      conn.close();
      return;
    }
    this.#conn = conn;
    this.#tcp = tcp;
    if (tcp) {
      // A batch is a chain of small messages: Nagle's algorithm would hold each one back.
      tcp.setNoDelay(true);
      if (this.#keepAlive !== undefined) tcp.setKeepAlive(this.#keepAlive);
    }
    this.readyState = "open";
    this.emit("connect");
    void this.#flush();
    void this.#read(conn);
  }

  async #flush(): Promise<void> {
    const conn = this.#conn;
    if (!conn || this.#writing) return;
    this.#writing = true;
    try {
      while (this.#queue.length > 0) {
        const next = this.#queue[0]!;
        let offset = 0;
        while (offset < next.data.length) {
          offset += await conn.write(next.data.subarray(offset));
        }
        this.#queue.shift();
        this.#queuedBytes -= next.data.length;
        next.callback?.(null);
      }
    } catch (e) {
      this.#writing = false;
      if (this.readyState !== "closed") this.#close(ioError(e, this.#address, "write"));
      return;
    }
    this.#writing = false;
    if (this.readyState === "closed") return;
    if (this.#needDrain) {
      this.#needDrain = false;
      this.emit("drain");
    }
    if (this.#ending && this.#queue.length === 0) this.#close(undefined);
  }

  async #read(conn: Deno.Conn): Promise<void> {
    const buffer = new Uint8Array(READ_SIZE);
    while (this.readyState === "open") {
      if (this.#paused) await new Promise<void>((resolve) => this.#resume = resolve);
      let n: number | null;
      try {
        n = await conn.read(buffer);
      } catch (e) {
        // #close is idempotent: a read cut short by destroy() reports nothing more.
        this.#close(ioError(e, this.#address, "read"));
        return;
      }
      if (this.readyState !== "open") return;
      if (n === null) {
        this.emit("end");
        this.#close(undefined);
        return;
      }
      // A copy: npm:postgres keeps views of each chunk (rows, partial messages).
      this.emit("data", Buffer.from(buffer.subarray(0, n)));
    }
  }

  /** Closes once; `error` and `close` are emitted asynchronously, as by Node. */
  #close(error: Error | undefined): void {
    if (this.readyState === "closed") return;
    this.readyState = "closed";
    const conn = this.#conn;
    this.#conn = undefined;
    this.#tcp = undefined;
    if (conn) {
      try {
        conn.close();
      } catch {
        // Already closed by the peer.
      }
    }
    const pending = this.#queue.splice(0);
    this.#queuedBytes = 0;
    this.resume();
    setTimeout(() => {
      for (const p of pending) p.callback?.(error ?? null);
      if (error) this.emit("error", error);
      this.emit("close", error !== undefined);
    }, 0);
  }
}

function socketError(
  code: string,
  message: string,
  address: SocketAddress,
  syscall: string,
): SocketError {
  const where = "path" in address ? address.path : `${address.hostname}:${address.port}`;
  const error = new Error(`${syscall} ${code} ${where}: ${message}`) as SocketError;
  error.code = code;
  error.errno = code;
  error.syscall = syscall;
  if ("path" in address) {
    error.address = address.path;
  } else {
    error.address = address.hostname;
    error.port = address.port;
  }
  return error;
}

/** Node's `code` of a Deno I/O error, or undefined. */
function codeOf(e: unknown): string | undefined {
  if (!(e instanceof Error)) return undefined;
  const code = (e as { code?: unknown }).code;
  if (typeof code === "string" && code !== "") return code;
  return CODES[e.name];
}

function ioError(e: unknown, address: SocketAddress, syscall: string): SocketError {
  const message = e instanceof Error ? e.message : String(e);
  const error = socketError(codeOf(e) ?? "EIO", message, address, syscall);
  error.cause = e;
  return error;
}

/** A failed `Deno.connect` as Node reports it (`ENOTFOUND`/`EAI_AGAIN` for name lookups). */
function connectError(e: unknown, address: SocketAddress): SocketError {
  const message = e instanceof Error ? e.message : String(e);
  if (!("path" in address) && codeOf(e) === undefined && /lookup address/i.test(message)) {
    const code = /temporary failure/i.test(message) ? "EAI_AGAIN" : "ENOTFOUND";
    const error = socketError(code, message, address, "getaddrinfo");
    error.hostname = address.hostname;
    error.cause = e;
    return error;
  }
  return ioError(e, address, "connect");
}
