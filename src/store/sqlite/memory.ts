/**
 * SQLite side of the memory contract (`store/memory-types.ts`): memories with an FTS5 index of
 * their text and float32 embeddings searched through `memory-index.ts`. Writes are one immediate
 * transaction each; the FTS index is maintained in the same transaction (external content).
 */
import type { SqliteDatabase } from './driver.js';
import { TuttiError } from '../../core/errors.js';
import type { MemoryHit, MemoryKind, MemoryListFilter, MemoryModelInfo, MemoryProvenance, MemoryRecord, MemoryScope, MemoryWriteResult, NewMemory } from '../memory-types.js';
import { queryWords } from '../memory-terms.js';
import { indexAdd, indexRemove, indexSearch } from './memory-index.js';


interface MemoryRow {
  seq: number;
  id: string;
  run_id: string | null;
  kind: MemoryKind;
  key: string | null;
  dedupe_key: string | null;
  text: string;
  value: string | null;
  metadata: string | null;
  provenance: string | null;
  score: number | null;
  model_id: number | null;
  created_at: number;
  updated_at: number;
}

interface ModelRow {
  id: number;
  model: string;
  dim: number;
}

function prepare(db: SqliteDatabase) {
  return {
    bySeqId: db.prepare(`SELECT * FROM memories WHERE id = ?`),
    byKey: db.prepare(`SELECT * FROM memories WHERE ifnull(run_id, '') = ? AND kind = ? AND key = ?`),
    byDedupe: db.prepare(`SELECT * FROM memories WHERE dedupe_key = ?`),
    insert: db.prepare(
      `INSERT INTO memories (id, run_id, kind, key, dedupe_key, text, value, metadata, provenance, score, model_id, created_at, updated_at)
       VALUES (@id, @run_id, @kind, @key, @dedupe_key, @text, @value, @metadata, @provenance, @score, @model_id, @created_at, @created_at)`,
    ),
    replace: db.prepare(
      `UPDATE memories SET text = @text, value = @value, metadata = @metadata, provenance = @provenance, score = @score, model_id = @model_id, updated_at = @created_at WHERE seq = @seq`,
    ),
    ftsInsert: db.prepare(`INSERT INTO memories_fts (rowid, text) VALUES (?, ?)`),
    ftsDelete: db.prepare(`INSERT INTO memories_fts (memories_fts, rowid, text) VALUES ('delete', ?, ?)`),
    deleteSeq: db.prepare(`DELETE FROM memories WHERE seq = ?`),
    ofRun: db.prepare(`SELECT seq, text FROM memories WHERE run_id = ?`),
    models: db.prepare(`SELECT * FROM memory_models`),
    modelByName: db.prepare(`SELECT * FROM memory_models WHERE model = ?`),
    insertModel: db.prepare(`INSERT INTO memory_models (model, dim, created_at) VALUES (?, ?, ?)`),
    modelCounts: db.prepare(`SELECT mm.model, mm.dim, count(m.seq) AS count FROM memory_models mm LEFT JOIN memories m ON m.model_id = mm.id GROUP BY mm.id ORDER BY mm.id`),
    textGlobal: db.prepare(`SELECT m.id, -bm25(memories_fts) AS score FROM memories_fts JOIN memories m ON m.seq = memories_fts.rowid WHERE memories_fts MATCH ? ORDER BY bm25(memories_fts) LIMIT ?`),
    textRun: db.prepare(
      `SELECT m.id, -bm25(memories_fts) AS score FROM memories_fts JOIN memories m ON m.seq = memories_fts.rowid WHERE memories_fts MATCH ? AND m.run_id = ? ORDER BY bm25(memories_fts) LIMIT ?`,
    ),
    idsOfSeqs: db.prepare(`SELECT seq, id FROM memories WHERE seq IN (SELECT value FROM json_each(?))`),
  };
}

type MemoryStatements = ReturnType<typeof prepare>;
const cache = new WeakMap<SqliteDatabase, MemoryStatements>();

function stmts(db: SqliteDatabase): MemoryStatements {
  let s = cache.get(db);
  if (!s) {
    s = prepare(db);
    cache.set(db, s);
  }
  return s;
}

