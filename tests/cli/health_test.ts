import assert from "node:assert/strict";
import { startHealthServer } from "../../src/worker/health.ts";
import { cli } from "./support.ts";

/** The worker's real health endpoint on a free port, alive or not as the test says. */
function endpoint(alive: boolean) {
  return startHealthServer(0, "127.0.0.1", {
    alive: () => alive,
    ready: () => alive,
    details: () => ({ worker_id: "test" }),
  });
}

Deno.test("pgai health exits 0 when the worker's /healthz answers 200", async () => {
  const server = endpoint(true);
  try {
    const run = await cli(["health", "--port", String(server.port)]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(
      run.stdout,
      new RegExp(`^healthy: http://127\\.0\\.0\\.1:${server.port}/healthz answered 200 OK`),
    );
  } finally {
    await server.close();
  }
});

Deno.test("pgai health exits 1 with the answer when /healthz is not 200", async () => {
  const server = endpoint(false);
  try {
    const run = await cli(["health", "--host", "127.0.0.1", "--port", String(server.port)]);
    assert.equal(run.status, 1);
    assert.equal(run.stdout, "");
    assert.match(
      run.stderr,
      /^unhealthy: http:\/\/127\.0\.0\.1:\d+\/healthz answered 503 Service Unavailable: \{"status":"unhealthy"/,
    );
  } finally {
    await server.close();
  }
});

Deno.test("pgai health exits 1 when nothing listens on the port", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close(); // the port is now (very likely) free
  const run = await cli(["health", "--port", String(port)]);
  assert.equal(run.status, 1);
  assert.match(
    run.stderr,
    new RegExp(`^unhealthy: cannot reach http://127\\.0\\.0\\.1:${port}/healthz: `),
  );
});

Deno.test("pgai health takes the port from the worker's variable and skips wildcard hosts", async () => {
  const server = endpoint(true);
  try {
    const run = await cli(["health"], {
      env: {
        PGAI_VECTORIZER_WORKER_HEALTH_PORT: String(server.port),
        PGAI_VECTORIZER_WORKER_HEALTH_HOST: "0.0.0.0",
      },
    });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^healthy: http:\/\/127\.0\.0\.1:/);
  } finally {
    await server.close();
  }
});
