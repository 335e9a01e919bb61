// Static checks of the Kubernetes manifests in deploy/kubernetes/.
import assert from "node:assert/strict";
import { parse, parseAllDocuments } from "yaml";
import {
  HEALTH_PORT,
  isPinnedImage,
  memoryBytes,
  readRepoFile,
  repoPath,
  WORKER_SHUTDOWN_DEADLINE_SECONDS,
} from "./parsers.ts";

// deno-lint-ignore no-explicit-any
type Manifest = Record<string, any>;

const DIR = "deploy/kubernetes";
const kustomization = parse(readRepoFile(`${DIR}/kustomization.yaml`)) as Manifest;
const resources: Manifest[] = (kustomization.resources as string[]).flatMap((file) =>
  parseAllDocuments(readRepoFile(`${DIR}/${file}`)).map((doc) => doc.toJS() as Manifest)
);
const secretExample = parse(readRepoFile(`${DIR}/secret.example.yaml`)) as Manifest;

function byKind(kind: string): Manifest {
  const found = resources.filter((r) => r.kind === kind);
  assert.equal(found.length, 1, `expected one ${kind} in the kustomization, got ${found.length}`);
  return found[0]!;
}

const deployment = byKind("Deployment");
const pod = deployment.spec.template.spec;
const container = pod.containers[0];

Deno.test("kubernetes kustomization lists the Deployment, ConfigMap and PDB but not the Secret", () => {
  assert.deepEqual(resources.map((r) => r.kind).sort(), [
    "ConfigMap",
    "Deployment",
    "PodDisruptionBudget",
  ]);
  assert.equal(secretExample.kind, "Secret");
});

Deno.test("kubernetes manifests are namespace-agnostic", () => {
  for (const r of [...resources, secretExample]) {
    assert.equal(r.metadata.namespace, undefined, `${r.kind} sets a namespace`);
  }
  assert.equal(kustomization.namespace, undefined);
});

