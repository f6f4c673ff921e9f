/**
 * Vector search of the SQLite memory store.
 *
 * - A run's scope is searched exactly: its vectors are read from `memory_vectors` and ranked by
 *   dot product (unit vectors: cosine similarity).
 * - The global scope goes through an IVF index kept in SQLite: k-means centroids
 *   (`memory_ivf`) and one sqlite-vec `vec0` table per model and generation whose partition key
 *   is the inverted list. A query ranks the centroids, then asks vec0 for the k nearest vectors
 *   within the `nprobe` best lists only. Until a model has {@link IVF_TRAIN_MIN} vectors its index
 *   has one list, searched exhaustively (exact).
 * - `maintainIndex()` trains a new generation when the model has grown {@link IVF_GROWTH}× since
 *   the last training, copies the vectors into it in small transactions (writers keep both
 *   generations current meanwhile), then swaps it in. It is cooperative (yields to the event loop)
 *   and resumable: a build left by a dead process is taken over after {@link BUILD_STALE_MS}.
 */
import type { SqliteDatabase, SqliteStatement } from './driver.js';
import { createRequire } from 'node:module';
import { TuttiError, errorMessage } from '../../core/errors.js';
import type { MemoryScope } from '../memory-types.js';
import { nearest, trainKMeans } from './kmeans.js';
import { TopK, dotAt, fromBlob, toBlob } from './vectors.js';

/** Vectors a model needs before its index is trained (below: one list, exact). */
export const IVF_TRAIN_MIN = 8192;
/** A model is re-trained once it holds this many times the vectors of its last training. */
export const IVF_GROWTH = 4;
/** A build not advanced for this long (its process died) may be taken over, ms. */
export const BUILD_STALE_MS = 60_000;

/** Tunables of the IVF index (defaults chosen with `bench/workloads/w8-memory.js`; see docs/memory.md). */
export interface IvfParams {
  /** Lists per √N vectors at training. @default 1 */
  listsPerSqrtN: number;
  /** Lists probed per query, as a fraction of nlist (at least `minProbe`). @default 0.06 */
  probeFraction: number;
  /** @default 8 */
  minProbe: number;
  /** Training sample: this many points per list (at most all vectors). @default 24 */
  samplePerList: number;
  /** k-means iterations. @default 6 */
  iterations: number;
}

export const DEFAULT_IVF_PARAMS: IvfParams = { listsPerSqrtN: 1, probeFraction: 0.06, minProbe: 8, samplePerList: 24, iterations: 6 };

interface AnnRow {
  model_id: number;
  generation: number;
  nlist: number;
  trained_count: number;
  next_generation: number | null;
  next_nlist: number | null;
  next_upto: number | null;
  next_touched_at: number | null;
}

const vecLoaded = new WeakMap<SqliteDatabase, true>();

/** Loads sqlite-vec into the connection once. @throws TuttiError `ERR_STORE_MIGRATION` when the extension cannot load. */
function ensureVec(db: SqliteDatabase): void {
  if (vecLoaded.has(db)) return;
  try {
    // Loaded on first use through its CommonJS entry: the ESM entry imports `node:process`, whose
    // facade touches process.stdin/stderr and so opens handles at import time.
    const sqliteVec = createRequire(import.meta.url)('sqlite-vec') as { load(db: SqliteDatabase): void };
    sqliteVec.load(db);
  } catch (e) {
    throw new TuttiError('ERR_STORE_MIGRATION', `the sqlite-vec extension could not be loaded (${errorMessage(e)}); memory vector search needs it on this platform`, { cause: e });
  }
  vecLoaded.set(db, true);
}

const tableName = (modelId: number, generation: number) => `memory_ann_${modelId}_${generation}`;

const statementCache = new WeakMap<SqliteDatabase, Map<string, SqliteStatement>>();

/** A prepared statement, cached per connection (vec0 table names vary, so statements are keyed by SQL). */
function sql(db: SqliteDatabase, text: string): SqliteStatement {
  let byText = statementCache.get(db);
  if (!byText) statementCache.set(db, (byText = new Map()));
  let s = byText.get(text);
  if (!s) {
    s = db.prepare(text);
    byText.set(text, s);
  }
  return s;
}

