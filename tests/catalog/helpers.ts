/**
 * Shared set-up for the catalog tests: a fresh database with our catalog installed, capture of
 * PostgreSQL errors (code + message) and of the notices/warnings a statement raises.
 */
import postgres from "postgres";
import { type TestDatabase, testDatabase } from "../support/pg.ts";
import { install } from "../../src/catalog/install.ts";

/** A test database with the catalog installed. */
export async function catalogDatabase(label: string): Promise<TestDatabase> {
  const db = await testDatabase(label);
  await install(db.sql);
  return db;
}

/** The SQLSTATE and primary message of a failed statement. */
export interface PgFailure {
  code: string;
  message: string;
}

/** Runs `run` and returns the PostgreSQL error it raised; fails the test if it succeeded. */
export async function pgFailure(run: () => Promise<unknown>): Promise<PgFailure> {
  try {
    await run();
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (e instanceof Error && typeof code === "string") return { code, message: e.message };
    throw e;
  }
  throw new Error("expected the statement to fail, it succeeded");
}

/** A notice or warning sent by the server. */
export interface ServerMessage {
  severity: string;
  message: string;
}

/**
 * A one-connection client on `url` that records the notices and warnings it receives; the
 * session runs with `client_min_messages = notice` so NOTICEs are not filtered.
 */
export function recordingClient(url: string): { sql: postgres.Sql; messages: ServerMessage[] } {
  const messages: ServerMessage[] = [];
  const sql = postgres(url, {
    max: 1,
    onnotice: (n) => messages.push({ severity: String(n.severity), message: String(n.message) }),
  });
  return { sql, messages };
}

/** A role name unique to this test process (roles are cluster-wide). */
export function uniqueRole(label: string): string {
  return `${label}_${Deno.pid}_${Math.floor(Math.random() * 1e6)}`;
}
