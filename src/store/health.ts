/**
 * Store health: how a damaged or unreadable database is named (one line with a stable code and
 * the file, never a stack trace), and the shape of a store's self-check (`tutti doctor`).
 */
import { TuttiError } from '../core/errors.js';

/** What `Store.checkHealth()` found. */
export interface StoreHealth {
  ok: boolean;
  /** `sqlite` or `postgres`. */
  kind: string;
  /** The file, or the redacted URL. */
  location: string;
  /** One line: `ok`, or what is wrong (SQLite's `quick_check` findings, a connection error…). */
  detail: string;
  /** Applied and required schema versions. */
  schema: { applied: number; required: number };
}

/** SQLite result codes (better-sqlite3's `SqliteError.code`) that mean the file is damaged or not a database. */
const CORRUPT = /^SQLITE_(CORRUPT|NOTADB)/;
/** Codes that mean it cannot be read or written (permissions, I/O, a missing directory, a full disk). */
const UNREADABLE = /^SQLITE_(CANTOPEN|IOERR|READONLY|PERM|AUTH|FULL)/;

/**
 * The TuttiError naming a damaged (`ERR_STORE_CORRUPT`) or unreadable (`ERR_STORE_UNREADABLE`)
 * SQLite database, or null when `e` is neither (it is then rethrown as it is).
 */
export function sqliteFault(e: unknown, path: string): TuttiError | null {
  if (e instanceof TuttiError) return null;
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return null;
  const why = (e as Error).message.split('\n')[0]!.slice(0, 200);
  if (CORRUPT.test(code)) {
    return new TuttiError('ERR_STORE_CORRUPT', `ERR_STORE_CORRUPT: database ${path} is damaged (${why}): restore a backup (tutti backup) or move the file aside to start empty`, { details: { path, sqlite: code } });
  }
  if (UNREADABLE.test(code)) {
    return new TuttiError('ERR_STORE_UNREADABLE', `ERR_STORE_UNREADABLE: database ${path} cannot be used (${why}): check the file's permissions, its directory and the free space`, { details: { path, sqlite: code } });
  }
  return null;
}

/**
 * Wraps every method of `store` so a damaged-database error surfaces as {@link sqliteFault}'s
 * TuttiError, and records the first such fault in `onFault` (the store then reports itself unhealthy).
 */
export function guardSqliteMethods(store: object, path: string, onFault: (fault: TuttiError) => void): void {
  const proto = Object.getPrototypeOf(store) as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(proto)) {
    if (name === 'constructor') continue;
    const desc = Object.getOwnPropertyDescriptor(proto, name);
    if (!desc || typeof desc.value !== 'function') continue;
    const fn = desc.value as (...args: unknown[]) => unknown;
    const fail = (e: unknown): never => {
      const fault = sqliteFault(e, path);
      if (!fault) throw e;
      onFault(fault);
      throw fault;
    };
    Object.defineProperty(store, name, {
      configurable: true,
      writable: true,
      value: function guarded(this: unknown, ...args: unknown[]) {
        try {
          const r = fn.apply(this, args);
          return r instanceof Promise ? r.catch(fail) : r;
        } catch (e) {
          return fail(e);
        }
      },
    });
  }
}
