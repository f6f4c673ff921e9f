#!/usr/bin/env node
/**
 * Summarises .cpuprofile files (from `node bench/run.js --profile DIR` or `node --cpu-prof`):
 * self time by category (SQLite/native, store JS, engine JS, GC, idle…) and the top functions.
 *
 *   node bench/profile-summary.js FILE.cpuprofile [more files…] [--top 25] [--until MS]
 *
 * --until MS: only the first MS ms of each profile (e.g. a process's start and recovery).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { summarizeProfile } from './lib/profile.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '15' }, until: { type: 'string' } } });
if (positionals.length === 0) {
  process.stderr.write('usage: node bench/profile-summary.js FILE.cpuprofile [...] [--top N] [--until MS]\n');
  process.exitCode = 2;
}
for (const file of positionals) {
  process.stdout.write(`== ${file}\n${summarizeProfile(JSON.parse(readFileSync(file, 'utf8')), Number(values.top), values.until ? Number(values.until) : Infinity)}\n\n`);
}
