import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { DenoSocket, type SocketError } from "../../src/db/socket.ts";
import { connectionFailureText } from "../../src/db/connect.ts";

/** A local TCP server; `handle` runs for each accepted connection. */
function serve(handle: (conn: Deno.Conn) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const handlers: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) handlers.push(handle(conn).finally(() => safeClose(conn)));
  })().catch(() => {});
  return {
    port,
    async close() {
      listener.close();
      await accepting;
      await Promise.allSettled(handlers);
    },
  };
}

function safeClose(conn: Deno.Conn) {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

async function readAll(conn: Deno.Conn): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const buf = new Uint8Array(8192);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    parts.push(buf.slice(0, n));
  }
  return Buffer.concat(parts);
}

function once<T = unknown>(socket: DenoSocket, event: string): Promise<T[]> {
  return new Promise((resolve) => socket.once(event, (...args: T[]) => resolve(args)));
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test("socket: writes made while connecting are sent in order, replies arrive as Buffers", async () => {
  const server = serve(async (conn) => {
    const buf = new Uint8Array(1024);
    const n = await conn.read(buf);
    await conn.write(
      new TextEncoder().encode(`got:${new TextDecoder().decode(buf.subarray(0, n!))}`),
    );
  });
  const socket = new DenoSocket({ hostname: "127.0.0.1", port: server.port });
  assert.equal(socket.readyState, "opening");
  const connected = once(socket, "connect");
  const data = once<Buffer>(socket, "data");
  assert.equal(socket.write(new TextEncoder().encode("ab")), true);
  assert.equal(socket.write("cd"), true);
  await connected;
  assert.equal(socket.readyState, "open");
  const [chunk] = await data;
  assert.ok(Buffer.isBuffer(chunk));
  assert.equal(chunk!.toString("utf8"), "got:abcd");
  socket.destroy();
  await once(socket, "close");
  await server.close();
});

Deno.test("socket: a write past the high-water mark asks for drain; callbacks follow the bytes", async () => {
  let received: Uint8Array = new Uint8Array(0);
  const server = serve(async (conn) => {
    received = await readAll(conn);
  });
  const socket = new DenoSocket({ hostname: "127.0.0.1", port: server.port });
  const payload = new Uint8Array(300_000).map((_, i) => i % 251);
  const order: string[] = [];
  const first = socket.write(payload.subarray(0, 1000), () => order.push("first"));
  const second = socket.write(payload.subarray(1000), () => order.push("second"));
  assert.equal(first, true);
  assert.equal(second, false, "300 KB queued is past the high-water mark");
  await once(socket, "drain");
  assert.deepEqual(order, ["first", "second"]);
  socket.end();
  const [hadError] = await once<boolean>(socket, "close");
  assert.equal(hadError, false);
  await server.close();
  assert.deepEqual(new Uint8Array(received), payload);
});

Deno.test("socket: end() sends what is queued, then the peer sees the end of the stream", async () => {
  let received = "";
  const server = serve(async (conn) => {
    received = new TextDecoder().decode(await readAll(conn));
  });
  const socket = new DenoSocket({ hostname: "127.0.0.1", port: server.port });
  socket.write("hello ");
  socket.end("bye");
  await once(socket, "close");
  assert.equal(socket.readyState, "closed");
  await server.close();
  assert.equal(received, "hello bye");
  const late = await new Promise<Error | null | undefined>((resolve) =>
    socket.write("late", (e) => resolve(e))
  );
  assert.equal((late as SocketError).code, "EPIPE");
});

Deno.test("socket: a peer that hangs up gives end, then close without error", async () => {
  const server = serve(async (conn) => {
    await conn.write(new TextEncoder().encode("last words"));
  });
  const socket = new DenoSocket({ hostname: "127.0.0.1", port: server.port });
  const events: string[] = [];
  socket.on("data", (chunk: Buffer) => events.push(`data:${chunk.toString()}`));
  socket.on("end", () => events.push("end"));
  socket.on("error", () => events.push("error"));
  const [hadError] = await once<boolean>(socket, "close");
  assert.equal(hadError, false);
  assert.deepEqual(events, ["data:last words", "end"]);
  await server.close();
});

Deno.test("socket: a refused connection emits a Node-style error, then close", async () => {
  const port = freePort();
  const socket = new DenoSocket({ hostname: "127.0.0.1", port });
  const closed = once<boolean>(socket, "close");
  const [error] = await once<SocketError>(socket, "error");
  assert.equal(error!.code, "ECONNREFUSED");
  assert.equal(error!.address, "127.0.0.1");
  assert.equal(error!.port, port);
  assert.equal(
    connectionFailureText(error),
    `connection failed: connection to server at "127.0.0.1", port ${port} failed: Connection refused`,
  );
  const [hadError] = await closed;
  assert.equal(hadError, true);
  assert.equal(socket.readyState, "closed");
});

Deno.test("socket: a missing Unix socket is ENOENT with its path", async () => {
  const path = `${await Deno.makeTempDir()}/.s.PGSQL.5432`;
  const socket = new DenoSocket({ path });
  const closed = once(socket, "close");
  const [error] = await once<SocketError>(socket, "error");
  assert.equal(error!.code, "ENOENT");
  assert.equal(error!.address, path);
  assert.equal(
    connectionFailureText(error),
    `connection failed: connection to server on socket "${path}" failed: No such file or directory`,
  );
  await closed;
});

Deno.test("socket: Unix socket connections carry data both ways", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/.s.PGSQL.5432`;
  const listener = Deno.listen({ transport: "unix", path });
  const served = (async () => {
    const conn = await listener.accept();
    const buf = new Uint8Array(64);
    const n = await conn.read(buf);
    await conn.write(buf.subarray(0, n!).reverse());
    conn.close();
  })();
  const socket = new DenoSocket({ path });
  const data = once<Buffer>(socket, "data");
  socket.write("abc");
  assert.equal((await data)[0]!.toString(), "cba");
  await once(socket, "close");
  await served;
  listener.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("socket: destroyed while connecting, it never connects and closes once", async () => {
  const server = serve(async () => {});
  const socket = new DenoSocket({ hostname: "127.0.0.1", port: server.port });
  let connects = 0;
  let closes = 0;
  socket.on("connect", () => connects++);
  socket.on("close", () => closes++);
  socket.destroy();
  socket.destroy();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(connects, 0);
  assert.equal(closes, 1);
  await server.close();
});

Deno.test("socket: pause holds data back until resume", async () => {
  let secondSent!: () => void;
  const sent = new Promise<void>((resolve) => secondSent = resolve);
  const server = serve(async (conn) => {
    await conn.write(new TextEncoder().encode("one"));
    // The second chunk goes out only once the client has paused (it says so with a byte).
    await conn.read(new Uint8Array(1));
    await conn.write(new TextEncoder().encode("two"));
    secondSent();
    await conn.read(new Uint8Array(1));
  });
  const socket = new DenoSocket({ hostname: "127.0.0.1", port: server.port });
  const chunks: string[] = [];
  socket.on("data", (chunk: Buffer) => {
    chunks.push(chunk.toString());
    if (chunks.length === 1) {
      socket.pause();
      socket.write("p");
    }
  });
  await sent;
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(chunks, ["one"], "nothing is emitted while paused");
  socket.resume();
  socket.write("r");
  await once(socket, "close");
  assert.deepEqual(chunks, ["one", "two"]);
  await server.close();
});
