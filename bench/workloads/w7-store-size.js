/**
 * W7: store size after W1: (database file after `PRAGMA wal_checkpoint(TRUNCATE)` − the file of
 * an empty store) / N, for N = 1,000 and 10,000. Reuses W1's stores when W1 ran in the same
 * invocation.
 */
import { atMost, row } from '../lib/rows.js';
import { removeDir, startEngine, storeBytes } from '../lib/tutti.js';
import { chainOnce } from './w1-chain.js';

export const id = 'W7';
export const title = 'store bytes per task after W1';

async function emptyStoreBytes() {
  const { engine, dir, dbPath } = await startEngine();
  await engine.stop();
  const b = await storeBytes(dbPath);
  removeDir(dir);
  return b.db;
}

/** @param {import('../run.js').Context} ctx */
export async function run(ctx) {
  const empty = await emptyStoreBytes();
  const per = {};
  const raw = {};
  for (const n of [1000, 10000]) {
    raw[n] = ctx.cache.storeBytes[n] ?? (await chainOnce(n, { measureStore: true })).bytes.db;
    per[n] = (raw[n] - empty) / n;
  }
  const ratio = per[10000] / per[1000];
  ctx.log(`W7: empty store ${empty} B; N=1k ${raw[1000]} B; N=10k ${raw[10000]} B`);
  const note = (n) => `db file ${(raw[n] / 1024 / 1024).toFixed(2)} MiB after checkpoint, empty store ${Math.round(empty / 1024)} KiB`;
  return [
    row('W7', 'bytes per task, N=10,000', 'B', [per[10000]], { target: atMost(2048, '≤ 2 KB'), note: note(10000) }),
    row('W7', 'bytes per task, N=1,000', 'B', [per[1000]], { target: atMost(2048, '≤ 2 KB'), note: note(1000) }),
    row('W7', 'per-task size N=10k / N=1k', '×', [ratio], { target: atMost(1.2, '≤ 1.2 (constant)'), note: 'each N measured once' }),
  ];
}
