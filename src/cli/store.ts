/**
 * The store of a command that only reads runs (`tutti list`): opened without an engine, drivers or
 * the memory plane, so the command starts in a fraction of the time `openEngine` takes.
 */
import { SqliteStore } from '../store/sqlite/index.js';
import { lazyPostgresStore } from '../store/postgres/lazy.js';
import type { Store } from '../store/types.js';
import { resolveSettings, type ResolvedCliSettings, type StoreFlags } from './config.js';

/** The store flags of every command, and the engine's. */
export interface EngineFlags extends StoreFlags {
  concurrency?: number;
  /** PostgreSQL instead of SQLite (`--database-url`, env TUTTI_DATABASE_URL). */
  databaseUrl?: string;
}

/** The command's store (SQLite at the resolved path, or PostgreSQL with `--database-url`). Close it when done. */
export function openStore(flags: EngineFlags): { store: Store; settings: ResolvedCliSettings } {
  const settings = resolveSettings(flags);
  const databaseUrl = databaseUrlOf(flags);
  return { store: databaseUrl ? lazyPostgresStore({ connectionString: databaseUrl }) : new SqliteStore({ path: settings.dbPath }), settings };
}

/** The PostgreSQL database a command uses (`--database-url`, else env TUTTI_DATABASE_URL), or undefined for SQLite. */
export function databaseUrlOf(flags: { databaseUrl?: string }, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return flags.databaseUrl || env.TUTTI_DATABASE_URL || undefined;
}