function dropTable(db: SqliteDatabase, table: string): void {
  forgetStatements(db, table);
  db.exec(`DROP TABLE IF EXISTS ${table}`);
}

/** Forgets cached statements of a dropped table (a statement must not outlive its table). */
function forgetStatements(db: SqliteDatabase, table: string): void {
  const byText = statementCache.get(db);
  if (!byText) return;
  for (const k of byText.keys()) if (k.includes(table)) byText.delete(k);
}

function annRow(db: SqliteDatabase, modelId: number): AnnRow | undefined {
  return sql(db, `SELECT * FROM memory_ann WHERE model_id = ?`).get(modelId) as AnnRow | undefined;
}

function createListTable(db: SqliteDatabase, modelId: number, generation: number, dim: number): void {
  // chunk_size 64: lists are small, and vec0 allocates whole chunks per partition.
  db.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS ${tableName(modelId, generation)} USING vec0(list INTEGER PARTITION KEY, embedding float[${dim}] distance_metric=cosine, chunk_size=64)`);
}

/** Centroids of a generation, cached per connection (generations are immutable once written). */
const centroidCache = new WeakMap<SqliteDatabase, Map<string, Float32Array>>();

function centroids(db: SqliteDatabase, modelId: number, generation: number, nlist: number, dim: number): Float32Array {
  let byGen = centroidCache.get(db);
  if (!byGen) centroidCache.set(db, (byGen = new Map()));
  const key = `${modelId}/${generation}`;
  let c = byGen.get(key);
  if (!c) {
    c = new Float32Array(nlist * dim);
    for (const r of sql(db, `SELECT list, centroid FROM memory_ivf WHERE model_id = ? AND generation = ?`).iterate(modelId, generation) as Iterable<{ list: number; centroid: Buffer }>) {
      c.set(fromBlob(r.centroid), r.list * dim);
    }
    byGen.set(key, c);
  }
  return c;
}

function insertInto(db: SqliteDatabase, modelId: number, generation: number, nlist: number, seq: number, vec: Float32Array): void {
  const list = nlist === 1 ? 0 : nearest(centroids(db, modelId, generation, nlist, vec.length), nlist, vec);
  sql(db, `INSERT INTO ${tableName(modelId, generation)} (rowid, list, embedding) VALUES (?, ?, ?)`).run(BigInt(seq), BigInt(list), vec);
}

/** Adds a memory's vector (inside the caller's transaction). */
export function indexAdd(db: SqliteDatabase, modelId: number, seq: number, vec: Float32Array): void {
  ensureVec(db);
  sql(db, `INSERT INTO memory_vectors (seq, model_id, vec) VALUES (?, ?, ?)`).run(seq, modelId, toBlob(vec));
  let ann = annRow(db, modelId);
  if (!ann) {
    createListTable(db, modelId, 0, vec.length);
    sql(db, `INSERT INTO memory_ann (model_id, generation, nlist, trained_count) VALUES (?, 0, 1, 0)`).run(modelId);
    ann = annRow(db, modelId)!;
  }
  insertInto(db, modelId, ann.generation, ann.nlist, seq, vec);
  // A generation being built already holds every vector up to next_upto: keep it complete.
  if (ann.next_generation !== null && ann.next_upto !== null && seq <= ann.next_upto) insertInto(db, modelId, ann.next_generation, ann.next_nlist!, seq, vec);
}

/** Removes a memory's vector, if it has one (inside the caller's transaction). */
export function indexRemove(db: SqliteDatabase, seq: number): void {
  const row = sql(db, `SELECT model_id FROM memory_vectors WHERE seq = ?`).get(seq) as { model_id: number } | undefined;
  if (!row) return;
  ensureVec(db);
  sql(db, `DELETE FROM memory_vectors WHERE seq = ?`).run(seq);
  const ann = annRow(db, row.model_id);
  if (!ann) return;
  sql(db, `DELETE FROM ${tableName(row.model_id, ann.generation)} WHERE rowid = ?`).run(BigInt(seq));
  if (ann.next_generation !== null) sql(db, `DELETE FROM ${tableName(row.model_id, ann.next_generation)} WHERE rowid = ?`).run(BigInt(seq));
}

/** Exact ranking of a run's vectors of one model. */
function searchRun(db: SqliteDatabase, runId: string, modelId: number, q: Float32Array, k: number): Array<{ id: number; score: number }> {
  const top = new TopK(k);
  const rows = sql(db, `SELECT v.seq, v.vec FROM memories m JOIN memory_vectors v ON v.seq = m.seq WHERE m.run_id = ? AND v.model_id = ?`).raw().iterate(runId, modelId) as Iterable<[number, Buffer]>;
  for (const [seq, blob] of rows) top.push(seq, dotAt(fromBlob(blob), 0, q));
  return top.sorted();
}

/**
 * The `k` vectors of a model most similar to `q` within the scope: `id` is the memory's seq,
 * `score` the cosine similarity.
 */
export function indexSearch(db: SqliteDatabase, scope: MemoryScope, modelId: number, q: Float32Array, k: number, params: IvfParams = DEFAULT_IVF_PARAMS): Array<{ id: number; score: number }> {
  if (scope !== 'global') return searchRun(db, scope.runId, modelId, q, k);
  const ann = annRow(db, modelId);
  if (!ann) return [];
  ensureVec(db);
  const table = tableName(modelId, ann.generation);
  const kk = Math.min(k, 4096);
  let rows: Array<{ rowid: number; distance: number }>;
  if (ann.nlist === 1) {
    rows = sql(db, `SELECT rowid, distance FROM ${table} WHERE embedding MATCH ? AND k = ?`).all(q, kk) as typeof rows;
  } else {
    const c = centroids(db, modelId, ann.generation, ann.nlist, q.length);
    const nprobe = Math.min(ann.nlist, Math.max(params.minProbe, Math.ceil(ann.nlist * params.probeFraction)));
    const best = new TopK(nprobe);
    for (let i = 0, o = 0; i < ann.nlist; i++, o += q.length) best.push(i, dotAt(c, o, q));
    const lists = best.sorted().map((b) => b.id);
    rows = sql(db, `SELECT rowid, distance FROM ${table} WHERE embedding MATCH ? AND k = ? AND list IN (${lists.map(() => '?').join(',')})`).all(q, kk, ...lists) as typeof rows;
  }
  // With a partition IN list, vec0 answers k rows per partition: merge them.
  return rows
    .sort((a, b) => a.distance - b.distance || a.rowid - b.rowid)
    .slice(0, k)
    .map((r) => ({ id: Number(r.rowid), score: 1 - r.distance }));
}

/** How many lists a model of `n` vectors gets at training. */
export function listsFor(n: number, params: IvfParams = DEFAULT_IVF_PARAMS): number {
  return Math.max(16, Math.min(4096, Math.round(params.listsPerSqrtN * Math.sqrt(n))));
}

export interface MaintainOptions {
  /** Epoch ms source. @default Date.now */
  now?: () => number;
  /** Vectors copied per transaction while building. @default 500 */
  batch?: number;
  /** Train even below the growth threshold (at least IVF_TRAIN_MIN vectors still needed unless `force`). */
  force?: boolean;
  params?: IvfParams;
  random?: () => number;
}

const yieldNow = () => new Promise<void>((r) => setImmediate(r));

/**
 * Trains and swaps in new index generations where models have grown. Safe to call often (a cheap
 * check when nothing is due) and from several processes.
 * @returns the models (ids) whose index was rebuilt.
 */
export async function maintainIndex(db: SqliteDatabase, options: MaintainOptions = {}): Promise<number[]> {
  const now = options.now ?? Date.now;
  const params = options.params ?? DEFAULT_IVF_PARAMS;
  const rebuilt: number[] = [];
  const models = sql(db, `SELECT a.*, m.dim, (SELECT count(*) FROM memory_vectors v WHERE v.model_id = a.model_id) AS n FROM memory_ann a JOIN memory_models m ON m.id = a.model_id`).all() as Array<AnnRow & { dim: number; n: number }>;
  for (const m of models) {
    const due = m.n >= (options.force ? Math.min(m.n, 16) : IVF_TRAIN_MIN) && (options.force || m.n >= IVF_GROWTH * Math.max(m.trained_count, IVF_TRAIN_MIN / IVF_GROWTH));
    const building = m.next_generation !== null;
    if (building && m.next_touched_at !== null && now() - m.next_touched_at < BUILD_STALE_MS) continue;
    if (!due && !building) continue;
    ensureVec(db);
    await rebuild(db, m.model_id, m.dim, m.n, now, options.batch ?? 500, params, options.random ?? Math.random);
    rebuilt.push(m.model_id);
  }
  return rebuilt;
}

async function rebuild(db: SqliteDatabase, modelId: number, dim: number, n: number, now: () => number, batch: number, params: IvfParams, random: () => number): Promise<void> {
  const nlist = listsFor(n, params);
  const sampleSize = Math.min(n, nlist * params.samplePerList);
  const blobs = sql(db, `SELECT vec FROM memory_vectors WHERE model_id = ? ORDER BY random() LIMIT ?`).pluck().all(modelId, sampleSize) as Buffer[];
  const sample = new Float32Array(blobs.length * dim);
  blobs.forEach((b, i) => sample.set(fromBlob(b), i * dim));
  const c = await trainKMeans(sample, dim, { k: nlist, iterations: params.iterations, random });
  const k = c.length / dim;

  // Claim the build (or take over a stale one) and store the centroids.
  const generation = db
    .transaction(() => {
      const ann = annRow(db, modelId)!;
      if (ann.next_generation !== null) {
        if (ann.next_touched_at !== null && now() - ann.next_touched_at < BUILD_STALE_MS) return null;
        dropTable(db, tableName(modelId, ann.next_generation));
        sql(db, `DELETE FROM memory_ivf WHERE model_id = ? AND generation = ?`).run(modelId, ann.next_generation);
      }
      const gen = Math.max(ann.generation, ann.next_generation ?? 0) + 1;
      createListTable(db, modelId, gen, dim);
      const ins = sql(db, `INSERT INTO memory_ivf (model_id, generation, list, centroid) VALUES (?, ?, ?, ?)`);
      for (let i = 0; i < k; i++) ins.run(modelId, gen, i, toBlob(c.subarray(i * dim, i * dim + dim)));
      sql(db, `UPDATE memory_ann SET next_generation = ?, next_nlist = ?, next_upto = 0, next_touched_at = ? WHERE model_id = ?`).run(gen, k, now(), modelId);
      return gen;
    })
    .immediate();
  if (generation === null) return;

  const page = sql(db, `SELECT seq, vec FROM memory_vectors WHERE model_id = ? AND seq > ? ORDER BY seq LIMIT ?`).raw();
  for (;;) {
    const done = db
      .transaction(() => {
        const ann = annRow(db, modelId)!;
        if (ann.next_generation !== generation) return true; // taken over by another process
        const rows = page.all(modelId, ann.next_upto, batch) as Array<[number, Buffer]>;
        for (const [seq, blob] of rows) insertInto(db, modelId, generation, k, seq, fromBlob(blob));
        if (rows.length > 0) {
          sql(db, `UPDATE memory_ann SET next_upto = ?, next_touched_at = ? WHERE model_id = ?`).run(rows[rows.length - 1]![0], now(), modelId);
          return false;
        }
        // Complete: swap it in and drop the old generation.
        const count = (sql(db, `SELECT count(*) FROM memory_vectors WHERE model_id = ?`).pluck().get(modelId) as number);
        dropTable(db, tableName(modelId, ann.generation));
        sql(db, `DELETE FROM memory_ivf WHERE model_id = ? AND generation = ?`).run(modelId, ann.generation);
        sql(db, `UPDATE memory_ann SET generation = ?, nlist = ?, trained_count = ?, next_generation = NULL, next_nlist = NULL, next_upto = NULL, next_touched_at = NULL WHERE model_id = ?`).run(
          generation,
          k,
          count,
          modelId,
        );
        return true;
      })
      .immediate();
    if (done) return;
    await yieldNow();
  }
}
