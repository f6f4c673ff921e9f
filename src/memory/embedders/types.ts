/** The embedder contract of the memory plane. */

/**
 * Turns texts into unit-length vectors. `model` is recorded with every vector: a store refuses to
 * mix vectors of different models or dimensions (`ERR_EMBEDDING_MISMATCH`).
 */
export interface Embedder {
  /** Stable id of the model and its settings, e.g. `use-lite-512` or `openai:text-embedding-3-small`. */
  readonly model: string;
  /** Vector length, when known before the first call (HTTP providers learn it from the first answer). */
  readonly dimension: number | null;
  /**
   * Embeds texts, in order. Vectors are unit length (cosine similarity = dot product).
   * @throws TuttiError `ERR_EMBEDDER` when the model cannot load or the provider fails.
   */
  embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]>;
  /** Releases threads or connections. Later calls may reopen them. */
  close?(): Promise<void>;
}

/** Scales a vector to unit length in place (a zero vector stays zero). */
export function normalise(v: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
  if (n === 0) return v;
  n = Math.sqrt(n);
  for (let i = 0; i < v.length; i++) v[i]! /= n;
  return v;
}
