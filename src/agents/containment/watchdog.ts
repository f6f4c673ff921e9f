/**
 * The watchdog: no agent process outlives the process that started it, even after `kill -9`.
 *
 * One small helper process per Node process that spawns agent processes, started with the first
 * one. It holds the read end of a pipe from its parent, which writes `+<pgid>` / `-<pgid>` lines
 * as process groups start and end. When the pipe closes — the parent exited, normally or killed
 * — the watchdog SIGKILLs what is left: its cgroup (`cgroup.kill`), every process group still
 * listed, and on Linux every process whose environment carries the parent's containment mark;
 * then it removes the cgroup directories and exits. The parent never waits for it: the child and
 * the pipe are unref'd, so the watchdog neither keeps the event loop alive nor outlives a normal
 * exit by more than its final sweep.
 *
 * Its source is inline JavaScript run with `node -e` (the same from `src/` under a test runner
 * and from `dist/`); it runs in a session of its own (not killed with the terminal's process
 * group) and without the containment markers (never killed by the sweeps it exists to do).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';

/** The watchdog program: argv = [mark, cgroup dir or '']. */
const SOURCE = String.raw`
const fs = require('fs');
const path = require('path');
const [mark, cgdir] = process.argv.slice(1);
const groups = new Set();
let buf = '';
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
process.stdin.on('data', (d) => {
  buf += d.toString('latin1');
  let i;
  while ((i = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, i);
    buf = buf.slice(i + 1);
    const n = Number(line.slice(1));
    if (!Number.isInteger(n) || n <= 1) continue;
    if (line[0] === '+') groups.add(n); else if (line[0] === '-') groups.delete(n);
  }
});
const marker = '\u0000TUTTI_CONTAINMENT=' + mark + ':';
function marked() {
  const out = [];
  let names = [];
  try { names = fs.readdirSync('/proc'); } catch { return out; }
  for (const name of names) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (('\u0000' + fs.readFileSync('/proc/' + name + '/environ', 'latin1')).includes(marker)) out.push(Number(name));
    } catch {}
  }
  return out;
}
function rmTree(dir) {
  let entries = [];
  try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
  for (const e of entries) if (e.isDirectory()) rmTree(path.join(dir, e.name));
  try { fs.rmdirSync(dir); } catch {}
}
function sweep() {
  if (cgdir) { try { fs.writeFileSync(path.join(cgdir, 'cgroup.kill'), '1'); } catch {} }
  for (const g of groups) { try { process.kill(-g, 'SIGKILL'); } catch {} }
  const left = marked();
  for (const p of left) { try { process.kill(p, 'SIGKILL'); } catch {} }
  return left.length;
}
function end() {
  let rounds = 0;
  const again = () => {
    const left = sweep();
    if (left > 0 && ++rounds < 50) return setTimeout(again, 20);
    if (cgdir) rmTree(cgdir);
    process.exit(0);
  };
  again();
}
process.stdin.on('end', end);
process.stdin.on('error', end);
process.stdin.resume();
`;

/** Environment entries the watchdog must not carry (it would be killed by the sweeps). */
const STRIP = ['TUTTI_CONTAINMENT', 'TUTTI_IDEMPOTENCY_KEY'];

let child: ChildProcess | null = null;
let failed = false;

/**
 * Starts the watchdog of this process once (later calls are no-ops); a failure to start it is
 * remembered and ignored (containment then relies on the engine's own kills and recovery).
 * @param mark this process's containment mark; @param cgroupDir its cgroup for agent processes, or null.
 */
export function ensureWatchdog(mark: string, cgroupDir: string | null): void {
  if (child || failed) return;
  try {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !STRIP.includes(k)));
    child = spawn(process.execPath, ['--max-old-space-size=32', '-e', SOURCE, mark, cgroupDir ?? ''], { detached: true, stdio: ['pipe', 'ignore', 'ignore'], env });
    child.once('error', () => {
      failed = true;
      child = null;
    });
    child.unref();
    const pipe = child.stdin as (Socket & { unref?: () => void }) | null;
    pipe?.on('error', () => undefined);
    pipe?.unref?.();
  } catch {
    failed = true;
    child = null;
  }
}

/** Tells the watchdog a process group started (`+`) or ended (`-`). */
export function tellWatchdog(sign: '+' | '-', pgid: number): void {
  const pipe = child?.stdin;
  if (pipe && !pipe.destroyed) pipe.write(`${sign}${pgid}\n`);
}

/** The watchdog's pid (tests), or null when none runs. */
export function watchdogPid(): number | null {
  return child?.pid ?? null;
}
