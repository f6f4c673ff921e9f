/**
 * A PostgreSQL store that loads `pg` on first use: `createEngine({ store: { databaseUrl } })` and
 * the CLI hold one without importing `pg`, so `import 'tutti'` stays free of it and SQLite-only
 * users never load it. The first call opens the pool and applies pending migrations (under the
 * advisory lock), as opening a SQLite store does.
 */
import { TuttiError } from '../../core/errors.js';
import type { Store } from '../types.js';
import type { PostgresStore, PostgresStoreOptions } from './index.js';

/** A Store whose methods forward to a PostgresStore created on first call. */
export type LazyPostgresStore = Store & {
  /** The loaded store (loads it, migrating unless `skipMigrations`). */
  load(): Promise<PostgresStore>;
};

/** @see LazyPostgresStore */
export function lazyPostgresStore(options: PostgresStoreOptions): LazyPostgresStore {
  let loading: Promise<PostgresStore> | null = null;
  let closed = false;
  const load = (): Promise<PostgresStore> => {
    if (closed) return Promise.reject(new TuttiError('ERR_STORE_CLOSED', 'the store is closed'));
    loading ??= import('./index.js').then((m) => m.openPostgresStore(options));
    loading.catch(() => {
      loading = null;
    });
    return loading;
  };
  const target = {
    kind: 'postgres',
    load,
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      if (loading) await (await loading.catch(() => null))?.close();
    },
    async migrate(): Promise<void> {
      if (loading) return (await load()).migrate();
      // Without skipMigrations, opening migrates already.
      const store = await load();
      if (options.skipMigrations) await store.migrate();
    },
  };
  return new Proxy(target, {
    has(t, prop) {
      return prop in t || (typeof prop === 'string' && prop !== 'then');
    },
    get(t, prop, receiver) {
      if (prop in t) return Reflect.get(t, prop, receiver) as unknown;
      if (typeof prop !== 'string' || prop === 'then') return undefined;
      return async (...args: unknown[]) => {
        const store = (await load()) as unknown as Record<string, (...a: unknown[]) => unknown>;
        const fn = store[prop];
        if (typeof fn !== 'function') throw new TypeError(`PostgresStore has no method ${prop}`);
        return fn.apply(store, args);
      };
    },
  }) as unknown as LazyPostgresStore;
}

/**
 * Opens a PostgreSQL store (loading `pg` now) and applies pending migrations.
 * @throws TuttiError `ERR_STORE_MIGRATION`
 */
export async function openPostgresStore(options: PostgresStoreOptions | string): Promise<PostgresStore> {
  return (await import('./index.js')).openPostgresStore(options);
}
