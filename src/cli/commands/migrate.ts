/** `tutti migrate`: apply pending store migrations (they also run on first open). */
import type { Command } from 'commander';
import { SqliteStore } from '../../store/sqlite/index.js';
import { resolveSettings, type StoreFlags } from '../config.js';
import { databaseUrlOf } from '../context.js';
import { EXIT } from '../errors.js';
import { handler, withStoreOptions } from '../io.js';

export function registerMigrate(program: Command): void {
  withStoreOptions(program.command('migrate').description('create or upgrade the database schema')).action(
    handler(async (flags: StoreFlags & { databaseUrl?: string }) => {
      const url = databaseUrlOf(flags);
      if (url) {
        // Loaded only here: SQLite users never load pg.
        const { PostgresStore, redactUrl } = await import('../../store/postgres/index.js');
        const pgStore = new PostgresStore({ connectionString: url, skipMigrations: true, poolSize: 1 });
        try {
          await pgStore.migrate();
          process.stdout.write(`${redactUrl(url)}: schema up to date\n`);
          return EXIT.ok;
        } finally {
          await pgStore.close();
        }
      }
      const settings = resolveSettings(flags);
      const store = new SqliteStore({ path: settings.dbPath, skipMigrations: true });
      try {
        await store.migrate();
        process.stdout.write(`${settings.dbPath}: schema up to date\n`);
        return EXIT.ok;
      } finally {
        await store.close();
      }
    }),
  );
}
