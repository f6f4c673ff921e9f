/**
 * A result row: one metric of one workload, its repetitions, the target from
 * ../shared/design/BENCHMARKS.md and whether the median meets it.
 */
import { summarize } from './stats.js';

/**
 * @typedef {{ op: '>=' | '<=', value: number, text: string }} Target
 * @typedef {{
 *   id: string, metric: string, unit: string,
 *   median: number, min: number, max: number, n: number, values: number[],
 *   target: string | null, met: boolean | null, note: string
 * }} Row
 */

/** @param {number} value @param {string} text @returns {Target} */
export const atLeast = (value, text) => ({ op: '>=', value, text });
/** @param {number} value @param {string} text @returns {Target} */
export const atMost = (value, text) => ({ op: '<=', value, text });

/**
 * @param {string} id workload id (W1…)
 * @param {string} metric what is measured
 * @param {string} unit steps/s, ms, %, ×, B, count
 * @param {number[]} values one per repetition (or per sample)
 * @param {{ target?: Target | null, note?: string }} [more]
 * @returns {Row}
 */
export function row(id, metric, unit, values, more = {}) {
  const s = summarize(values);
  const t = more.target ?? null;
  const met = t === null ? null : t.op === '>=' ? s.median >= t.value : s.median <= t.value;
  return { id, metric, unit, ...s, target: t ? t.text : null, met, note: more.note ?? '' };
}

/** @param {number} x @param {string} unit */
export function fmt(x, unit) {
  if (!Number.isFinite(x)) return String(x);
  const int = (v) => Math.round(v).toLocaleString('en-US');
  switch (unit) {
    case 'steps/s':
    case 'B':
    case 'count':
      return int(x);
    case 'ms':
      return Math.abs(x) >= 100 ? int(x) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2);
    case '%':
      return `${x.toFixed(2)}`;
    case '×':
      return x.toFixed(2);
    default:
      return String(Math.round(x * 100) / 100);
  }
}

/** @param {Row} r */
export function cells(r) {
  const range = r.values.length > 1 ? `${fmt(r.min, r.unit)}–${fmt(r.max, r.unit)}` : '';
  const met = r.met === null ? '' : r.met ? 'yes' : 'NO';
  return [r.id, r.metric, `${fmt(r.median, r.unit)} ${r.unit}`, range, String(r.n), r.target ?? '', met, r.note];
}

const HEAD = ['id', 'metric', 'median', 'min–max', 'n', 'target', 'met', 'note'];

/** Plain aligned text for a terminal. @param {Row[]} rows */
export function textTable(rows) {
  const all = [HEAD, ...rows.map(cells)];
  const widths = HEAD.map((_, i) => Math.max(...all.map((c) => c[i].length)));
  const line = (c) => c.map((v, i) => (i === 2 ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(HEAD), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => line(cells(r)))].join('\n');
}

/** A Markdown table. @param {Row[]} rows */
export function markdownTable(rows) {
  const esc = (s) => s.replace(/\|/g, '\\|');
  const out = [`| ${HEAD.join(' | ')} |`, `|${HEAD.map((_, i) => (i === 2 || i === 4 ? '---:' : '---')).join('|')}|`];
  for (const r of rows) out.push(`| ${cells(r).map(esc).join(' | ')} |`);
  return out.join('\n');
}
