/**
 * `tutti backup FILE`: a consistent copy of the live SQLite store, taken with SQLite's online
 * backup while engines keep writing. Restore (docs/operations.md): stop every tutti process on
 * the store, replace the database file with the copy and delete its `-wal` and `-shm` files.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { openSqliteStore } from '../../store/sqlite/index.js';
import { resolveSettings, type StoreFlags } from '../config.js';
import { databaseUrlOf } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { handler, printJson, withStoreOptions } from '../io.js';

export function registerBackup(program: Command): void {
  withStoreOptions(
    program
      .command('backup')
      .description('write a consistent copy of the live SQLite store to FILE (engines may keep running)')
      .argument('<file>', 'where to write the copy (must not exist unless --force)')
      .option('--force', 'overwrite FILE')
      .option('--json', 'print { source, file, pages } as JSON'),
  ).action(
    handler(async (file: string, flags: StoreFlags & { databaseUrl?: string; force?: boolean; json?: boolean }) => {
      if (databaseUrlOf(flags)) throw new UsageError('tutti backup copies a SQLite store; back up PostgreSQL with pg_dump');
      const settings = resolveSettings(flags);
      const target = resolve(file);
      if (target === settings.dbPath) throw new UsageError(`the backup cannot be the database itself (${target})`);
      if (!existsSync(settings.dbPath)) throw new UsageError(`no database at ${settings.dbPath} (give --db or --data-dir)`);
      if (existsSync(target) && !flags.force) throw new UsageError(`${target} exists: choose another file or pass --force`);
      const store = openSqliteStore({ path: settings.dbPath, skipMigrations: true });
      try {
        const { pages } = await store.backup(target);
        if (flags.json) printJson({ source: settings.dbPath, file: target, pages });
        else process.stdout.write(`backed up ${settings.dbPath} to ${target} (${pages} pages)\n`);
        return EXIT.ok;
      } finally {
        await store.close();
      }
    }),
  );
}
