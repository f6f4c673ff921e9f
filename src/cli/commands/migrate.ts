/** `tutti migrate`: apply pending store migrations (they also run on first open). */
import type { Command } from 'commander';
import { SqliteStore } from '../../store/sqlite/index.js';
import { resolveSettings, type StoreFlags } from '../config.js';
import { EXIT } from '../errors.js';
import { handler, withStoreOptions } from '../io.js';

export function registerMigrate(program: Command): void {
  withStoreOptions(program.command('migrate').description('create or upgrade the database schema')).action(
    handler(async (flags: StoreFlags) => {
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
