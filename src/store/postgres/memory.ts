/**
 * PostgreSQL side of the memory contract (`store/memory-types.ts`).
 *
 * - Full text: a `tsvector` column (english configuration: stemming and stop words) with a GIN
 *   index, ranked by `ts_rank`; a query matches any of its words.
 * - Vectors: always stored as little-endian float32 bytes (`vec`). With the pgvector extension
 *   (`CREATE EXTENSION vector` succeeded at migrate), they are also kept in an `embedding vector`
 *   column and ranked in the database (`<=>`, cosine distance); without it they are ranked in
 *   process, exactly, behind the same interface. Either way the search is exact, so
 *   `maintainMemoryIndex()` has nothing to do.
 */
import type { PoolClient } from 'pg';
import { TuttiError } from '../../core/errors.js';
import type { MemoryHit, MemoryKind, MemoryListFilter, MemoryModelInfo, MemoryProvenance, MemoryRecord, MemoryScope, MemoryWriteResult, NewMemory } from '../memory-types.js';
import { TopK, dotAt, fromBlob, toBlob } from '../sqlite/vectors.js';
import { queryWords } from '../memory-terms.js';
import { query } from './tx.js';


type Conn = Pick<PoolClient, 'query'>;

interface MemoryRow {
  seq: number;
  id: string;
  run_id: string | null;
  kind: MemoryKind;
  key: string | null;
  text: string;
  value: string | null;
  metadata: string | null;
  provenance: string | null;
  score: number | null;
  model_id: number | null;
  model: string | null;
  dim: number | null;
  created_at: number;
  updated_at: number;
}

const COLUMNS = `m.seq, m.id, m.run_id, m.kind, m.key, m.text, m.value, m.metadata, m.provenance, m.score, m.model_id, mm.model, mm.dim, m.created_at, m.updated_at`;
const FROM = `memories m LEFT JOIN memory_models mm ON mm.id = m.model_id`;

const json = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));

function toRecord(r: MemoryRow): MemoryRecord {
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
    embedding: r.model !== null && r.dim !== null ? { model: r.model, dim: r.dim } : null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function mismatch(model: string, expected: number, actual: number, what: string): TuttiError {
  return new TuttiError('ERR_EMBEDDING_MISMATCH', `embedding model '${model}' has dimension ${expected} in this store, ${what} ${actual}: use the same model and dimension`, {
    details: { model, expected, actual },
  });
}

async function modelFor(c: Conn, model: string, dim: number, now: number): Promise<number> {
  await query(c, `INSERT INTO memory_models (model, dim, created_at) VALUES ($1, $2, $3) ON CONFLICT (model) DO NOTHING`, [model, dim, now]);
  const [row] = await query<{ id: number; dim: number }>(c, `SELECT id, dim FROM memory_models WHERE model = $1`, [model]);
  if (row!.dim !== dim) throw mismatch(model, row!.dim, dim, 'got a vector of');
  return row!.id;
}

/** pgvector's text form of a vector. */
const vectorText = (v: Float32Array): string => `[${Array.from(v).join(',')}]`;

/** See `MemoryStore.addMemories` (inside the caller's transaction). */
export async function addMemories(c: Conn, items: readonly NewMemory[], pgvector: boolean): Promise<MemoryWriteResult[]> {
  const out: Array<{ seq: number; outcome: MemoryWriteResult['outcome'] }> = [];
  // Writers of memories serialise: keys and dedupe keys are checked then written.
  await query(c, `SELECT pg_advisory_xact_lock(hashtext('tutti-memory'))`);
  for (const m of items) {
    if (m.dedupeKey) {
      const [existing] = await query<{ seq: number }>(c, `SELECT seq FROM memories WHERE dedupe_key = $1`, [m.dedupeKey]);
      if (existing) {
        out.push({ seq: existing.seq, outcome: 'existing' });
        continue;
      }
    }
    const modelId = m.embedding ? await modelFor(c, m.embedding.model, m.embedding.vector.length, m.createdAt) : null;
    const vec = m.embedding ? toBlob(m.embedding.vector) : null;
    const params = [m.text, json(m.value), Object.keys(m.metadata).length ? JSON.stringify(m.metadata) : null, json(m.provenance), m.score, modelId, vec, m.createdAt];
    const [same] = m.key === null ? [] : await query<{ seq: number }>(c, `SELECT seq FROM memories WHERE COALESCE(run_id, '') = $1 AND kind = $2 AND key = $3`, [m.runId ?? '', m.kind, m.key]);
    let seq: number;
    if (same) {
      seq = same.seq;
      await query(
        c,
        `UPDATE memories SET text = $1, tsv = to_tsvector('english', $1), value = $2, metadata = $3, provenance = $4, score = $5, model_id = $6, vec = $7, updated_at = $8 WHERE seq = $9`,
        [...params, seq],
      );
    } else {
      if ((await query(c, `SELECT 1 FROM memories WHERE id = $1`, [m.id])).length) throw new TuttiError('ERR_INVALID_INPUT', `memory id '${m.id}' is already used`, { details: { id: m.id } });
      const [row] = await query<{ seq: number }>(
        c,
        `INSERT INTO memories (text, tsv, value, metadata, provenance, score, model_id, vec, created_at, updated_at, id, run_id, kind, key, dedupe_key)
         VALUES ($1, to_tsvector('english', $1), $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11, $12, $13) RETURNING seq`,
        [...params, m.id, m.runId, m.kind, m.key, m.dedupeKey ?? null],
      );
      seq = row!.seq;
    }
    if (pgvector) await query(c, `UPDATE memories SET embedding = $1::vector WHERE seq = $2`, [m.embedding ? vectorText(m.embedding.vector) : null, seq]);
    out.push({ seq, outcome: same ? 'replaced' : 'created' });
  }
  const rows = new Map((await query<MemoryRow>(c, `SELECT ${COLUMNS} FROM ${FROM} WHERE m.seq = ANY($1::bigint[])`, [out.map((o) => o.seq)])).map((r) => [r.seq, r]));
  return out.map((o) => ({ record: toRecord(rows.get(o.seq)!), outcome: o.outcome }));
}

export async function getMemories(c: Conn, ids: readonly string[]): Promise<MemoryRecord[]> {
  if (ids.length === 0) return [];
  const byId = new Map((await query<MemoryRow>(c, `SELECT ${COLUMNS} FROM ${FROM} WHERE m.id = ANY($1::text[])`, [ids])).map((r) => [r.id, r]));
  return ids.flatMap((id) => {
    const r = byId.get(id);
    return r ? [toRecord(r)] : [];
  });
}

export async function listMemories(c: Conn, filter: MemoryListFilter = {}): Promise<MemoryRecord[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.runId === null) where.push('m.run_id IS NULL');
  else if (filter.runId !== undefined) {
    params.push(filter.runId);
    where.push(`m.run_id = $${params.length}`);
  }
  if (filter.kind) {
    params.push(filter.kind);
    where.push(`m.kind = $${params.length}`);
  }
  if (filter.before !== undefined) {
    params.push(filter.before);
    where.push(`m.seq < (SELECT seq FROM memories WHERE id = $${params.length})`);
  }
  params.push(Math.max(1, Math.min(filter.limit ?? 100, 100_000)));
  const sql = `SELECT ${COLUMNS} FROM ${FROM} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY m.seq DESC LIMIT $${params.length}`;
  return (await query<MemoryRow>(c, sql, params)).map(toRecord);
}

