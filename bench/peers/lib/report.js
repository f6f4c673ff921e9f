/**
 * The peers table (text and Markdown), the W4 table, the SVG chart of steps/s per system, and the
 * rewrite of the peers section of docs/benchmarks.md between its own markers.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../lib/tutti.js';
import { median } from '../../lib/stats.js';

export const START = '<!-- peers:start -->';
export const END = '<!-- peers:end -->';
export const DOC = join(ROOT, 'docs', 'benchmarks.md');
export const CHART = join(ROOT, 'docs', 'bench-peers.svg');

/** Peers on PostgreSQL: their cells also show tutti-on-PostgreSQL's ratio. */
const PG_PEERS = new Set(['graphile-worker', 'pg-boss']);

const int = (x) => Math.round(x).toLocaleString('en-US');

/**
 * @typedef {{ system: string, key: string, rates: number[], cut: boolean, done: number, total: number, bytes: number | null }} Cell
 *   rates: steps/s per repetition (for a cut run: completed steps / time until the cut, an upper
 *   bound of the rate a full run would have).
 */

/** @param {Cell | undefined} c */
export const rateOf = (c) => (c && c.rates.length ? median(c.rates) : null);

/**
 * tutti's ratio to a peer: throughput tutti / peer; bytes peer / tutti (so > 1 always means tutti
 * is better).
 */
export function ratio(tutti, peer, kind) {
  if (tutti === null || peer === null || !tutti || !peer) return null;
  return kind === 'bytes' ? peer / tutti : tutti / peer;
}

/**
 * @param {{ systems: Array<{ name: string, label: string }>, cases: Array<{ key: string, title: string, bytes: boolean }>, cells: Map<string, Cell> }} r
 * @returns {{ head: string[], rows: string[][] }}
 */
export function mainTable(r) {
  const head = ['system', ...r.cases.map((c) => `${c.title} (steps/s)`), ...r.cases.filter((c) => c.bytes).map((c) => `B/step after ${c.title}`)];
  const rows = [];
  for (const s of r.systems) {
    const row = [s.label];
    for (const c of r.cases) {
      const cell = r.cells.get(`${s.name}/${c.key}`);
      const v = rateOf(cell);
      if (v === null) {
        row.push('—');
        continue;
      }
      const t = rateOf(r.cells.get(`tutti/${c.key}`));
      const q = s.name.startsWith('tutti') ? null : ratio(t, v, 'rate');
      const spread = cell.rates.length > 1 ? ` [${int(Math.min(...cell.rates))}–${int(Math.max(...cell.rates))}, n=${cell.rates.length}]` : '';
      const cutNote = cell.cut ? ` (≤; cut at ${int(cell.done)}/${int(cell.total)} steps)` : '';
      const tp = rateOf(r.cells.get(`tutti-pg/${c.key}`));
      const qp = PG_PEERS.has(s.name) ? ratio(tp, v, 'rate') : null;
      const fx = (x) => x.toFixed(x >= 10 ? 0 : 1);
      row.push(`${int(v)}${spread}${cutNote}${q === null ? '' : ` · tutti ${fx(q)}×`}${qp === null ? '' : ` · tutti-pg ${fx(qp)}×`}`);
    }
    for (const c of r.cases.filter((x) => x.bytes)) {
      const cell = r.cells.get(`${s.name}/${c.key}`);
      if (!cell || cell.bytes === null) {
        row.push('—');
        continue;
      }
      const per = cell.bytes / cell.done;
      const t = r.cells.get(`tutti/${c.key}`);
      const q = s.name.startsWith('tutti') || !t || t.bytes === null ? null : ratio(t.bytes / t.done, per, 'bytes');
      const tp = r.cells.get(`tutti-pg/${c.key}`);
      const qp = PG_PEERS.has(s.name) && tp && tp.bytes !== null ? ratio(tp.bytes / tp.done, per, 'bytes') : null;
      const fx = (x) => (x >= 10 ? x.toFixed(0) : x.toFixed(1));
      row.push(`${int(per)}${cell.cut ? ` (${int(cell.done)} steps)` : ''}${q === null ? '' : ` · tutti ${fx(q)}×`}${qp === null ? '' : ` · tutti-pg ${fx(qp)}×`}`);
    }
    rows.push(row);
  }
  return { head, rows };
}

/**
 * @param {{ traces: Array<{ name: string, tasks: number, criticalMs: number, levelledMs: number }>, systems: Array<{ name: string, label: string }>, w4: Map<string, { makespanMs: number, cut: boolean }> }} r
 */
