/**
 * Keeps secrets out of logs and error messages. Every log event and field passes through
 * `maskSecrets`, which hides the password of any URL with credentials (database URLs above
 * all), `password=...` settings of libpq connection strings, and every value registered as a
 * secret (API keys, the database password, variables such as `OPENAI_API_KEY`).
 */

const MASK = "****";

/** Secrets shorter than this are not registered: masking them would garble ordinary text. */
export const MIN_SECRET_LENGTH = 4;

// `scheme://user:password@`: the password runs to the last `@` before whitespace, so a password
// with unencoded `@`, `/` or quotes is hidden entirely (at worst more than the password is).
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@]*):(\S*)@/gi;
// `password=secret`, `password = 'quoted \' secret'`, `PGPASSWORD=...`, `?password=...`.
const PASSWORD_SETTING = /(\w*password\s*=\s*)('(?:[^'\\]|\\[^])*'?|\S+)/gi;
const SECRET_ENV_NAME = /(?:_KEY|_TOKEN|_SECRET|_PASSWORD|^PGPASSWORD)$/i;

const secrets = new Set<string>();
let longestFirst: string[] = [];

/**
 * Registers a value to be masked wherever it appears in logged text (empty and very short
 * values are ignored). Call it for every API key or password the process handles.
 */
export function registerSecret(value: string | undefined): void {
  if (value === undefined || value.length < MIN_SECRET_LENGTH || secrets.has(value)) return;
  secrets.add(value);
  longestFirst = [...secrets].sort((a, b) => b.length - a.length);
}

/** Whether an environment variable's name says it holds a secret (`*_API_KEY`, `*_TOKEN`, ...). */
export function isSecretEnvName(name: string): boolean {
  return SECRET_ENV_NAME.test(name);
}

/** Registers the values of all environment variables whose names mark them as secrets. */
export function registerEnvSecrets(env: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(env)) {
    if (isSecretEnvName(name)) registerSecret(value);
  }
}

/**
 * Registers the password of a database URL or libpq connection string (as written and, for a
 * URL, percent-decoded) so it is masked even where it shows up outside the URL.
 */
export function registerDbUrlSecrets(dbUrl: string): void {
  for (const match of dbUrl.matchAll(URL_CREDENTIALS)) {
    const password = match[2] ?? "";
    registerSecret(password);
    try {
      registerSecret(decodeURIComponent(password));
    } catch {
      // not valid percent-encoding: the raw form is registered already
    }
  }
  for (const match of dbUrl.matchAll(PASSWORD_SETTING)) {
    const raw = match[2] ?? "";
    registerSecret(raw);
    if (raw.startsWith("'")) registerSecret(raw.slice(1, raw.endsWith("'") ? -1 : undefined));
  }
}

/** Masks the password of a database URL or connection string: `postgres://u:****@host/db`. */
export function maskDbUrl(dbUrl: string): string {
  return dbUrl.replace(URL_CREDENTIALS, `$1:${MASK}@`).replace(PASSWORD_SETTING, `$1${MASK}`);
}

/** Masks URL passwords, `password=` settings and registered secrets anywhere in `text`. */
export function maskSecrets(text: string): string {
  let masked = text;
  if (masked.includes("://") || /password/i.test(masked)) masked = maskDbUrl(masked);
  for (const secret of longestFirst) {
    if (masked.includes(secret)) masked = masked.replaceAll(secret, MASK);
  }
  return masked;
}
