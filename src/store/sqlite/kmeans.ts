/**
 * Spherical k-means for the IVF index of `memory-index.ts`: centroids are unit vectors and points
 * are assigned by the highest dot product (cosine). Cooperative: it yields to the event loop
 * every `sliceMs` so an engine sharing the process keeps its heartbeats and claims flowing.
 */
import { dotAt } from './vectors.js';

export interface KMeansOptions {
  /** Number of centroids. */
  k: number;
  /** Lloyd iterations. @default 8 */
  iterations?: number;
  /** Random source in [0, 1). @default Math.random */
  random?: () => number;
  /** Longest stretch of work between yields, ms. @default 10 */
  sliceMs?: number;
}

const yieldNow = () => new Promise<void>((r) => setImmediate(r));

function normaliseAt(a: Float32Array, offset: number, dim: number): void {
  let n = 0;
  for (let j = 0; j < dim; j++) n += a[offset + j]! * a[offset + j]!;
  n = Math.sqrt(n);
  if (n === 0) return;
  for (let j = 0; j < dim; j++) a[offset + j]! /= n;
}

/** Index of the centroid with the highest dot product with `v` (centroids packed in `c`). */
export function nearest(c: Float32Array, k: number, v: Float32Array): number {
  const dim = v.length;
  let best = 0;
  let bestScore = -Infinity;
  for (let i = 0, o = 0; i < k; i++, o += dim) {
    const s = dotAt(c, o, v);
    if (s > bestScore) {
      bestScore = s;
      best = i;
    }
  }
  return best;
}

/**
 * Trains `k` unit centroids on `points` (packed, `dim` floats each).
 * Empty clusters are re-seeded with a random point. k-means++ seeding is skipped on purpose:
 * its k passes over the sample cost as much as the iterations; random seeding plus re-seeding
 * of empty clusters is enough for an IVF coarse quantiser, whose errors probing absorbs.
 * @returns k × dim packed centroids.
 */
export async function trainKMeans(points: Float32Array, dim: number, options: KMeansOptions): Promise<Float32Array> {
  const n = points.length / dim;
  const k = Math.max(1, Math.min(options.k, n));
  const random = options.random ?? Math.random;
  const sliceMs = options.sliceMs ?? 10;
  const c = new Float32Array(k * dim);
  // Seed with distinct random points (partial Fisher–Yates over indices).
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random() * (n - i));
    [order[i], order[j]] = [order[j]!, order[i]!];
    c.set(points.subarray(order[i]! * dim, order[i]! * dim + dim), i * dim);
  }
  const assign = new Int32Array(n);
  const counts = new Int32Array(k);
  let deadline = performance.now() + sliceMs;
  for (let it = 0; it < (options.iterations ?? 8); it++) {
    for (let p = 0; p < n; p++) {
      assign[p] = nearest(c, k, points.subarray(p * dim, p * dim + dim));
      if (performance.now() >= deadline) {
        await yieldNow();
        deadline = performance.now() + sliceMs;
      }
    }
    c.fill(0);
    counts.fill(0);
    for (let p = 0; p < n; p++) {
      const o = assign[p]! * dim;
      counts[assign[p]!]!++;
      for (let j = 0; j < dim; j++) c[o + j]! += points[p * dim + j]!;
    }
    for (let i = 0; i < k; i++) {
      if (counts[i] === 0) {
        const p = Math.floor(random() * n);
        c.set(points.subarray(p * dim, p * dim + dim), i * dim);
      } else normaliseAt(c, i * dim, dim);
    }
  }
  return c;
}
