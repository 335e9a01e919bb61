import assert from "node:assert/strict";
import { BodyBuffers } from "../../src/embedders/body.ts";

/** A response whose body arrives as a byte stream in the given pieces. */
function byteResponse(pieces: Uint8Array[]): Response {
  let i = 0;
  const stream = new ReadableStream({
    type: "bytes",
    pull(controller) {
      const piece = pieces[i++];
      if (piece === undefined) {
        controller.close();
        // A pending BYOB read is answered with an empty view once the stream is closed.
        controller.byobRequest?.respond(0);
      } else controller.enqueue(piece.slice());
    },
  });
  return new Response(stream);
}

function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

Deno.test("body buffers read a body of many pieces, larger than a new buffer, exactly", async () => {
  const bodies = new BodyBuffers();
  const pieces = [pattern(50_000, 1), pattern(70_000, 2), pattern(1, 3), pattern(200_000, 4)];
  const expected = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of pieces) {
    expected.set(p, offset);
    offset += p.length;
  }
  const copy = await bodies.read(byteResponse(pieces), (bytes) => bytes.slice());
  assert.deepEqual(copy, expected);
});

Deno.test("body buffers reuse a buffer without leaking the previous body into the next", async () => {
  const bodies = new BodyBuffers(1);
  const first = await bodies.read(byteResponse([pattern(300_000, 7)]), (b) => b.length);
  assert.equal(first, 300_000);
  const second = await bodies.read(byteResponse([pattern(10, 9)]), (bytes) => bytes.slice());
  assert.deepEqual(second, pattern(10, 9));
  const empty = await bodies.read(byteResponse([]), (bytes) => bytes.length);
  assert.equal(empty, 0);
});

Deno.test("body buffers read bodies of fetch and of plain responses", async () => {
  const bodies = new BodyBuffers();
  const text = "x".repeat(150_000) + "end";
  await using server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    () => new Response(text),
  );
  const response = await fetch(`http://127.0.0.1:${server.addr.port}/`);
  assert.equal(await bodies.read(response, (b) => new TextDecoder().decode(b)), text);
  assert.equal(
    await bodies.read(new Response("plain"), (b) => new TextDecoder().decode(b)),
    "plain",
  );
  assert.equal(await bodies.read(new Response(null), (b) => b.length), 0);
});

Deno.test("body buffers pass on what the reader of the bytes throws", async () => {
  const bodies = new BodyBuffers();
  await assert.rejects(
    bodies.read(byteResponse([pattern(5, 1)]), () => {
      throw new SyntaxError("bad body");
    }),
    { name: "SyntaxError", message: "bad body" },
  );
});
