/** Small I/O helpers of the CLI: reading plan files, printing JSON, options shared by commands. */
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { MAX_PLAN_BYTES, parsePlanText } from '../core/plan/parse.js';
import type { Plan } from '../core/plan/schema.js';
import { UsageError } from './errors.js';

/**
 * Reads a text file (`-`: stdin) of at most `maxBytes`; a larger regular file is refused before
 * it is read. @throws UsageError (unreadable, or too large)
 */
export function readTextFile(path: string, what: string, maxBytes: number): string {
  let text: string;
  try {
    if (path !== '-') {
      const fd = openSync(resolve(path), 'r');
      try {
        const st = fstatSync(fd);
        if (st.isFile() && st.size > maxBytes) throw new UsageError(`${what} ${path} is larger than ${maxBytes} bytes (${st.size})`);
        text = readFileSync(fd, 'utf8');
      } finally {
        closeSync(fd);
      }
    } else text = readFileSync(0, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (text.length > maxBytes) throw new UsageError(`${what} ${path} is larger than ${maxBytes} bytes`);
  return text;
}

/** Reads and parses a plan file (`-` reads stdin; at most {@link MAX_PLAN_BYTES}). @throws UsageError, PlanValidationError */
export function readPlanFile(path: string): Plan {
  return parsePlanText(readTextFile(path, 'plan', MAX_PLAN_BYTES), path);
}

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
