/**
 * Version numbers of pgai catalogs and vectorizer configs.
 *
 * pgai compares `extversion`, `pgai_lib_version.version` and `config.version` as semantic
 * versions (after dropping a `-dev` suffix for configs). Only the ordering matters to the worker:
 * outdated-catalog warnings (contract §2.2) and the config migration threshold (§5).
 */

/** The pgai version this worker implements (recorded by `ai._worker_start`). */
export const PGAI_VERSION = "0.12.1";

/** Raised for a version string that is not `MAJOR.MINOR.PATCH[-pre][+build]`. */
export class VersionFormatError extends Error {
  constructor(version: string) {
    super(`'${version}' is not a valid semantic version`);
    this.name = "VersionFormatError";
  }
}

interface Parsed {
  core: [number, number, number];
  pre: string[];
}

const SEMVER = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

function parse(version: string): Parsed {
  const m = SEMVER.exec(version.trim());
  if (!m) throw new VersionFormatError(version);
  return {
    core: [Number(m[1]), Number(m[2]), Number(m[3])],
    pre: m[4] === undefined ? [] : m[4].split("."),
  };
}

/** Whether `version` parses as a semantic version. */
export function isSemver(version: string): boolean {
  return SEMVER.test(version.trim());
}

/**
 * Compares two semantic versions: negative when `a < b`, 0 when equal, positive when `a > b`.
 * Pre-release versions sort before their release (`0.10.0-dev < 0.10.0`).
 * @throws VersionFormatError when either is not a semantic version
 */
export function compareVersions(a: string, b: string): number {
  const pa = parse(a);
  const pb = parse(b);
  for (let i = 0; i < 3; i++) {
    const d = pa.core[i]! - pb.core[i]!;
    if (d !== 0) return d;
  }
  if (pa.pre.length === 0 || pb.pre.length === 0) return pb.pre.length - pa.pre.length;
  const n = Math.max(pa.pre.length, pb.pre.length);
  for (let i = 0; i < n; i++) {
    const x = pa.pre[i];
    const y = pb.pre[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    if (xn && yn) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
    } else if (xn !== yn) {
      return xn ? -1 : 1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}
