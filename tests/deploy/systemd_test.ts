// Static checks of the systemd unit, plus `systemd-analyze verify` and
// `systemd-analyze security` when systemd-analyze is installed (Debian package
// `systemd`; the machine does not need to run systemd).
import assert from "node:assert/strict";
import {
  durationSeconds,
  parseUnitFile,
  readRepoFile,
  WORKER_SHUTDOWN_DEADLINE_SECONDS,
} from "./parsers.ts";

const UNIT_PATH = "deploy/systemd/pgai-vectorizer-worker.service";
const UNIT_NAME = "pgai-vectorizer-worker.service";
const INSTALLED_BINARY = "/usr/local/bin/pgai";
const text = readRepoFile(UNIT_PATH);
const unit = parseUnitFile(text);
const service = unit.get("Service") ?? new Map<string, string[]>();

/** The single value of a [Service] key. */
function value(key: string): string | undefined {
  const values = service.get(key);
  if (values === undefined) return undefined;
  assert.equal(values.length, 1, `${key} is set ${values.length} times`);
  return values[0];
}

Deno.test("systemd unit starts the worker with its health port", () => {
  assert.equal(value("ExecStart"), `${INSTALLED_BINARY} vectorizer worker --health-port 8080`);
  assert.equal(value("Type"), "exec");
  assert.deepEqual(unit.get("Install")?.get("WantedBy"), ["multi-user.target"]);
  assert.deepEqual(unit.get("Unit")?.get("After"), ["network-online.target"]);
});

Deno.test("systemd unit restarts on failure and stops gracefully within its timeout", () => {
  assert.equal(value("Restart"), "on-failure");
  assert.ok(durationSeconds(value("RestartSec") ?? "0") >= 1, "RestartSec");
  assert.equal(value("KillSignal"), "SIGTERM");
  const stop = durationSeconds(value("TimeoutStopSec") ?? "0");
  assert.ok(
    stop >= 2 * WORKER_SHUTDOWN_DEADLINE_SECONDS,
    `TimeoutStopSec ${stop}s must clearly exceed the ${WORKER_SHUTDOWN_DEADLINE_SECONDS}s deadline`,
  );
});

Deno.test("systemd unit reads secrets from an optional root-only environment file", () => {
  assert.equal(value("EnvironmentFile"), "-/etc/pgai/worker.env");
  for (const env of service.get("Environment") ?? []) {
    assert.doesNotMatch(env, /API_KEY|DB_URL|PASSWORD/, "secrets must not be inline");
  }
  // LoadCredential= fails the start when its file is missing; it is documented, not enabled.
  assert.equal(service.get("LoadCredential"), undefined);
  assert.match(text, /LoadCredential=openai-api-key:\/etc\/pgai\/openai-api-key/);
  assert.match(text, /\$CREDENTIALS_DIRECTORY/);
});

Deno.test("systemd unit is hardened", () => {
  const expected: Record<string, string> = {
    DynamicUser: "yes",
    NoNewPrivileges: "yes",
    CapabilityBoundingSet: "",
    AmbientCapabilities: "",
    ProtectSystem: "strict",
    ProtectHome: "yes",
    PrivateTmp: "yes",
    PrivateDevices: "yes",
    PrivateMounts: "yes",
    PrivateUsers: "yes",
    ProtectKernelTunables: "yes",
    ProtectKernelModules: "yes",
    ProtectKernelLogs: "yes",
    ProtectControlGroups: "yes",
    ProtectClock: "yes",
    ProtectHostname: "yes",
    ProtectProc: "invisible",
    LockPersonality: "yes",
    RestrictNamespaces: "yes",
    RestrictRealtime: "yes",
    RestrictSUIDSGID: "yes",
    SystemCallArchitectures: "native",
    UMask: "0077",
  };
  for (const [key, want] of Object.entries(expected)) {
    assert.equal(value(key), want, `${key}=`);
  }
  assert.deepEqual(
    value("RestrictAddressFamilies")?.split(/\s+/).sort(),
    ["AF_INET", "AF_INET6", "AF_UNIX"],
  );
  assert.ok(service.get("SystemCallFilter")?.includes("@system-service"));
  assert.ok(value("MemoryMax"), "a memory ceiling is set");
});

Deno.test("systemd unit never sets MemoryDenyWriteExecute (V8's JIT needs W+X memory)", () => {
  for (const [section, keys] of unit) {
    assert.equal(keys.get("MemoryDenyWriteExecute"), undefined, `[${section}]`);
  }
  assert.match(text, /MemoryDenyWriteExecute[^\n]*\n#[^\n]*JIT/, "the reason is documented");
});

const systemdAnalyze = (() => {
  try {
    return new Deno.Command("systemd-analyze", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .outputSync().success;
  } catch {
    return false;
  }
})();
const NO_SYSTEMD = "skipped: systemd-analyze not installed (apt-get install systemd)";

/**
 * Copies the unit into a temporary directory with ExecStart pointing at a stub
 * executable there (verify requires the binary to exist), runs
 * `systemd-analyze <args> <unit>` and cleans up.
 */
function analyze(args: string[]): { code: number; stdout: string; stderr: string } {
  const dir = Deno.makeTempDirSync({ prefix: "pgai-unit-" });
  try {
    const stub = `${dir}/pgai`;
    Deno.writeTextFileSync(stub, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    Deno.writeTextFileSync(`${dir}/${UNIT_NAME}`, text.replaceAll(INSTALLED_BINARY, stub));
    const out = new Deno.Command("systemd-analyze", { args: [...args, `./${UNIT_NAME}`], cwd: dir })
      .outputSync();
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

Deno.test({
  name: `systemd-analyze verify accepts the unit without warnings (${
    systemdAnalyze ? "systemd-analyze found" : NO_SYSTEMD
  })`,
  ignore: !systemdAnalyze,
  fn() {
    const result = analyze(["verify"]);
    assert.equal(result.code, 0, result.stderr);
    // Unknown keys and bad values are only warnings (exit 0): any output is a defect.
    assert.equal(result.stderr.trim(), "");
    assert.equal(result.stdout.trim(), "");
  },
});

Deno.test({
  name: `systemd-analyze security rates the unit's exposure at most 2.0 (${
    systemdAnalyze ? "systemd-analyze found" : NO_SYSTEMD
  })`,
  ignore: !systemdAnalyze,
  fn() {
    // --threshold is in tenths: exit status is non-zero above an exposure of 2.0.
    const result = analyze(["security", "--offline=yes", "--threshold=20", "--no-pager"]);
    const overall = /Overall exposure level for \S+: ([\d.]+)/.exec(result.stdout);
    assert.ok(overall, `no exposure level in output:\n${result.stdout}${result.stderr}`);
    assert.ok(Number(overall[1]) <= 2.0, `exposure ${overall[1]}`);
    assert.equal(result.code, 0, result.stdout);
  },
});
