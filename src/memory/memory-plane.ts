/**
 * The memory plane: durable entries and learnings with embeddings, hybrid search, and the state
 * manager, over any `Store` (ARCHITECTURE.md §10). What it returns has been committed: a seeded
 * entry or a recorded learning is in the store when the promise resolves.
 */
import { z } from 'zod';
import { TuttiError, errorMessage } from '../core/errors.js';
import { assertValueLimits } from '../core/limits.js';
import { newRunId } from '../core/ids.js';
import type { MemoryKind, MemoryListFilter, MemoryProvenance, MemoryRecord, MemoryScope, NewMemory } from '../store/memory-types.js';
import type { Store } from '../store/types.js';
import { createLocalEmbedder } from './embedders/local.js';
import type { Embedder } from './embedders/types.js';
import { queryWords } from '../store/memory-terms.js';
import { coverageOf, DEFAULT_MIN_RELEVANCE, fuseHits, relevanceOf, type HybridOptions } from './ranking.js';
import { StateManager, type StateManagerOptions } from './state.js';

/** A memory entry to seed: seed 000's `{ key, value, metadata }`. */
export interface MemoryEntryInput {
  /** Unique per run: seeding the same key again replaces the entry. */
  key?: string;
  /** Any JSON value; its text (or JSON) is what gets embedded, unless `text` is given. */
  value: unknown;
  /** The text to embed and index. @default the value if it is a string, else its JSON */
  text?: string;
  metadata?: Record<string, unknown>;
}

/** A learning: a lesson worth finding again. */
export interface LearningInput {
  text: string;
  /** A quality score given by the recorder (e.g. 0–1). */
  score?: number;
  metadata?: Record<string, unknown>;
}

/** One search result. */
export interface MemorySearchResult {
  id: string;
  kind: MemoryKind;
  runId: string | null;
  key: string | null;
  text: string;
  value: unknown;
  /** The hybrid score, higher better (0–1 with the default fusion): the order within one search, rescaled per query. */
  score: number;
  /** Absolute relevance to the query, 0–1 (`relevanceOf` in ranking.ts): comparable across queries; below `minRelevance` a hit is not returned. */
  relevance: number;
  /** Cosine similarity with the query, when the vector side found it. */
  vectorScore?: number;
  /** BM25 relevance, when the full-text side found it. */
  textScore?: number;
  metadata: Record<string, unknown>;
  provenance: MemoryProvenance | null;
  /** The score given when the learning was recorded. */
  recordedScore: number | null;
}

export interface MemoryPlaneOptions {
  store: Store;
  /** @default the bundled local model (`createLocalEmbedder()`), loaded on first use */
  embedder?: Embedder;
  /** Epoch ms source. @default Date.now */
  now?: () => number;
  /** How vector and full-text rankings combine. @default relative fusion, weights 0.7 / 0.3 */
  ranking?: HybridOptions;
  /** Candidates each side contributes to the fusion, at least. @default 50 */
  candidates?: number;
  /**
   * Relevance (0–1, see `relevanceOf` in ranking.ts) below which `search` returns nothing; a call's
   * own `minRelevance` wins. 0 returns every candidate. @default DEFAULT_MIN_RELEVANCE (0.3)
   */
  minRelevance?: number;
  /** Keep the vector index trained in the background after writes. @default true */
  maintainIndex?: boolean;
  /** Reports background failures (index upkeep). @default process.emitWarning */
  onError?: (error: unknown) => void;
  /** State manager settings (its clock is `now`). */
  state?: Omit<StateManagerOptions, 'now'>;
}

const runIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'run ids use letters, digits, . _ : - (at most 128)');
const metadataSchema = z.record(z.string(), z.unknown());
const entrySchema = z.object({ key: z.string().min(1).max(512).optional(), value: z.unknown(), text: z.string().max(200_000).optional(), metadata: metadataSchema.optional() });
const learningSchema = z.object({ text: z.string().trim().min(1, 'a learning needs text').max(200_000), score: z.number().finite().optional(), metadata: metadataSchema.optional() });
const provenanceSchema = z.record(z.string(), z.unknown());

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  assertValueLimits(value, what);
  const r = schema.safeParse(value);
  if (!r.success) throw new TuttiError('ERR_INVALID_INPUT', `${what}: ${r.error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** The text of a value: itself when a string, else its JSON. */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value ?? null);
}

/** Validates a scope. @throws TuttiError `ERR_INVALID_INPUT` */
export function checkScope(scope: unknown): MemoryScope {
  if (scope === 'global') return 'global';
  if (typeof scope === 'object' && scope !== null && 'runId' in scope) return { runId: parse(runIdSchema, scope.runId, 'scope.runId') };
  throw new TuttiError('ERR_INVALID_INPUT', `a memory scope is { runId } or 'global', got ${JSON.stringify(scope) ?? String(scope)}`);
}

export const newMemoryId = (now: number = Date.now()): string => `mem_${newRunId(now).slice(4)}`;

/**
 * Memory and state of runs.
 * @example
 * const plane = new MemoryPlane({ store });
 * await plane.seed('run-1', [{ key: 'ctx', value: 'the API is versioned under /v2' }]);
 * const hits = await plane.search({ runId: 'run-1' }, 'which API version?', 3);
 */
export class MemoryPlane {
  readonly store: Store;
  readonly state: StateManager;
  readonly #now: () => number;
  readonly #options: MemoryPlaneOptions;
  readonly #ownsEmbedder: boolean;
  #embedder: Embedder | null;
  #modelChecked = false;
  #maintaining: Promise<void> | null = null;
  #maintainAgain = false;

  constructor(options: MemoryPlaneOptions) {
    this.store = options.store;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#embedder = options.embedder ?? null;
    this.#ownsEmbedder = options.embedder === undefined;
    this.state = new StateManager(options.store, { ...options.state, now: this.#now });
  }

  /** The embedder in use (the bundled model is created, not loaded, on first access). */
  get embedder(): Embedder {
    this.#embedder ??= createLocalEmbedder();
    return this.#embedder;
  }

  /**
   * Fails when the store holds vectors of another model than this plane's embedder: mixing them
   * would silently rank only part of the memory.
   * @throws TuttiError `ERR_EMBEDDING_MISMATCH`
   */
  async #checkModel(): Promise<void> {
    if (this.#modelChecked) return;
    const model = this.embedder.model;
    const others = (await this.store.memoryModels()).filter((m) => m.model !== model);
    if (others.length) {
      const list = others.map((m) => `${m.count} of '${m.model}' (${m.dim} dimensions)`).join(', ');
      throw new TuttiError('ERR_EMBEDDING_MISMATCH', `this memory holds vectors of another embedding model: ${list}; this embedder is '${model}'. Use the same embedder, or a separate store`, {
        details: { embedder: model, stored: others },
      });
    }
    this.#modelChecked = true;
  }

  async #write(items: NewMemory[]): Promise<MemoryRecord[]> {
    if (items.length === 0) return [];
    await this.#checkModel();
    const vectors = await this.embedder.embed(items.map((i) => i.text));
    items.forEach((item, i) => (item.embedding = { model: this.embedder.model, vector: vectors[i]! }));
    const written = await this.store.addMemories(items);
    this.#scheduleMaintenance();
    return written.map((w) => w.record);
  }

  /**
   * Stores entries for a run (`null`: global entries). Entries with a key replace the run's entry
   * of that key. @returns the stored memories, in order.
   * @throws TuttiError `ERR_INVALID_INPUT`, `ERR_EMBEDDER`, `ERR_EMBEDDING_MISMATCH`
   */
  async seed(runId: string | null, entries: readonly MemoryEntryInput[], provenance?: MemoryProvenance): Promise<MemoryRecord[]> {
    if (runId !== null) parse(runIdSchema, runId, 'run id');
    const list = parse(z.array(entrySchema).max(10_000), entries, 'memory entries');
    const prov = provenance === undefined ? { ...(runId ? { runId } : {}), source: 'seed' } : parse(provenanceSchema, provenance, 'provenance');
    const now = this.#now();
    return this.#write(
      list.map((e) => ({
        id: newMemoryId(now),
        runId,
        kind: 'entry',
        key: e.key ?? null,
        text: e.text ?? textOf(e.value),
        value: e.value ?? null,
        metadata: e.metadata ?? {},
        provenance: prov,
        score: null,
        embedding: null,
        createdAt: now,
      })),
    );
  }

  /**
   * Records learnings with their provenance. A `dedupeKey` prefix makes recording idempotent
   * (learnings from one attempt output use `runId/taskId/attempt`: a re-delivered output records nothing twice).
   * @throws TuttiError `ERR_INVALID_INPUT`, `ERR_EMBEDDER`, `ERR_EMBEDDING_MISMATCH`
   */
  async recordLearnings(runId: string | null, learnings: readonly LearningInput[], provenance: MemoryProvenance | null = null, dedupePrefix?: string): Promise<MemoryRecord[]> {
    if (runId !== null) parse(runIdSchema, runId, 'run id');
    const list = parse(z.array(learningSchema).max(10_000), learnings, 'learnings');
    const prov = provenance === null ? (runId ? { runId } : null) : parse(provenanceSchema, provenance, 'provenance');
    const now = this.#now();
    return this.#write(
      list.map((l, i) => ({
        id: newMemoryId(now),
        runId,
        kind: 'learning',
        key: null,
        text: l.text,
        value: l.text,
        metadata: l.metadata ?? {},
        provenance: prov,
        score: l.score ?? null,
        embedding: null,
        createdAt: now,
        ...(dedupePrefix ? { dedupeKey: `${dedupePrefix}#${i}` } : {}),
      })),
    );
  }

  /** Records one learning (seed 000's `recordLearning`). */
  async recordLearning(runId: string | null, learning: string | LearningInput, score?: number, provenance?: MemoryProvenance): Promise<MemoryRecord> {
    const l: LearningInput = typeof learning === 'string' ? { text: learning } : { ...learning };
    if (score !== undefined) l.score = score;
    const [record] = await this.recordLearnings(runId, [l], provenance ?? null);
    return record!;
  }

  /**
   * Hybrid search: vector similarity and BM25, fused (see `ranking.ts`), best first, at most `topK`,
   * and only hits whose absolute relevance (`relevance`, 0–1) reaches `minRelevance`: fewer than
   * `topK` when fewer are relevant, none for a query about something the memories do not hold.
   * `{ runId }` sees only that run's memories; `'global'` sees all.
   * @param options.minRelevance overrides the plane's `minRelevance` for this call (0–1).
   * @throws TuttiError `ERR_INVALID_INPUT`, `ERR_EMBEDDER`, `ERR_EMBEDDING_MISMATCH`
   */
  async search(scope: MemoryScope, query: string, topK = 5, options: { minRelevance?: number } = {}): Promise<MemorySearchResult[]> {
    const s = checkScope(scope);
    const q = parse(z.string().trim().min(1, 'the query is empty').max(100_000), query, 'memory query');
    const k = parse(z.number().int().min(1).max(1000), topK, 'topK');
    const minRelevance = parse(z.number().min(0).max(1), options.minRelevance ?? this.#options.minRelevance ?? DEFAULT_MIN_RELEVANCE, 'minRelevance');
    await this.#checkModel();
    const candidates = Math.max(this.#options.candidates ?? 50, 4 * k);
    const [vector] = await this.embedder.embed([q]);
    const [vHits, tHits] = await Promise.all([this.store.searchMemoryVectors(s, this.embedder.model, vector!, candidates), this.store.searchMemoryText(s, q, candidates)]);
    // Every candidate in fused order; the relevance filter runs before the cut to topK.
    const fused = fuseHits(vHits, tHits, vHits.length + tHits.length, this.#options.ranking);
    const records = new Map((await this.store.getMemories(fused.map((f) => f.id))).map((r) => [r.id, r]));
    const words = queryWords(q);
    const out: MemorySearchResult[] = [];
    for (const f of fused) {
      if (out.length >= k) break;
      const r = records.get(f.id);
      if (!r) continue; // deleted meanwhile
      const relevance = relevanceOf(f.vectorScore, coverageOf(words, r.text));
      if (relevance < minRelevance) continue;
      const hit: MemorySearchResult = {
        id: r.id,
        kind: r.kind,
        runId: r.runId,
        key: r.key,
        text: r.text,
        value: r.value,
        score: f.score,
        relevance,
        metadata: r.metadata,
        provenance: r.provenance,
        recordedScore: r.score,
      };
      if (f.vectorScore !== undefined) hit.vectorScore = f.vectorScore;
      if (f.textScore !== undefined) hit.textScore = f.textScore;
      out.push(hit);
    }
    return out;
  }

  /** Stored memories, newest first. */
  async list(filter: MemoryListFilter = {}): Promise<MemoryRecord[]> {
    return this.store.listMemories(filter);
  }

  /** Deletes a run's memories (or these ids). @returns how many. */
  async delete(target: { runId: string } | { ids: readonly string[] }): Promise<number> {
    return this.store.deleteMemories(target);
  }

  #scheduleMaintenance(): void {
    if (this.#options.maintainIndex === false) return;
    if (this.#maintaining) {
      this.#maintainAgain = true;
      return;
    }
    this.#maintaining = (async () => {
      do {
        this.#maintainAgain = false;
        try {
          await this.store.maintainMemoryIndex();
        } catch (e) {
          if (this.#options.onError) this.#options.onError(e);
          else process.emitWarning(`tutti memory: keeping the vector index failed: ${errorMessage(e)}`);
          return;
        }
      } while (this.#maintainAgain);
    })().finally(() => {
      this.#maintaining = null;
    });
  }

  /** Waits for background index upkeep, then runs it once more (e.g. before a benchmark or exit). */
  async maintain(): Promise<void> {
    while (this.#maintaining) await this.#maintaining;
    await this.store.maintainMemoryIndex();
  }

  /** Waits for background work and releases the embedder it created (not a given one, nor the store). */
  async close(): Promise<void> {
    while (this.#maintaining) await this.#maintaining;
    if (this.#ownsEmbedder && this.#embedder) await this.#embedder.close?.();
    this.#embedder = this.#ownsEmbedder ? null : this.#embedder;
  }
}