const json = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));

function toRecord(r: MemoryRow, models: ReadonlyMap<number, ModelRow>): MemoryRecord {
  const model = r.model_id === null ? undefined : models.get(r.model_id);
  return {
    id: r.id,
    runId: r.run_id,
    kind: r.kind,
    key: r.key,
    text: r.text,
    value: r.value === null ? null : (JSON.parse(r.value) as unknown),
    metadata: r.metadata === null ? {} : (JSON.parse(r.metadata) as Record<string, unknown>),
    provenance: r.provenance === null ? null : (JSON.parse(r.provenance) as MemoryProvenance),
    score: r.score,
    embedding: model ? { model: model.model, dim: model.dim } : null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function modelMap(db: SqliteDatabase): Map<number, ModelRow> {
  return new Map((stmts(db).models.all() as ModelRow[]).map((m) => [m.id, m]));
}

/** The model's row, registered on first use. @throws TuttiError `ERR_EMBEDDING_MISMATCH` on another dimension. */
function modelFor(db: SqliteDatabase, model: string, dim: number, now: number): ModelRow {
  const s = stmts(db);
  let row = s.modelByName.get(model) as ModelRow | undefined;
  if (!row) {
    const id = Number(s.insertModel.run(model, dim, now).lastInsertRowid);
    row = { id, model, dim };
  }
  if (row.dim !== dim) {
    throw new TuttiError('ERR_EMBEDDING_MISMATCH', `embedding model '${model}' has dimension ${row.dim} in this store, got a vector of ${dim}: use the same model and dimension`, {
      details: { model, expected: row.dim, actual: dim },
    });
  }
  return row;
}

/** See `MemoryStore.addMemories`. */
export function addMemories(db: SqliteDatabase, items: readonly NewMemory[]): MemoryWriteResult[] {
  const s = stmts(db);
  const out = db
    .transaction(() =>
      items.map((m): { seq: number; outcome: MemoryWriteResult['outcome'] } => {
        if (m.dedupeKey) {
          const existing = s.byDedupe.get(m.dedupeKey) as MemoryRow | undefined;
          if (existing) return { seq: existing.seq, outcome: 'existing' };
        }
        const model = m.embedding ? modelFor(db, m.embedding.model, m.embedding.vector.length, m.createdAt) : null;
        const params = {
          id: m.id,
          run_id: m.runId,
          kind: m.kind,
          key: m.key,
          dedupe_key: m.dedupeKey ?? null,
          text: m.text,
          value: json(m.value),
          metadata: Object.keys(m.metadata).length ? JSON.stringify(m.metadata) : null,
          provenance: json(m.provenance),
          score: m.score,
          model_id: model?.id ?? null,
          created_at: m.createdAt,
        };
        const same = m.key === null ? undefined : (s.byKey.get(m.runId ?? '', m.kind, m.key) as MemoryRow | undefined);
        let seq: number;
        if (same) {
          seq = same.seq;
          s.ftsDelete.run(seq, same.text);
          indexRemove(db, seq);
          s.replace.run({ ...params, seq });
        } else {
          if (s.bySeqId.get(m.id)) throw new TuttiError('ERR_INVALID_INPUT', `memory id '${m.id}' is already used`, { details: { id: m.id } });
          seq = Number(s.insert.run(params).lastInsertRowid);
        }
        s.ftsInsert.run(seq, m.text);
        if (model && m.embedding) indexAdd(db, model.id, seq, m.embedding.vector);
        return { seq, outcome: same ? 'replaced' : 'created' };
      }),
    )
    .immediate();
  const models = modelMap(db);
  const rows = new Map((db.prepare(`SELECT * FROM memories WHERE seq IN (SELECT value FROM json_each(?))`).all(JSON.stringify(out.map((o) => o.seq))) as MemoryRow[]).map((r) => [r.seq, r]));
  return out.map((o) => ({ record: toRecord(rows.get(o.seq)!, models), outcome: o.outcome }));
}

export function getMemories(db: SqliteDatabase, ids: readonly string[]): MemoryRecord[] {
  if (ids.length === 0) return [];
  const rows = db.prepare(`SELECT * FROM memories WHERE id IN (SELECT value FROM json_each(?))`).all(JSON.stringify(ids)) as MemoryRow[];
  const byId = new Map(rows.map((r) => [r.id, r]));
  const models = modelMap(db);
  return ids.flatMap((id) => {
    const r = byId.get(id);
    return r ? [toRecord(r, models)] : [];
  });
}

export function listMemories(db: SqliteDatabase, filter: MemoryListFilter = {}): MemoryRecord[] {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.runId === null) where.push('run_id IS NULL');
  else if (filter.runId !== undefined) {
    where.push('run_id = ?');
    params.push(filter.runId);
  }
  if (filter.kind) {
    where.push('kind = ?');
    params.push(filter.kind);
  }
  if (filter.before !== undefined) {
    where.push('seq < (SELECT seq FROM memories WHERE id = ?)');
    params.push(filter.before);
  }
  const limit = Math.max(1, Math.min(filter.limit ?? 100, 100_000));
  const sql = `SELECT * FROM memories ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`;
  const models = modelMap(db);
  return (db.prepare(sql).all(...params, limit) as MemoryRow[]).map((r) => toRecord(r, models));
}

export function deleteMemories(db: SqliteDatabase, target: { runId: string } | { ids: readonly string[] }): number {
  const s = stmts(db);
  return db
    .transaction(() => {
      const rows =
        'runId' in target
          ? (s.ofRun.all(target.runId) as Array<{ seq: number; text: string }>)
          : (db.prepare(`SELECT seq, text FROM memories WHERE id IN (SELECT value FROM json_each(?))`).all(JSON.stringify(target.ids)) as Array<{ seq: number; text: string }>);
      for (const r of rows) {
        s.ftsDelete.run(r.seq, r.text);
        indexRemove(db, r.seq);
        s.deleteSeq.run(r.seq);
      }
      return rows.length;
    })
    .immediate();
}

/**
 * The FTS5 query for free text: its words (letters and digits, lowercased, stop words dropped,
 * at most 32), each quoted, joined by OR. Null when no word is left.
 */
export function ftsQuery(text: string): string | null {
  const unique = queryWords(text);
  return unique.length ? unique.map((w) => `"${w}"`).join(' OR ') : null;
}

export function searchMemoryText(db: SqliteDatabase, scope: MemoryScope, query: string, limit: number): MemoryHit[] {
  const q = ftsQuery(query);
  if (q === null || limit <= 0) return [];
  const s = stmts(db);
  const rows = (scope === 'global' ? s.textGlobal.all(q, limit) : s.textRun.all(q, scope.runId, limit)) as Array<{ id: string; score: number }>;
  return rows.map((r) => ({ id: r.id, score: r.score }));
}

export function searchMemoryVectors(db: SqliteDatabase, scope: MemoryScope, model: string, vector: Float32Array, limit: number): MemoryHit[] {
  const row = stmts(db).modelByName.get(model) as ModelRow | undefined;
  if (!row || limit <= 0) return [];
  if (row.dim !== vector.length) {
    throw new TuttiError('ERR_EMBEDDING_MISMATCH', `embedding model '${model}' has dimension ${row.dim} in this store, the query vector has ${vector.length}`, {
      details: { model, expected: row.dim, actual: vector.length },
    });
  }
  const hits = indexSearch(db, scope, row.id, vector, limit);
  if (hits.length === 0) return [];
  const ids = new Map((stmts(db).idsOfSeqs.all(JSON.stringify(hits.map((h) => h.id))) as Array<{ seq: number; id: string }>).map((r) => [r.seq, r.id]));
  return hits.flatMap((h) => {
    const id = ids.get(h.id);
    return id === undefined ? [] : [{ id, score: h.score }];
  });
}

export function memoryModels(db: SqliteDatabase): MemoryModelInfo[] {
  return (stmts(db).modelCounts.all() as Array<{ model: string; dim: number; count: number }>).filter((m) => m.count > 0).map((m) => ({ model: m.model, dim: m.dim, count: m.count }));
}