Deno.test("kubernetes Deployment runs 3 worker replicas of a pinned image", () => {
  assert.equal(deployment.spec.replicas, 3);
  assert.equal(pod.containers.length, 1);
  assert.ok(isPinnedImage(container.image), `image ${container.image} is not pinned`);
  const override = (kustomization.images as Manifest[]).find((i) =>
    i.name === container.image.split(":")[0]
  );
  assert.ok(override, "kustomization does not set the worker image");
  assert.match(override.newName, /^ghcr\.io\//);
  assert.ok(
    override.newTag && override.newTag !== "latest",
    "kustomization image tag must be pinned",
  );
  assert.deepEqual(container.args, ["--health-port", String(HEALTH_PORT)]);
});

Deno.test("kubernetes Deployment probes /healthz and /readyz on the health port", () => {
  const port = (container.ports as Manifest[]).find((p) => p.containerPort === HEALTH_PORT);
  assert.ok(port, `no containerPort ${HEALTH_PORT}`);
  const resolve = (p: string | number) => (p === port.name ? HEALTH_PORT : p);
  for (const [probe, path] of [["livenessProbe", "/healthz"], ["readinessProbe", "/readyz"]]) {
    const spec = container[probe!];
    assert.ok(spec?.httpGet, `${probe} must be an httpGet probe`);
    assert.equal(spec.httpGet.path, path, probe);
    assert.equal(resolve(spec.httpGet.port), HEALTH_PORT, probe);
  }
  const host = (container.env as Manifest[]).find((e) =>
    e.name === "PGAI_VECTORIZER_WORKER_HEALTH_HOST"
  );
  assert.equal(host?.value, "0.0.0.0", "probes reach the pod IP: bind on all interfaces");
});

Deno.test("kubernetes Deployment sets requests and a memory limit near the worker's budget", () => {
  const { requests, limits } = container.resources;
  assert.ok(requests?.cpu && requests?.memory, "requests for cpu and memory are required");
  const limit = memoryBytes(limits.memory);
  assert.ok(limit >= 128 * 1024 ** 2 && limit <= 512 * 1024 ** 2, `memory limit ${limits.memory}`);
  assert.ok(memoryBytes(requests.memory) <= limit);
});

Deno.test("kubernetes Deployment runs non-root, read-only, without privileges", () => {
  const sc = container.securityContext;
  assert.equal(sc.readOnlyRootFilesystem, true);
  assert.equal(sc.allowPrivilegeEscalation, false);
  assert.deepEqual(sc.capabilities.drop, ["ALL"]);
  assert.equal(sc.capabilities.add, undefined);
  assert.equal(sc.runAsNonRoot ?? pod.securityContext.runAsNonRoot, true);
  assert.equal(
    (sc.seccompProfile ?? pod.securityContext.seccompProfile)?.type,
    "RuntimeDefault",
  );
  assert.equal(pod.securityContext.runAsUser, 65532, "distroless nonroot uid");
  assert.equal(pod.automountServiceAccountToken, false);
  const tmp = (container.volumeMounts as Manifest[]).find((m) => m.mountPath === "/tmp");
  assert.ok(tmp, "a read-only root needs a writable /tmp for the code cache");
  const volume = (pod.volumes as Manifest[]).find((v) => v.name === tmp.name);
  assert.ok(volume?.emptyDir, "/tmp must be an emptyDir");
});

Deno.test("kubernetes Deployment leaves more than the shutdown deadline to terminate", () => {
  assert.ok(
    pod.terminationGracePeriodSeconds >= 2 * WORKER_SHUTDOWN_DEADLINE_SECONDS,
    `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds}`,
  );
});

Deno.test("kubernetes Deployment reads settings from the ConfigMap and secrets from the Secret", () => {
  const configMap = byKind("ConfigMap");
  const refs = container.envFrom as Manifest[];
  assert.equal(refs.find((r) => r.configMapRef)?.configMapRef.name, configMap.metadata.name);
  assert.equal(refs.find((r) => r.secretRef)?.secretRef.name, "pgai-worker-secrets");
  assert.equal(secretExample.metadata.name, "pgai-worker-secrets");
  for (const key of Object.keys(configMap.data)) {
    assert.match(key, /^PGAI_VECTORIZER_WORKER_/, `ConfigMap key ${key}`);
    assert.doesNotMatch(key, /DB_URL|API_KEY/, "secrets belong in the Secret");
  }
});

Deno.test("kubernetes Secret example holds placeholders only", () => {
  const data = secretExample.stringData as Record<string, string>;
  assert.ok(data.PGAI_VECTORIZER_WORKER_DB_URL, "the Secret carries the database URL");
  assert.ok("OPENAI_API_KEY" in data);
  for (const [key, value] of Object.entries(data)) {
    assert.match(value, /REPLACE_ME/, `${key} must be a placeholder`);
    assert.doesNotMatch(value, /sk-[A-Za-z0-9]{10,}/, `${key} looks like a real key`);
  }
});

Deno.test("kubernetes PodDisruptionBudget covers the worker pods and keeps most running", () => {
  const pdb = byKind("PodDisruptionBudget");
  assert.deepEqual(pdb.spec.selector.matchLabels, deployment.spec.selector.matchLabels);
  for (const [label, value] of Object.entries(deployment.spec.selector.matchLabels)) {
    assert.equal(deployment.spec.template.metadata.labels[label], value);
  }
  assert.equal(pdb.spec.maxUnavailable, 1);
});

const kubectl = (() => {
  try {
    return new Deno.Command("kubectl", {
      args: ["version", "--client"],
      stdout: "null",
      stderr: "null",
    })
      .outputSync().success;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "kubernetes kustomization builds with kubectl kustomize (skipped without kubectl)",
  ignore: !kubectl,
  fn() {
    const out = new Deno.Command("kubectl", { args: ["kustomize", repoPath(DIR)] }).outputSync();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const built = parseAllDocuments(new TextDecoder().decode(out.stdout)).map((d) =>
      d.toJS() as Manifest
    );
    const builtDeployment = built.find((d) => d.kind === "Deployment");
    const override = (kustomization.images as Manifest[])[0]!;
    assert.equal(
      builtDeployment?.spec.template.spec.containers[0].image,
      `${override.newName}:${override.newTag}`,
    );
  },
});
