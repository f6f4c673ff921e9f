/** Memory: writes (keys, dedupe), listing, deletion, full-text and vector search, scopes (MemoryStore). */
import { describe, expect } from 'vitest';
import { isTuttiError } from '../../core/errors.js';
import type { MemoryScope, NewMemory } from '../memory-types.js';
import type { Store } from '../types.js';
import type { SuiteContext } from './harness.js';
import { T0 } from './fixtures.js';

/** A deterministic pseudo-random source (mulberry32). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function unit(v: number[]): Float32Array {
  const n = Math.hypot(...v) || 1;
  return Float32Array.from(v, (x) => x / n);
}

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

function mem(id: string, runId: string | null, text: string, extra: Partial<NewMemory> = {}): NewMemory {
  return { id, runId, kind: 'entry', key: null, text, value: text, metadata: {}, provenance: null, score: null, embedding: null, createdAt: T0, ...extra };
}

async function rejects(p: Promise<unknown>, code: string): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (isTuttiError(e) && e.code === code) return;
    throw e;
  }
  throw new Error(`expected ${code}`);
}

/** Exact top-k ids by cosine among `items` in `scope`. */
function exact(items: NewMemory[], scope: MemoryScope, q: Float32Array, k: number): string[] {
  return items
    .filter((m) => m.embedding && (scope === 'global' || m.runId === scope.runId))
    .map((m) => ({ id: m.id, s: dot(m.embedding!.vector, q) }))
    .sort((a, b) => b.s - a.s)
    .slice(0, k)
    .map((x) => x.id);
}

async function clustered(store: Store, n: number, dim: number, seed: number): Promise<{ items: NewMemory[]; sample: () => Float32Array }> {
  const r = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(r() || 1e-12)) * Math.cos(2 * Math.PI * r());
  const centers = Array.from({ length: 50 }, () => unit(Array.from({ length: dim }, gauss)));
  const sample = () => {
    const c = centers[Math.floor(r() * centers.length)]!;
    return unit(Array.from(c, (x) => x + (0.6 * gauss()) / Math.sqrt(dim)));
  };
  const items = Array.from({ length: n }, (_, i) => mem(`m${i}`, `run${i % 7}`, `memory ${i}`, { embedding: { model: 'test-model', vector: sample() } }));
  for (let i = 0; i < n; i += 1000) await store.addMemories(items.slice(i, i + 1000));
  return { items, sample };
}

