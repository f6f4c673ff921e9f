/**
 * Throwaway PostgreSQL databases for tests: `TUTTI_TEST_DATABASE_URL`, else the local server
 * (postgres://postgres@127.0.0.1:5432/postgres, trust auth). A test file creates one database
 * (`tutti_test_<random>`) and drops it after; when no server answers, the file skips and says why.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const ADMIN_URL = process.env.TUTTI_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/** The reason PostgreSQL tests skip, or null when a server answers. */
export async function pgUnavailable(): Promise<string | null> {
  const c = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return null;
  } catch (e) {
    return `no PostgreSQL at ${ADMIN_URL.replace(/:[^:@/]*@/, ':***@')} (${(e as Error).message}); set TUTTI_TEST_DATABASE_URL`;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** The URL of another database on the same server. */
function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Creates a database; returns its URL and a function dropping it (connections are terminated). */
export async function createTestDatabase(prefix = 'tutti_test'): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  return {
    name,
    url: withDatabase(ADMIN_URL, name),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
