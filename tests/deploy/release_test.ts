// Static checks of the release pipeline: workflow, cross-compile script, tasks.
import assert from "node:assert/strict";
import { parse } from "yaml";
import { parseDockerfile, readRepoFile } from "./parsers.ts";

// deno-lint-ignore no-explicit-any
type Yaml = Record<string, any>;

const DENO_VERSION = "2.9.6";
const TARGETS = [
  "aarch64-apple-darwin",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "x86_64-pc-windows-msvc",
  "x86_64-unknown-linux-gnu",
];

const release = parse(readRepoFile(".github/workflows/release.yml")) as Yaml;
const ci = parse(readRepoFile(".github/workflows/ci.yml")) as Yaml;
const jobs = release.jobs as Record<string, Yaml>;
const steps = (job: string): Yaml[] => {
  assert.ok(jobs[job], `release.yml has no job '${job}'`);
  return jobs[job].steps as Yaml[];
};
const runs = (job: string) => steps(job).map((s) => String(s.run ?? "")).join("\n");
const uses = (job: string, action: string) =>
  steps(job).find((s) => String(s.uses ?? "").startsWith(`${action}@`));

Deno.test("release workflow runs on version tags", () => {
  assert.deepEqual(release.on, { push: { tags: ["v*"] } });
  assert.deepEqual(release.permissions, { contents: "read" });
  assert.match(runs("verify"), /deno\.json/);
  assert.match(runs("verify"), /GITHUB_REF_NAME/);
});

Deno.test("release workflow pins Deno 2.9.6 wherever it sets Deno up", () => {
  const setups = Object.values(jobs).flatMap((job) =>
    (job.steps as Yaml[]).filter((s) => String(s.uses ?? "").startsWith("denoland/setup-deno@"))
  );
  assert.ok(setups.length >= 3, "verify, binaries and jsr jobs set up Deno");
  for (const step of setups) assert.equal(step.with?.["deno-version"], DENO_VERSION);
});

Deno.test("release workflow pins every action by version tag", () => {
  for (const workflow of [release, ci]) {
    for (const job of Object.values(workflow.jobs as Record<string, Yaml>)) {
      for (const step of job.steps as Yaml[]) {
        if (step.uses === undefined) continue;
        assert.match(step.uses, /^[\w.-]+\/[\w.-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/, step.uses);
      }
    }
  }
});

Deno.test("release binaries cover the 5 targets and ship SHA-256 checksums", () => {
  const script = readRepoFile("scripts/compile-all.sh");
  const targets = [
    ...new Set(script.match(/\b[a-z0-9_]+-(?:unknown-linux-gnu|apple-darwin|pc-windows-msvc)\b/g)),
  ].sort();
  assert.deepEqual(targets, TARGETS);
  assert.match(script, /deno compile -A --frozen --target "\$target"/);
  assert.match(script, /sha256sum pgai-\* > SHA256SUMS/);
  assert.match(runs("binaries"), /scripts\/compile-all\.sh dist/);
  const upload = uses("binaries", "actions/upload-artifact");
  assert.match(String(upload?.with?.path), /dist\/SHA256SUMS/);
  const tasks = (JSON.parse(readRepoFile("deno.json")) as Yaml).tasks as Record<string, string>;
  assert.equal(tasks["compile:all"], "sh scripts/compile-all.sh dist");
});

Deno.test("release attaches the binaries and checksums to a GitHub release", () => {
  assert.deepEqual(jobs["github-release"]!.permissions, { contents: "write" });
  assert.deepEqual(jobs["github-release"]!.needs, ["verify", "binaries"]);
  const script = runs("github-release");
  assert.match(script, /sha256sum --check SHA256SUMS/);
  assert.match(script, /gh release create "\$\{GITHUB_REF_NAME\}" dist\/pgai-\* dist\/SHA256SUMS/);
});

Deno.test("release publishes to JSR with an OIDC token (provenance)", () => {
  assert.deepEqual(jobs.jsr!.permissions, { contents: "read", "id-token": "write" });
  assert.match(runs("jsr"), /^deno publish$/m);
  const denoJson = JSON.parse(readRepoFile("deno.json")) as Yaml;
  assert.equal(denoJson.name, "@pgai/worker");
  assert.equal(denoJson.exports["."], "./mod.ts");
});

Deno.test("release pushes a linux/amd64 + linux/arm64 image to ghcr.io", () => {
  assert.deepEqual(jobs.image!.permissions, { contents: "read", packages: "write" });
  assert.equal(uses("image", "docker/login-action")?.with?.registry, "ghcr.io");
  assert.match(uses("image", "docker/metadata-action")?.with?.images, /^ghcr\.io\//);
  const build = uses("image", "docker/build-push-action")?.with;
  assert.equal(build?.platforms, "linux/amd64,linux/arm64");
  assert.equal(build?.push, true);
  assert.ok(uses("image", "docker/setup-buildx-action"), "buildx is required for multi-arch");
});

Deno.test("Deno version agrees across Dockerfile, bootstrap and release", () => {
  const from = parseDockerfile(readRepoFile("Dockerfile")).find((i) => i.keyword === "FROM");
  assert.match(
    from?.args ?? "",
    new RegExp(`denoland/deno:${DENO_VERSION.replaceAll(".", "\\.")}\\b`),
  );
  assert.match(
    readRepoFile("scripts/bootstrap.sh"),
    new RegExp(`DENO_VERSION="\\$\\{DENO_VERSION:-${DENO_VERSION.replaceAll(".", "\\.")}\\}"`),
  );
});

Deno.test("ci workflow runs the project's CI entry point", () => {
  const step = (ci.jobs.test.steps as Yaml[]).find((s) => s.run !== undefined);
  assert.equal(step?.run, "bash .ci/run");
});
