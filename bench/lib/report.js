/**
 * Where and on what the suite ran (for --json and --write), and the rewrite of the results
 * section of docs/benchmarks.md between its markers.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { markdownTable } from './rows.js';
import { ROOT } from './tutti.js';

export const START = '<!-- bench:start -->';
export const END = '<!-- bench:end -->';
export const DOC = join(ROOT, 'docs', 'benchmarks.md');

function git(args) {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** @param {string[]} argv the suite's own arguments */
export function environment(argv) {
  const cpu = cpus();
  const dirty = git(['status', '--porcelain', '--', 'src']) !== '';
  const viaNpm = process.env.npm_lifecycle_event === 'bench';
  return {
    date: new Date().toISOString(),
    node: process.version,
    os: `${platform()} ${release()}`,
    cpus: cpu.length,
    cpuModel: cpu[0]?.model?.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    commit: git(['rev-parse', '--short=12', 'HEAD']) || 'unknown',
    srcDirty: dirty,
    command: viaNpm ? `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}` : `node bench/run.js ${argv.join(' ')}`.trim(),
  };
}

/**
 * @param {ReturnType<typeof environment>} env
 * @param {import('./rows.js').Row[]} rows
 * @param {number} seconds
 */
export function resultsMarkdown(env, rows, seconds) {
  return [
    `Measured ${env.date.slice(0, 16).replace('T', ' ')} UTC with \`${env.command}\` (${Math.round(seconds)} s):`,
    `Node ${env.node}, ${env.os}, ${env.cpus} × ${env.cpuModel}, ${env.memoryGiB} GiB; commit ${env.commit}${env.srcDirty ? ' with uncommitted changes in src/ (dist/ as built then)' : ''}.`,
    'Median of n repetitions (n = samples for W6 percentiles); min–max when n > 1.',
    '',
    markdownTable(rows),
  ].join('\n');
}

/** Replaces the text between the markers of docs/benchmarks.md. @param {string} text */
export function writeResults(text) {
  if (!existsSync(DOC)) throw new Error(`${DOC} is missing`);
  const doc = readFileSync(DOC, 'utf8');
  const a = doc.indexOf(START);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${DOC} lacks the markers ${START} … ${END}`);
  writeFileSync(DOC, `${doc.slice(0, a + START.length)}\n${text}\n${doc.slice(b)}`);
}
