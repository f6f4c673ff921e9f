/** Helpers the peer adapters share: the size of a closed SQLite file. */
import { existsSync, statSync } from 'node:fs';
import { peerImport } from '../install.js';

/**
 * Bytes of a SQLite database once its WAL is folded in (`PRAGMA wal_checkpoint(TRUNCATE)`), as
 * tutti's W7 measures its own store. @param {string} file
 */
export async function sqliteBytes(file) {
  const { default: Database } = await peerImport('better-sqlite3');
  const db = new Database(file);
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  return statSync(file).size + (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);
}
