/** Small statistics over repeated measurements. */

/** @param {number[]} xs @returns {number[]} a sorted copy */
const sorted = (xs) => [...xs].sort((a, b) => a - b);

/** Nearest-rank percentile (p in 0–100) of a non-empty list. @param {number[]} xs @param {number} p */
export function percentile(xs, p) {
  const s = sorted(xs);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))];
}

/** Median (mean of the two middle values for even counts). @param {number[]} xs */
export function median(xs) {
  const s = sorted(xs);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * @param {number[]} xs
 * @returns {{ median: number, min: number, max: number, n: number, values: number[] }}
 */
export function summarize(xs) {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length, values: xs };
}
