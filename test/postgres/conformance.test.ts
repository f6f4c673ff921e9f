/** The store conformance suite, unchanged, against PostgreSQL: one database per file, one schema per test. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { describeStoreConformance } from '../../src/store/conformance/index.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { createTestDatabase, pgUnavailable } from './pg-test-db.js';

const unavailable = await pgUnavailable();

if (unavailable) {
  describe('Store conformance: PostgresStore', () => {
    it.skip(`skipped: ${unavailable}`, () => undefined);
  });
} else {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });
  describeStoreConformance({
    name: 'PostgresStore',
    createStore: async () => new PostgresStore({ connectionString: db.url, schema: `s_${randomBytes(5).toString('hex')}`, poolSize: 4 }),
    destroyStore: async (store) => {
      await store.close();
      const schema = (store as PostgresStore).schema;
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    },
  });
}
