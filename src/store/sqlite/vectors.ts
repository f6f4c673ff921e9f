/**
 * Float32 vector helpers of the SQLite memory store: blobs, dot products and a bounded top-k.
 * Vectors are unit length, so the dot product is the cosine similarity.
 */

/** The vector as a little-endian float32 blob (a copy). */
export function toBlob(v: Float32Array): Buffer {
  return Buffer.from(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
}

/** A Float32Array over a blob; copies only when the blob is not 4-byte aligned. */
export function fromBlob(b: Buffer | Uint8Array): Float32Array {
  if (b.byteOffset % 4 === 0) return new Float32Array(b.buffer, b.byteOffset, b.byteLength >> 2);
  return new Float32Array(new Uint8Array(b).buffer);
}

/** Dot product of `q` with `a[offset .. offset + q.length)`; unrolled by four (dimensions are multiples of 4 in practice, the tail is handled). */
export function dotAt(a: Float32Array, offset: number, q: Float32Array): number {
  const n = q.length;
  const m = n - (n % 4);
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let o = offset;
  let j = 0;
  for (; j < m; j += 4, o += 4) {
    s0 += a[o]! * q[j]!;
    s1 += a[o + 1]! * q[j + 1]!;
    s2 += a[o + 2]! * q[j + 2]!;
    s3 += a[o + 3]! * q[j + 3]!;
  }
  for (; j < n; j++, o++) s0 += a[o]! * q[j]!;
  return s0 + s1 + s2 + s3;
}

/**
 * Keeps the `k` highest-scoring items seen (ties: first seen wins). O(log k) per kept item;
 * most items are rejected by one comparison with the current minimum.
 */
export class TopK {
  readonly #k: number;
  readonly #scores: number[] = [];
  readonly #ids: number[] = [];

  constructor(k: number) {
    this.#k = Math.max(0, k);
  }

  /** The score an item must beat to enter (−∞ until full). */
  get threshold(): number {
    return this.#scores.length < this.#k ? -Infinity : this.#scores[0]!;
  }

  push(id: number, score: number): void {
    const s = this.#scores;
    const ids = this.#ids;
    if (s.length < this.#k) {
      // Sift up in a min-heap.
      let i = s.length;
      s.push(score);
      ids.push(id);
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (s[p]! <= s[i]!) break;
        [s[p], s[i]] = [s[i]!, s[p]!];
        [ids[p], ids[i]] = [ids[i]!, ids[p]!];
        i = p;
      }
      return;
    }
    if (this.#k === 0 || score <= s[0]!) return;
    s[0] = score;
    ids[0] = id;
    // Sift down.
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < s.length && s[l]! < s[m]!) m = l;
      if (r < s.length && s[r]! < s[m]!) m = r;
      if (m === i) break;
      [s[m], s[i]] = [s[i]!, s[m]!];
      [ids[m], ids[i]] = [ids[i]!, ids[m]!];
      i = m;
    }
  }

  /** Best first. */
  sorted(): Array<{ id: number; score: number }> {
    return this.#ids.map((id, i) => ({ id, score: this.#scores[i]! })).sort((a, b) => b.score - a.score || a.id - b.id);
  }
}
