// docs/deploy.md must keep one section per way of running, and its commands
// must name the files and values the shipped configurations really use.
import assert from "node:assert/strict";
import { parse } from "yaml";
import { readRepoFile } from "./parsers.ts";

const doc = readRepoFile("docs/deploy.md");
const headings = [...doc.matchAll(/^## (.+)$/gm)].map((m) => m[1]);

Deno.test("deploy guide has a section for each way of running", () => {
  for (
    const section of [
      "Downloaded binary",
      "Deno from JSR",
      "Docker",
      "Docker Compose",
      "systemd",
      "Kubernetes",
      "Library",
    ]
  ) {
    assert.ok(headings.includes(section), `missing section '## ${section}'`);
  }
});

Deno.test("deploy guide shows the JSR commands and the library import", () => {
  assert.match(doc, /deno run -A jsr:@pgai\/worker vectorizer worker/);
  assert.match(doc, /import \{ Worker \} from "jsr:@pgai\/worker@0\.12\.1";/);
  const version = (JSON.parse(readRepoFile("deno.json")) as { version: string }).version;
  assert.equal(version, "0.12.1", "update the pinned versions in docs/deploy.md");
});

Deno.test("deploy guide names the release assets the compile script produces", () => {
  const script = readRepoFile("scripts/compile-all.sh");
  const targets = new Set(
    script.match(/\b[a-z0-9_]+-(?:unknown-linux-gnu|apple-darwin|pc-windows-msvc)\b/g),
  );
  assert.equal(targets.size, 5);
  for (const target of targets) {
    const asset = target.includes("windows") ? `pgai-${target}.exe` : `pgai-${target}`;
    assert.ok(doc.includes(`\`${asset}\``), `docs do not list ${asset}`);
  }
});

Deno.test("deploy guide uses the compose service names that exist", () => {
  const services = Object.keys(
    (parse(readRepoFile("compose.yaml")) as { services: Record<string, unknown> }).services,
  );
  for (const used of doc.matchAll(/docker compose (?:logs -f|exec) (\S+)/g)) {
    assert.ok(services.includes(used[1]!), `docs use unknown compose service '${used[1]}'`);
  }
});