export async function deleteMemories(c: Conn, target: { runId: string } | { ids: readonly string[] }): Promise<number> {
  const rows =
    'runId' in target
      ? await query(c, `DELETE FROM memories WHERE run_id = $1 RETURNING 1`, [target.runId])
      : await query(c, `DELETE FROM memories WHERE id = ANY($1::text[]) RETURNING 1`, [target.ids]);
  return rows.length;
}

/** The tsquery text for free text: its words (letters and digits, lowercased, stop words dropped, at most 32) joined by OR; null when none is left. */
export function tsQuery(text: string): string | null {
  const unique = queryWords(text);
  return unique.length ? unique.join(' | ') : null;
}

export async function searchMemoryText(c: Conn, scope: MemoryScope, text: string, limit: number): Promise<MemoryHit[]> {
  const q = tsQuery(text);
  if (q === null || limit <= 0) return [];
  const rows =
    scope === 'global'
      ? await query<{ id: string; score: number }>(
          c,
          `SELECT id, ts_rank(tsv, q) AS score FROM memories, to_tsquery('english', $1) q WHERE tsv @@ q ORDER BY score DESC, seq LIMIT $2`,
          [q, limit],
        )
      : await query<{ id: string; score: number }>(
          c,
          `SELECT id, ts_rank(tsv, q) AS score FROM memories, to_tsquery('english', $1) q WHERE tsv @@ q AND run_id = $3 ORDER BY score DESC, seq LIMIT $2`,
          [q, limit, scope.runId],
        );
  return rows.map((r) => ({ id: r.id, score: r.score }));
}

export async function searchMemoryVectors(c: Conn, scope: MemoryScope, model: string, vector: Float32Array, limit: number, pgvector: boolean): Promise<MemoryHit[]> {
  const [row] = await query<{ id: number; dim: number }>(c, `SELECT id, dim FROM memory_models WHERE model = $1`, [model]);
  if (!row || limit <= 0) return [];
  if (row.dim !== vector.length) throw mismatch(model, row.dim, vector.length, 'the query vector has');
  const runFilter = scope === 'global' ? '' : 'AND run_id = $2';
  const runParam = scope === 'global' ? [] : [scope.runId];
  if (pgvector) {
    const k = `$${runParam.length + 3}`;
    const rows = await query<{ id: string; score: number }>(
      c,
      `SELECT id, 1 - (embedding <=> $${runParam.length + 2}::vector) AS score FROM memories WHERE model_id = $1 ${runFilter} ORDER BY embedding <=> $${runParam.length + 2}::vector, seq LIMIT ${k}`,
      [row.id, ...runParam, vectorText(vector), limit],
    );
    return rows.map((r) => ({ id: r.id, score: r.score }));
  }
  const rows = await query<{ id: string; vec: Buffer }>(c, `SELECT id, vec FROM memories WHERE model_id = $1 ${runFilter} ORDER BY seq`, [row.id, ...runParam]);
  const top = new TopK(limit);
  rows.forEach((r, i) => top.push(i, dotAt(fromBlob(r.vec), 0, vector)));
  return top.sorted().map((h) => ({ id: rows[h.id]!.id, score: h.score }));
}

export async function memoryModels(c: Conn): Promise<MemoryModelInfo[]> {
  const rows = await query<MemoryModelInfo>(
    c,
    `SELECT mm.model, mm.dim, count(m.seq) AS count FROM memory_models mm LEFT JOIN memories m ON m.model_id = mm.id GROUP BY mm.id ORDER BY mm.id`,
  );
  return rows.filter((m) => m.count > 0).map((m) => ({ model: m.model, dim: m.dim, count: m.count }));
}
