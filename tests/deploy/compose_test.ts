// Static checks of the Docker Compose stack (compose.yaml, .env.example, example SQL).
import assert from "node:assert/strict";
import { parse } from "yaml";
import {
  durationSeconds,
  HEALTH_PORT,
  isPinnedImage,
  readRepoFile,
  WORKER_SHUTDOWN_DEADLINE_SECONDS,
} from "./parsers.ts";

interface Service {
  image?: string;
  build?: unknown;
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  env_file?: { path: string; required?: boolean }[];
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  stop_grace_period?: string;
  restart?: string;
  profiles?: string[];
  volumes?: string[];
}

const compose = parse(readRepoFile("compose.yaml")) as { services: Record<string, Service> };
const services = compose.services;
const ONE_SHOTS = ["ollama-pull", "pgai-install", "example"];
const LONG_RUNNING = ["postgres", "ollama", "worker"];

function service(name: string): Service {
  const found = services[name];
  assert.ok(found, `compose.yaml has no service '${name}'`);
  return found;
}

/** The value following `flag` in an argument list. */
function argAfter(args: readonly string[] | undefined, flag: string): string | undefined {
  const at = (args ?? []).indexOf(flag);
  return at >= 0 ? args?.[at + 1] : undefined;
}

Deno.test("compose defines postgres, ollama, the one-shots and the worker", () => {
  assert.deepEqual(
    Object.keys(services).sort(),
    [...LONG_RUNNING, ...ONE_SHOTS].sort(),
  );
});

Deno.test("compose pins every image by tag", () => {
  for (const [name, svc] of Object.entries(services)) {
    assert.ok(svc.image, `service ${name} has no image`);
    assert.ok(isPinnedImage(svc.image), `service ${name}: image ${svc.image} is not pinned`);
  }
  assert.match(service("postgres").image!, /^pgvector\/pgvector:\d+\.\d+\.\d+-pg1[5-9]$/);
  assert.match(service("ollama").image!, /^ollama\/ollama:\d+\.\d+\.\d+$/);
});

Deno.test("compose health-checks every long-running service", () => {
  for (const name of LONG_RUNNING) {
    const check = service(name).healthcheck;
    assert.ok(check?.test && check.test.length > 1, `${name} has no healthcheck test`);
    assert.equal(check.test[0], "CMD", `${name} healthcheck must use exec form (CMD)`);
    assert.notEqual(check.disable, true);
    assert.equal(service(name).restart, "unless-stopped", `${name} should restart`);
  }
  assert.deepEqual(service("postgres").healthcheck?.test?.slice(0, 2), ["CMD", "pg_isready"]);
  assert.deepEqual(service("worker").healthcheck?.test, [
    "CMD",
    "/pgai",
    "health",
    "--port",
    String(HEALTH_PORT),
  ]);
});

Deno.test("compose one-shot services never restart and do not inherit the worker healthcheck", () => {
  for (const name of ONE_SHOTS) assert.equal(service(name).restart, "no", name);
  assert.equal(service("pgai-install").healthcheck?.disable, true);
  assert.deepEqual(service("pgai-install").entrypoint, ["/pgai", "install"]);
  assert.match(argAfter(service("pgai-install").command, "-d") ?? "", /@postgres:5432\//);
});

Deno.test("compose orders start-up with depends_on conditions", () => {
  const conditions = (name: string) =>
    Object.fromEntries(
      Object.entries(service(name).depends_on ?? {}).map(([dep, spec]) => [dep, spec.condition]),
    );
  assert.deepEqual(conditions("worker"), {
    postgres: "service_healthy",
    "pgai-install": "service_completed_successfully",
    "ollama-pull": "service_completed_successfully",
  });
  assert.deepEqual(conditions("pgai-install"), { postgres: "service_healthy" });
  assert.deepEqual(conditions("ollama-pull"), { ollama: "service_healthy" });
  assert.deepEqual(conditions("example"), { "pgai-install": "service_completed_successfully" });
});

Deno.test("compose worker polls every 5s and serves health on the checked port", () => {
  const worker = service("worker");
  assert.equal(argAfter(worker.command, "--poll-interval"), "5s");
  assert.equal(argAfter(worker.command, "--health-port"), String(HEALTH_PORT));
  assert.match(worker.environment?.PGAI_VECTORIZER_WORKER_DB_URL ?? "", /@postgres:5432\//);
});

Deno.test("compose gives the worker more stop time than its shutdown deadline", () => {
  const grace = durationSeconds(service("worker").stop_grace_period ?? "10s");
  assert.ok(
    grace >= 2 * WORKER_SHUTDOWN_DEADLINE_SECONDS,
    `stop_grace_period ${grace}s must clearly exceed the ${WORKER_SHUTDOWN_DEADLINE_SECONDS}s deadline`,
  );
});

Deno.test("compose takes secrets from an optional .env, never inline", () => {
  assert.deepEqual(service("worker").env_file, [{ path: ".env", required: false }]);
  for (const [name, svc] of Object.entries(services)) {
    for (const [key, value] of Object.entries(svc.environment ?? {})) {
      if (/API_KEY|PASSWORD/.test(key)) {
        assert.match(
          String(value),
          /^\$\{[A-Z_]+(:-[^}]*)?\}$/,
          `${name}.${key} must be interpolated`,
        );
      }
    }
  }
  const example = readRepoFile(".env.example").split("\n");
  const liveKeys = example.filter((l) => /^[A-Z_]*API_KEY=\S/.test(l));
  assert.deepEqual(liveKeys, [], ".env.example must not set API keys");
  assert.ok(readRepoFile(".gitignore").split("\n").includes(".env"), ".env must be git-ignored");
});

Deno.test("compose example profile creates an Ollama vectorizer for the pulled model", () => {
  const example = service("example");
  assert.deepEqual(example.profiles, ["example"]);
  const mount = (example.volumes ?? []).find((v) => v.endsWith(":/sql/example.sql:ro"));
  assert.ok(mount, "example.sql is not mounted");
  const sqlPath = mount.split(":")[0]!.replace(/^\.\//, "");
  assert.equal(sqlPath, "deploy/compose/example.sql");
  assert.equal(argAfter(example.command, "-f"), "/sql/example.sql");

  const sql = readRepoFile(sqlPath);
  const pulled = argAfter(service("ollama-pull").command, "pull");
  assert.equal(pulled, "nomic-embed-text");
  assert.match(sql, /ai\.create_vectorizer\(/);
  assert.match(sql, /if_not_exists => true/);
  assert.ok(
    sql.includes(`ai.embedding_ollama('${pulled}', 768, base_url => 'http://ollama:11434')`),
    "the example vectorizer must embed with the model ollama-pull downloads",
  );
});