export function w4Table(r) {
  const head = ['trace (tasks)', 'critical path', 'levelled floor', ...r.systems.map((s) => s.label)];
  const rows = r.traces.map((t) => [
    `${t.name} (${t.tasks})`,
    `${(t.criticalMs / 1000).toFixed(2)} s`,
    `${(t.levelledMs / 1000).toFixed(2)} s (+${(((t.levelledMs - t.criticalMs) / t.criticalMs) * 100).toFixed(1)}%)`,
    ...r.systems.map((s) => {
      const x = r.w4.get(`${s.name}/${t.name}`);
      if (!x) return '—';
      if (x.cut) return 'cut';
      const over = x.makespanMs - t.criticalMs;
      return `+${((over / t.criticalMs) * 100).toFixed(1)}% (${int(over)} ms)`;
    }),
  ]);
  return { head, rows };
}

/** @param {{ head: string[], rows: string[][] }} t */
export function textOf(t) {
  const all = [t.head, ...t.rows];
  const widths = t.head.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => r.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
  return [line(t.head), widths.map((w) => '-'.repeat(w)).join('  '), ...t.rows.map(line)].join('\n');
}

/** @param {{ head: string[], rows: string[][] }} t */
export function markdownOf(t) {
  const esc = (s) => s.replace(/\|/g, '\\|');
  return [`| ${t.head.map(esc).join(' | ')} |`, `|${t.head.map(() => '---').join('|')}|`, ...t.rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

const COLORS = ['#1f6feb', '#d29922', '#8250df', '#cf222e', '#2da44e', '#6e7781', '#bf3989', '#0a7ea4'];
const escXml = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A grouped horizontal bar chart, log scale: one group per case, one bar per system (median
 * steps/s; a hatched bar marks a cut run, an upper bound).
 * @param {{ systems: Array<{ name: string, label: string }>, cases: Array<{ key: string, title: string }>, cells: Map<string, Cell> }} r
 * @param {string} subtitle
 * @returns {string} SVG text
 */
export function chartSvg(r, subtitle) {
  const bar = 14;
  const gap = 4;
  const groupGap = 18;
  const left = 200;
  const width = 860;
  const plotW = width - left - 90;
  const top = 58;
  const values = [...r.cells.values()].map(rateOf).filter((v) => v !== null && v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values, 10)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values, 100)));
  const x = (v) => left + ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotW;
  const parts = [];
  let y = top;
  for (const c of r.cases) {
    const present = r.systems.filter((s) => rateOf(r.cells.get(`${s.name}/${c.key}`)) !== null);
    if (!present.length) continue;
    parts.push(`<text x="8" y="${y + 11}" font-weight="bold">${escXml(c.title)}</text>`);
    y += 16;
    for (const s of present) {
      const cell = r.cells.get(`${s.name}/${c.key}`);
      const v = rateOf(cell);
      const color = COLORS[r.systems.indexOf(s) % COLORS.length];
      parts.push(`<text x="${left - 6}" y="${y + bar - 3}" text-anchor="end">${escXml(s.label)}</text>`);
      parts.push(`<rect x="${left}" y="${y}" width="${Math.max(1, x(v) - left).toFixed(1)}" height="${bar}" fill="${color}"${cell.cut ? ' fill-opacity="0.35" stroke="' + color + '" stroke-dasharray="3,2"' : ''}/>`);
      parts.push(`<text x="${(x(v) + 4).toFixed(1)}" y="${y + bar - 3}">${int(v)}${cell.cut ? ' (≤, cut)' : ''}</text>`);
      y += bar + gap;
    }
    y += groupGap;
  }
  const axis = [];
  for (let v = lo; v <= hi; v *= 10) {
    axis.push(`<line x1="${x(v).toFixed(1)}" y1="${top - 6}" x2="${x(v).toFixed(1)}" y2="${y - groupGap}" stroke="#d0d7de"/>`);
    axis.push(`<text x="${x(v).toFixed(1)}" y="${top - 10}" text-anchor="middle" fill="#57606a">${int(v)}</text>`);
  }
  const height = y + 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="8" y="18" font-size="14" font-weight="bold">Steps per second, median (log scale; higher is better)</text>`,
    `<text x="8" y="34" fill="#57606a">${escXml(subtitle)}</text>`,
    ...axis,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

/** Replaces the text between the peers markers of docs/benchmarks.md (appends them when absent). @param {string} text */
export function writeSection(text) {
  if (!existsSync(DOC)) throw new Error(`${DOC} is missing`);
  const doc = readFileSync(DOC, 'utf8');
  const a = doc.indexOf(START);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) {
    writeFileSync(DOC, `${doc.trimEnd()}\n\n## Side by side with the peers\n\n${START}\n${text}\n${END}\n`);
    return;
  }
  writeFileSync(DOC, `${doc.slice(0, a + START.length)}\n${text}\n${doc.slice(b)}`);
}
