// Static checks of the container image recipe (Dockerfile, .dockerignore).
import assert from "node:assert/strict";
import {
  execForm,
  HEALTH_PORT,
  imageTag,
  isPinnedImage,
  parseDockerfile,
  readRepoFile,
} from "./parsers.ts";

const instructions = parseDockerfile(readRepoFile("Dockerfile"));
const froms = instructions.filter((i) => i.keyword === "FROM");
const finalStage = froms.length - 1;
const final = instructions.filter((i) => i.stage === finalStage);
const build = instructions.filter((i) => i.stage === 0);

function only(list: typeof instructions, keyword: string) {
  const found = list.filter((i) => i.keyword === keyword);
  assert.equal(
    found.length,
    1,
    `expected exactly one ${keyword} in the stage, got ${found.length}`,
  );
  return found[0]!;
}

/** Image reference of a FROM line, without `--platform=...` and `AS name`. */
function fromImage(args: string): string {
  const words = args.split(/\s+/).filter((w) => !w.startsWith("--"));
  return words[0]!;
}

Deno.test("Dockerfile is multi-stage: deno 2.9.6 build stage, distroless cc nonroot runtime", () => {
  assert.equal(froms.length, 2);
  assert.equal(fromImage(froms[0]!.args), "denoland/deno:2.9.6");
  assert.match(froms[0]!.args, /\bAS build$/i);
  assert.equal(fromImage(froms[1]!.args), "gcr.io/distroless/cc-debian12:nonroot");
});

Deno.test("Dockerfile pins every base image by tag (no latest, no untagged)", () => {
  for (const from of froms) {
    const image = fromImage(from.args);
    assert.ok(isPinnedImage(image), `FROM ${image} is not pinned (tag: ${imageTag(image)})`);
  }
});

Deno.test("Dockerfile caches dependencies before copying the sources", () => {
  const copyLock = build.findIndex((i) => i.keyword === "COPY" && /deno\.lock/.test(i.args));
  const install = build.findIndex((i) =>
    i.keyword === "RUN" && /deno install --frozen/.test(i.args)
  );
  const copySrc = build.findIndex((i) => i.keyword === "COPY" && /\bsrc\//.test(i.args));
  assert.ok(
    copyLock >= 0 && install > copyLock,
    "deno install must follow COPY deno.json deno.lock",
  );
  assert.ok(copySrc > install, "COPY src/ must come after the dependency layer");
});

Deno.test("Dockerfile compiles main.ts for the target architecture", () => {
  const compile = build.find((i) => i.keyword === "RUN" && /deno compile/.test(i.args));
  assert.ok(compile, "no RUN deno compile in the build stage");
  assert.match(compile.args, /--frozen/);
  assert.match(compile.args, /--target "\$\{target\}"/);
  assert.match(compile.args, /amd64\) target=x86_64-unknown-linux-gnu/);
  assert.match(compile.args, /arm64\) target=aarch64-unknown-linux-gnu/);
  assert.match(compile.args, /--output \/out\/pgai main\.ts$/);
  assert.match(froms[0]!.args, /--platform=\$BUILDPLATFORM/);
});

Deno.test("Dockerfile runtime stage runs as the distroless nonroot user", () => {
  assert.equal(only(final, "USER").args, "nonroot");
  const copy = only(final, "COPY");
  assert.match(copy.args, /^--from=build .*\/out\/pgai \/pgai$/);
});

Deno.test("Dockerfile uses exec form for ENTRYPOINT, CMD and HEALTHCHECK", () => {
  assert.deepEqual(execForm(only(final, "ENTRYPOINT").args), ["/pgai", "vectorizer", "worker"]);
  assert.deepEqual(execForm(only(final, "CMD").args), ["--health-port", String(HEALTH_PORT)]);
  const health = only(final, "HEALTHCHECK").args;
  const cmd = /(?:^|\s)CMD\s+(\[.*\])$/.exec(health);
  assert.ok(cmd, `HEALTHCHECK without an exec-form CMD: ${health}`);
  assert.deepEqual(execForm(cmd[1]!), ["/pgai", "health", "--port", String(HEALTH_PORT)]);
  assert.match(health, /--interval=\d+s/);
});

Deno.test("Dockerfile exposes the health port and binds it on all interfaces", () => {
  assert.equal(only(final, "EXPOSE").args, String(HEALTH_PORT));
  const env = final.filter((i) => i.keyword === "ENV").map((i) => i.args).join(" ");
  assert.match(env, new RegExp(`PGAI_VECTORIZER_WORKER_HEALTH_PORT=${HEALTH_PORT}\\b`));
  assert.match(env, /PGAI_VECTORIZER_WORKER_HEALTH_HOST=0\.0\.0\.0\b/);
  assert.equal(only(final, "STOPSIGNAL").args, "SIGTERM");
});

Deno.test("Dockerfile labels the image with OCI annotations", () => {
  const labels = final.filter((i) => i.keyword === "LABEL").map((i) => i.args).join(" ");
  for (
    const key of ["title", "description", "version", "revision", "source", "base.name"]
  ) {
    assert.match(labels, new RegExp(`org\\.opencontainers\\.image\\.${key.replace(".", "\\.")}=`));
  }
});

Deno.test(".dockerignore sends only the sources and never a .env file", () => {
  const lines = readRepoFile(".dockerignore").split("\n").map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  assert.equal(lines[0], "*", "the context should start from nothing");
  for (const needed of ["!deno.json", "!deno.lock", "!main.ts", "!mod.ts", "!src/"]) {
    assert.ok(lines.includes(needed), `.dockerignore does not re-include ${needed}`);
  }
  assert.ok(lines.includes("**/.env"), ".dockerignore must exclude .env files");
  const reincluded = lines.filter((l) => l.startsWith("!"));
  const copied = build.filter((i) => i.keyword === "COPY").flatMap((i) =>
    i.args.split(/\s+/).slice(0, -1)
  );
  for (const source of copied) {
    assert.ok(reincluded.includes(`!${source}`), `COPY ${source} is excluded by .dockerignore`);
  }
});
