/**
 * The SQLite connection the store uses, through one thin interface: better-sqlite3 under Node,
 * `bun:sqlite` under Bun (where better-sqlite3 does not load), chosen automatically. The store's
 * code is the same on both; only this file knows which library is underneath. The interface is
 * better-sqlite3's synchronous API, the part the store uses: prepared statements (`run`, `get`,
 * `all`, `iterate`, `pluck`, `raw`), `exec`, `pragma`, `transaction` (`.immediate()`),
 * `loadExtension`, `close`.
 */
import { createRequire } from 'node:module';

/** What a write answers. */
export interface SqliteRunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

/** A prepared statement. Parameters: positional values, or one object for `@name` parameters. */
export interface SqliteStatement {
  run(...params: unknown[]): SqliteRunResult;
  /** The first row; undefined when there is none. */
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
  /** Rows read as their first column (this statement, from now on). */
  pluck(toggle?: boolean): this;
  /** Rows read as arrays of column values (this statement, from now on). */
  raw(toggle?: boolean): this;
}

/** A function run in one transaction; `immediate()` takes the write lock at once. */
export interface SqliteTransaction<F extends (...args: never[]) => unknown> {
  (...args: Parameters<F>): ReturnType<F>;
  immediate(...args: Parameters<F>): ReturnType<F>;
  deferred(...args: Parameters<F>): ReturnType<F>;
  exclusive(...args: Parameters<F>): ReturnType<F>;
}

/** An open database. */
export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): unknown;
  /** Runs `PRAGMA <source>`; rows (`simple`: the first column of the first row). */
  pragma(source: string, options?: { simple?: boolean }): unknown;
  /** Writes a consistent copy of the database to `destination` (online: writers may go on). */
  backup(destination: string): Promise<{ totalPages: number }>;
  transaction<F extends (...args: never[]) => unknown>(fn: F): SqliteTransaction<F>;
  loadExtension(path: string): unknown;
  close(): unknown;
}

/** Which library is underneath: `bun:sqlite` under Bun, better-sqlite3 elsewhere. */
export const SQLITE_LIBRARY: 'bun:sqlite' | 'better-sqlite3' = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined' ? 'bun:sqlite' : 'better-sqlite3';

const require = createRequire(import.meta.url);

/**
 * Opens a database file (created when missing), or `:memory:`.
 * @param options.timeoutMs how long a statement waits for another connection's lock, ms.
 */
export function openDatabase(path: string, options: { timeoutMs: number }): SqliteDatabase {
  if (SQLITE_LIBRARY === 'better-sqlite3') {
    const Database = require('better-sqlite3') as new (path: string, options: { timeout: number }) => SqliteDatabase;
    return new Database(path, { timeout: options.timeoutMs });
  }
  return openBun(path, options.timeoutMs);
}

// --- bun:sqlite ------------------------------------------------------------------------------

interface BunStatement {
  run(...params: unknown[]): SqliteRunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  values(...params: unknown[]): unknown[][];
  iterate?(...params: unknown[]): IterableIterator<unknown>;
}

interface BunDatabase {
  prepare(sql: string): BunStatement;
  exec(sql: string): unknown;
  transaction<F extends (...args: never[]) => unknown>(fn: F): SqliteTransaction<F>;
  loadExtension(path: string): unknown;
  close(): unknown;
}

/** better-sqlite3 gives `undefined` for no row and Buffers for BLOBs; bun:sqlite gives null and Uint8Arrays. */
function cell(v: unknown): unknown {
  return v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v;
}

function row(r: unknown): unknown {
  if (r === null || r === undefined) return undefined;
  if (Array.isArray(r)) return r.map(cell);
  const o = r as Record<string, unknown>;
  for (const k in o) o[k] = cell(o[k]);
  return o;
}

class BunStatementAdapter implements SqliteStatement {
  readonly #s: BunStatement;
  #pluck = false;
  #raw = false;

  constructor(s: BunStatement) {
    this.#s = s;
  }

  pluck(toggle = true): this {
    this.#pluck = toggle;
    if (toggle) this.#raw = false;
    return this;
  }

  raw(toggle = true): this {
    this.#raw = toggle;
    if (toggle) this.#pluck = false;
    return this;
  }

  run(...params: unknown[]): SqliteRunResult {
    return this.#s.run(...params);
  }

  get(...params: unknown[]): unknown {
    if (this.#pluck || this.#raw) {
      const first = this.#s.values(...params)[0];
      if (first === undefined) return undefined;
      return this.#pluck ? cell(first[0]) : row(first);
    }
    return row(this.#s.get(...params));
  }

  all(...params: unknown[]): unknown[] {
    if (this.#pluck) return this.#s.values(...params).map((r) => cell(r[0]));
    if (this.#raw) return this.#s.values(...params).map(row);
    return this.#s.all(...params).map(row);
  }

  *iterate(...params: unknown[]): IterableIterator<unknown> {
    if (this.#pluck || this.#raw || !this.#s.iterate) {
      yield* this.all(...params);
      return;
    }
    for (const r of this.#s.iterate(...params)) yield row(r);
  }
}

function openBun(path: string, timeoutMs: number): SqliteDatabase {
  // Named parameters without their prefix (`{ id }` for `@id`), as better-sqlite3 binds them.
  const { Database } = require('bun:sqlite') as { Database: new (path: string, options: { create: boolean; strict: boolean }) => BunDatabase };
  const db = new Database(path, { create: true, strict: true });
  db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(timeoutMs))}`);
  return {
    prepare: (sql) => new BunStatementAdapter(db.prepare(sql)),
    exec: (sql) => db.exec(sql),
    pragma: (source, options) => {
      const rows = db.prepare(`PRAGMA ${source}`).all() as Array<Record<string, unknown>>;
      return options?.simple ? Object.values(rows[0] ?? {})[0] : rows;
    },
    // bun:sqlite has no online backup API: VACUUM INTO writes a consistent copy (one transaction).
    backup: async (destination) => {
      db.prepare('VACUUM INTO ?').run(destination);
      const pages = db.prepare('PRAGMA page_count').values()[0]?.[0];
      return { totalPages: Number(pages ?? 0) };
    },
    transaction: (fn) => db.transaction(fn),
    loadExtension: (p) => db.loadExtension(p),
    close: () => db.close(),
  };
}
