/**
 * Options and helpers every command shares, free of the plan parser: read-only commands
 * (`tutti list`) import these without loading the schema library.
 */
import type { Command } from 'commander';
import { UsageError } from './errors.js';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Adds --db, --database-url, --data-dir and --config. */
export function withStoreOptions(cmd: Command): Command {
  return cmd
    .option('--db <path>', 'SQLite database file (env TUTTI_DB; default <data-dir>/tutti.db)')
    .option('--database-url <url>', 'PostgreSQL database instead of SQLite, shared by workers on many machines (env TUTTI_DATABASE_URL)')
    .option('--data-dir <dir>', 'directory for the database, logs and blobs (env TUTTI_DATA_DIR; default ~/.tutti, or the directory of --db)')
    .option('--config <file>', 'config file with agents and limits (env TUTTI_CONFIG; default ./tutti.config.{yaml,yml,json})');
}

export function parsePositiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${name} must be a positive integer, got '${value}'`);
    return n;
  };
}

export function parsePositiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) throw new UsageError(`${name} must be a non-negative number, got '${value}'`);
    return n;
  };
}

/** Wraps a command action that returns its exit code. */
export function handler<A extends unknown[]>(fn: (...args: A) => Promise<number>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    process.exitCode = await fn(...args);
  };
}