export function memoryTests(ctx: SuiteContext): void {
  describe('memory', () => {
    ctx.it('addMemories stores text, value, metadata, provenance, score and embedding model', async () => {
      const { store } = ctx;
      const [w] = await store.addMemories([
        mem('m1', 'r1', 'use pnpm, not npm', {
          kind: 'learning',
          value: { tip: 'pnpm' },
          metadata: { tags: ['build'] },
          provenance: { runId: 'r1', taskId: 't', attempt: 2, agentId: 'coder', source: 'agent-output' },
          score: 0.8,
          embedding: { model: 'm', vector: unit([1, 0, 0, 0]) },
        }),
      ]);
      expect(w!.outcome).toBe('created');
      expect(w!.record).toEqual({
        id: 'm1',
        runId: 'r1',
        kind: 'learning',
        key: null,
        text: 'use pnpm, not npm',
        value: { tip: 'pnpm' },
        metadata: { tags: ['build'] },
        provenance: { runId: 'r1', taskId: 't', attempt: 2, agentId: 'coder', source: 'agent-output' },
        score: 0.8,
        embedding: { model: 'm', dim: 4 },
        createdAt: T0,
        updatedAt: T0,
      });
      expect(await store.getMemories(['nope', 'm1'])).toEqual([w!.record]);
      expect(await store.memoryModels()).toEqual([{ model: 'm', dim: 4, count: 1 }]);
    });

    ctx.it('a key replaces the memory of the same run and kind; a dedupe key returns the first', async () => {
      const { store } = ctx;
      await store.addMemories([mem('a', 'r1', 'first', { key: 'ctx' }), mem('b', 'r2', 'other run', { key: 'ctx' })]);
      const [again] = await store.addMemories([mem('c', 'r1', 'second', { key: 'ctx', createdAt: T0 + 5 })]);
      expect(again).toMatchObject({ outcome: 'replaced', record: { id: 'a', text: 'second', createdAt: T0, updatedAt: T0 + 5 } });
      expect(await store.searchMemoryText('global', 'first', 10)).toEqual([]);
      expect((await store.searchMemoryText('global', 'second', 10)).map((h) => h.id)).toEqual(['a']);
      const [d1] = await store.addMemories([mem('d', 'r1', 'lesson', { kind: 'learning', dedupeKey: 'r1/t/1#0' })]);
      const [d2] = await store.addMemories([mem('e', 'r1', 'lesson again', { kind: 'learning', dedupeKey: 'r1/t/1#0' })]);
      expect(d1!.outcome).toBe('created');
      expect(d2).toMatchObject({ outcome: 'existing', record: { id: 'd', text: 'lesson' } });
      expect((await store.listMemories({ runId: 'r1' })).map((m) => m.id)).toEqual(['d', 'a']);
      await rejects(store.addMemories([mem('a', 'r3', 'id taken')]), 'ERR_INVALID_INPUT');
    });

    ctx.it('listMemories filters by run (null: global ones), kind and cursor, newest first', async () => {
      const { store } = ctx;
      await store.addMemories([mem('g1', null, 'global one'), mem('a1', 'r1', 'x'), mem('a2', 'r1', 'y', { kind: 'learning' }), mem('b1', 'r2', 'z')]);
      expect((await store.listMemories()).map((m) => m.id)).toEqual(['b1', 'a2', 'a1', 'g1']);
      expect((await store.listMemories({ runId: null })).map((m) => m.id)).toEqual(['g1']);
      expect((await store.listMemories({ runId: 'r1', kind: 'learning' })).map((m) => m.id)).toEqual(['a2']);
      expect((await store.listMemories({ before: 'a2', limit: 1 })).map((m) => m.id)).toEqual(['a1']);
    });

    ctx.it('searchMemoryText ranks by BM25 within the scope', async () => {
      const { store } = ctx;
      await store.addMemories([
        mem('t1', 'r1', 'The deploy script needs the staging database credentials'),
        mem('t2', 'r1', 'Database migrations run before the deploy; database backups nightly'),
        mem('t3', 'r2', 'database database database in another run'),
        mem('t4', null, 'unrelated note about lunch'),
      ]);
      const run = await store.searchMemoryText({ runId: 'r1' }, 'database', 10);
      expect(run.map((h) => h.id)).toEqual(['t2', 't1']);
      expect(run[0]!.score).toBeGreaterThan(run[1]!.score);
      expect(run[1]!.score).toBeGreaterThan(0);
      const all = await store.searchMemoryText('global', 'databases', 10);
      expect(all.map((h) => h.id).sort()).toEqual(['t1', 't2', 't3']);
      expect(all[0]!.id).toBe('t3');
      expect(await store.searchMemoryText('global', 'the of and', 10)).toEqual([]);
      expect(await store.searchMemoryText('global', '"unbalanced (quotes * AND', 10)).toEqual([]);
      expect(await store.searchMemoryText('global', 'database', 1)).toHaveLength(1);
    });

    ctx.it('searchMemoryVectors is exact on small stores and never leaves the run scope', async () => {
      const { store } = ctx;
      const r = rng(7);
      const items = Array.from({ length: 300 }, (_, i) =>
        mem(`v${i}`, i % 3 === 0 ? null : `r${i % 3}`, `v ${i}`, { embedding: { model: 'm', vector: unit(Array.from({ length: 16 }, () => r() - 0.5)) } }),
      );
      await store.addMemories(items);
      for (let q = 0; q < 5; q++) {
        const v = unit(Array.from({ length: 16 }, () => r() - 0.5));
        for (const scope of ['global', { runId: 'r1' }, { runId: 'r2' }] as MemoryScope[]) {
          const hits = await store.searchMemoryVectors(scope, 'm', v, 10);
          expect(hits.map((h) => h.id)).toEqual(exact(items, scope, v, 10));
          const best = items.find((m) => m.id === hits[0]!.id)!;
          expect(hits[0]!.score).toBeCloseTo(dot(best.embedding!.vector, v), 4);
          if (scope !== 'global') expect(hits.every((h) => items.find((m) => m.id === h.id)!.runId === scope.runId)).toBe(true);
        }
      }
      expect(await store.searchMemoryVectors({ runId: 'nope' }, 'm', unit([1, ...Array(15).fill(0)]), 5)).toEqual([]);
      expect(await store.searchMemoryVectors('global', 'other-model', unit([1, 0]), 5)).toEqual([]);
    });

    ctx.it('vectors of another dimension for a model are rejected with ERR_EMBEDDING_MISMATCH', async () => {
      const { store } = ctx;
      await store.addMemories([mem('a', 'r1', 'x', { embedding: { model: 'm', vector: unit([1, 0, 0, 0]) } })]);
      await rejects(store.addMemories([mem('b', 'r1', 'y', { embedding: { model: 'm', vector: unit([1, 0, 0]) } })]), 'ERR_EMBEDDING_MISMATCH');
      await rejects(store.searchMemoryVectors('global', 'm', unit([1, 0, 0]), 3), 'ERR_EMBEDDING_MISMATCH');
      expect((await store.listMemories()).map((m) => m.id)).toEqual(['a']);
    });

    ctx.it('deleteMemories removes memories from lists, text and vector search', async () => {
      const { store } = ctx;
      const v = unit([1, 1, 0, 0]);
      await store.addMemories([
        mem('a', 'r1', 'alpha keep', { embedding: { model: 'm', vector: v } }),
        mem('b', 'r1', 'alpha gone', { embedding: { model: 'm', vector: v } }),
        mem('c', 'r2', 'alpha other', { embedding: { model: 'm', vector: v } }),
      ]);
      expect(await store.deleteMemories({ ids: ['b'] })).toBe(1);
      expect((await store.searchMemoryText('global', 'alpha', 10)).map((h) => h.id).sort()).toEqual(['a', 'c']);
      expect(await store.deleteMemories({ runId: 'r1' })).toBe(1);
      expect((await store.searchMemoryVectors('global', 'm', v, 10)).map((h) => h.id)).toEqual(['c']);
      expect(await store.memoryModels()).toEqual([{ model: 'm', dim: 4, count: 1 }]);
    });

    ctx.it('global vector search keeps recall@10 ≥ 0.9 against exact search once the index is maintained (10,000 vectors)', async () => {
      const { store } = ctx;
      const { items, sample } = await clustered(store, 10_000, 32, 11);
      await store.maintainMemoryIndex();
      let hit = 0;
      const queries = 40;
      for (let q = 0; q < queries; q++) {
        const v = sample();
        const want = new Set(exact(items, 'global', v, 10));
        const got = await store.searchMemoryVectors('global', 'test-model', v, 10);
        expect(got).toHaveLength(10);
        for (const h of got) if (want.has(h.id)) hit++;
      }
      expect(hit / (queries * 10)).toBeGreaterThanOrEqual(0.9);
      // Writes after training land in the index too.
      const fresh = sample();
      await store.addMemories([mem('late', 'run-late', 'late', { embedding: { model: 'test-model', vector: fresh } })]);
      expect((await store.searchMemoryVectors('global', 'test-model', fresh, 1))[0]!.id).toBe('late');
      expect((await store.searchMemoryVectors({ runId: 'run-late' }, 'test-model', fresh, 5)).map((h) => h.id)).toEqual(['late']);
    });
  });
}
