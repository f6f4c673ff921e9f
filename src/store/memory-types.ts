/**
 * The memory part of the Store contract: entries and learnings with text, metadata, provenance,
 * score and an embedding, plus the two searches the memory plane combines (full text and vector).
 * How a backend indexes vectors is its own business (SQLite: `store/sqlite/memory*.ts`); the
 * conformance suite checks the results against exact search.
 */

/** `entry`: context seeded or written by code (may have a key); `learning`: a lesson recorded by an agent or a caller. */
export type MemoryKind = 'entry' | 'learning';

/** Where a memory came from. Every field optional; extra fields are kept. */
export interface MemoryProvenance {
  runId?: string;
  taskId?: string;
  /** 1-based attempt number. */
  attempt?: number;
  agentId?: string;
  /** Free-form origin: `seed`, `cli`, `agent-output`… */
  source?: string;
  [field: string]: unknown;
}

/** `{ runId }`: one run's memories only; `'global'`: every memory, of every run and of none. */
export type MemoryScope = { runId: string } | 'global';

/** A stored memory. */
export interface MemoryRecord {
  id: string;
  /** Null: a global memory belonging to no run. */
  runId: string | null;
  kind: MemoryKind;
  /** Entries may have a key, unique per (run, kind): writing it again replaces the memory. */
  key: string | null;
  /** What is embedded and indexed for full-text search. */
  text: string;
  /** The value as given (any JSON); for learnings, the text. */
  value: unknown;
  metadata: Record<string, unknown>;
  provenance: MemoryProvenance | null;
  /** A caller-given quality score (e.g. how useful a learning proved). */
  score: number | null;
  /** The embedding's model and dimension; null when stored without one. */
  embedding: { model: string; dim: number } | null;
  createdAt: number;
  updatedAt: number;
}

/** A memory to write. */
export interface NewMemory {
  id: string;
  runId: string | null;
  kind: MemoryKind;
  key: string | null;
  text: string;
  value: unknown;
  metadata: Record<string, unknown>;
  provenance: MemoryProvenance | null;
  score: number | null;
  /** Unit-length vector (cosine similarity = dot product) and the model that made it. */
  embedding: { model: string; vector: Float32Array } | null;
  /**
   * Idempotency: a second write with the same dedupe key returns the first memory unchanged
   * (learnings parsed from an attempt's output use `runId/taskId/attempt#i`).
   */
  dedupeKey?: string | null;
  createdAt: number;
}

/** What a write did to one memory. */
export interface MemoryWriteResult {
  record: MemoryRecord;
  /** `created`, `replaced` (same key), or `existing` (same dedupe key: nothing written). */
  outcome: 'created' | 'replaced' | 'existing';
}

/** A search hit before the plane combines rankings. */
export interface MemoryHit {
  id: string;
  /** Text: BM25 relevance (≥ 0, higher better). Vector: cosine similarity (−1…1, higher better). */
  score: number;
}

export interface MemoryListFilter {
  /** A run's memories; null: global ones only; omitted: all. */
  runId?: string | null;
  kind?: MemoryKind;
  /** Newest first, before this id's creation (cursor). */
  before?: string;
  /** @default 100 */
  limit?: number;
}

/** An embedding model present in the store. */
export interface MemoryModelInfo {
  model: string;
  dim: number;
  /** Memories embedded with it. */
  count: number;
}

/** What a backend stores for the memory plane. */
export interface MemoryStore {
  /**
   * Writes memories in one transaction (keys replace, dedupe keys return the existing memory).
   * @throws TuttiError `ERR_EMBEDDING_MISMATCH` when a vector's length differs from the dimension
   *   the store recorded for its model; `ERR_INVALID_INPUT` for an id already used by another memory.
   */
  addMemories(items: readonly NewMemory[]): Promise<MemoryWriteResult[]>;
  /** The memories with these ids that exist, in the given order. */
  getMemories(ids: readonly string[]): Promise<MemoryRecord[]>;
  /** Newest first. */
  listMemories(filter?: MemoryListFilter): Promise<MemoryRecord[]>;
  /** Deletes a run's memories (or these ids). @returns how many. */
  deleteMemories(target: { runId: string } | { ids: readonly string[] }): Promise<number>;
  /** Memories whose text matches any word of `query`, by BM25, best first, at most `limit`. */
  searchMemoryText(scope: MemoryScope, query: string, limit: number): Promise<MemoryHit[]>;
  /**
   * The memories embedded with `model` most similar to `vector` (cosine), best first, at most
   * `limit`. Backends may answer approximately for large global scopes (SQLite: recall@10 ≥ 0.95,
   * see docs/memory.md); a run's scope and small stores are searched exactly.
   * @throws TuttiError `ERR_EMBEDDING_MISMATCH` when `vector` has another dimension than the model's.
   */
  searchMemoryVectors(scope: MemoryScope, model: string, vector: Float32Array, limit: number): Promise<MemoryHit[]>;
  /** The embedding models with vectors in the store. */
  memoryModels(): Promise<MemoryModelInfo[]>;
  /**
   * Upkeep of the vector index (training it, re-training as the store grows). Cheap when nothing
   * is due, cooperative (yields to the event loop), safe from several processes. Backends without
   * an index resolve at once.
   */
  maintainMemoryIndex(): Promise<void>;
}
