/**
 * CPU profiles for --profile: the in-process workloads are profiled through node:inspector, CLI
 * children with node's --cpu-prof; {@link summarizeProfile} groups self time by where it is spent.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

/** @returns {Promise<() => Promise<object>>} stops and returns the profile */
export async function startProfile() {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    return profile;
  };
}

/** @param {string} url @param {string} name */
export function category(url, name) {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)') return 'idle (waiting: timers, I/O, child processes)';
  if (name === '(program)') return '(program: V8/libuv outside JS)';
  if (url.includes('/store/')) return 'tutti store (JS: statements, rows, codec)';
  if (url.includes('/core/')) return 'tutti engine core (JS)';
  if (url.includes('/agents/')) return 'tutti drivers (JS)';
  if (url.includes('/cli/')) return 'tutti CLI (JS)';
  if (url.includes('node_modules/better-sqlite3')) return 'better-sqlite3 (JS wrapper)';
  if (url.includes('node_modules/zod')) return 'zod (plan/option validation)';
  if (url.includes('node_modules/')) return `other packages`;
  if (url.startsWith('node:')) return 'Node internals (JS)';
  if (url === '') return 'native (SQLite via better-sqlite3, spawn, fs, JSON…)';
  return 'other JS';
}

/**
 * Self time by category and the top functions.
 * @param {{ nodes: Array<{ id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }>, samples: number[], timeDeltas: number[] }} profile
 * @param {number} [top]
 * @param {number} [untilMs] only the samples of the profile's first `untilMs` ms
 */
export function summarizeProfile(profile, top = 15, untilMs = Infinity) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let at = 0;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at <= untilMs * 1000) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const cats = new Map();
  const fns = new Map();
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const c = category(url, functionName);
    cats.set(c, (cats.get(c) ?? 0) + us);
    const short = url.replace(/^.*\/(dist|node_modules)\//, '$1/').replace(/^file:\/\//, '');
    const f = `${functionName || '(anonymous)'} ${short ? `${short}:${lineNumber + 1}` : '(native)'}`;
    fns.set(f, (fns.get(f) ?? 0) + us);
  }
  const pct = (us) => `${((us / total) * 100).toFixed(1).padStart(5)}%`;
  const lines = [`total ${(total / 1000).toFixed(0)} ms sampled`, 'self time by category:'];
  for (const [c, us] of [...cats].sort((a, b) => b[1] - a[1])) lines.push(`  ${pct(us)}  ${c}`);
  lines.push(`top ${top} functions by self time:`);
  for (const [f, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(us)}  ${f}`);
  return lines.join('\n');
}

/** @param {string} file @param {object} profile */
export function writeProfile(file, profile) {
  writeFileSync(file, JSON.stringify(profile));
}
