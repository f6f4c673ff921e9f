/**
 * Hybrid ranking: one list from the vector hits (cosine similarity) and the full-text hits
 * (BM25). See docs/memory.md for how the default was chosen.
 *
 * `relative` (default): each list's scores are rescaled to 0–1 within the list (min–max over the
 * candidates, a single candidate scores 1), then `score = wv·vector + wt·text`, where an item
 * missing from a list gets 0 from it. Rescaling matters because the two scales are unrelated:
 * BM25 is unbounded, and sentence-embedding cosines share a high baseline (about 0.6 between
 * unrelated passages with the bundled model), so raw values would let one side dominate.
 * `rrf`: reciprocal rank fusion, `score = Σ 1 / (60 + rank)`, which ignores score values.
 */
import type { MemoryHit } from '../store/memory-types.js';
import { queryWords } from '../store/memory-terms.js';

export type FusionMethod = 'relative' | 'rrf';

export interface HybridOptions {
  /** @default 'relative' */
  method?: FusionMethod;
  /** Weight of the vector side (relative fusion). @default 0.7 */
  vectorWeight?: number;
  /** Weight of the text side (relative fusion). @default 0.3 */
  textWeight?: number;
}

/** A fused hit with the parts it came from. */
export interface FusedHit {
  id: string;
  /** Combined score, higher better (relative: 0–1). */
  score: number;
  /** Cosine similarity, when the vector side found it. */
  vectorScore?: number;
  /** BM25, when the text side found it. */
  textScore?: number;
}

function rescale(hits: readonly MemoryHit[]): Map<string, number> {
  const out = new Map<string, number>();
  if (hits.length === 0) return out;
  let min = Infinity;
  let max = -Infinity;
  for (const h of hits) {
    min = Math.min(min, h.score);
    max = Math.max(max, h.score);
  }
  const span = max - min;
  for (const h of hits) out.set(h.id, span > 0 ? (h.score - min) / span : 1);
  return out;
}

/** Combines both candidate lists into one, best first, at most `topK` (ties: vector rank, then id). */
export function fuseHits(vector: readonly MemoryHit[], text: readonly MemoryHit[], topK: number, options: HybridOptions = {}): FusedHit[] {
  const byId = new Map<string, FusedHit>();
  const get = (id: string) => {
    let f = byId.get(id);
    if (!f) byId.set(id, (f = { id, score: 0 }));
    return f;
  };
  for (const h of vector) get(h.id).vectorScore = h.score;
  for (const h of text) get(h.id).textScore = h.score;
  if ((options.method ?? 'relative') === 'rrf') {
    vector.forEach((h, i) => (get(h.id).score += 1 / (60 + i + 1)));
    text.forEach((h, i) => (get(h.id).score += 1 / (60 + i + 1)));
  } else {
    const wv = options.vectorWeight ?? 0.7;
    const wt = options.textWeight ?? 0.3;
    const v = rescale(vector);
    const t = rescale(text);
    for (const f of byId.values()) f.score = wv * (v.get(f.id) ?? 0) + wt * (t.get(f.id) ?? 0);
  }
  const vectorRank = new Map(vector.map((h, i) => [h.id, i]));
  return [...byId.values()]
    .sort((a, b) => b.score - a.score || (vectorRank.get(a.id) ?? Infinity) - (vectorRank.get(b.id) ?? Infinity) || (a.id < b.id ? -1 : 1))
    .slice(0, Math.max(0, topK));
}

/**
 * Default {@link relevanceOf} below which a search returns nothing: 0.3. Chosen on the retrieval
 * test's real text with the bundled model (docs/memory.md, "Relevance"): the right sections for
 * its 16 paraphrased questions score 0.37–0.91, the best hits of 8 unrelated queries 0.02–0.25.
 */
export const DEFAULT_MIN_RELEVANCE = 0.3;

/**
 * How much of the query a passage covers, 0–1: the share of the query's words (stop words
 * dropped) found in the text, a word matching a longer or shorter form of itself (`install` and
 * `installation`) when both have four letters or more. 0 for a query without words.
 */
export function coverageOf(query: readonly string[], text: string): number {
  if (query.length === 0) return 0;
  const words = queryWords(text, Infinity);
  const exact = new Set(words);
  let found = 0;
  for (const q of query) {
    if (exact.has(q) || (q.length >= 4 && words.some((w) => w.length >= 4 && (w.startsWith(q) || q.startsWith(w))))) found++;
  }
  return found / query.length;
}

/**
 * The absolute relevance of a hit, 0–1, independent of the other candidates (unlike the fused
 * score, which rescales within the candidates, so that something always scores high): the mean
 * of its cosine similarity to the query (clamped to 0–1; 0 when the vector side did not find it)
 * and its {@link coverageOf} the query's words.
 */
export function relevanceOf(cosine: number | undefined, coverage: number): number {
  const v = cosine === undefined ? 0 : Math.min(1, Math.max(0, cosine));
  return (v + Math.min(1, Math.max(0, coverage))) / 2;
}
