/**
 * Processes an attempt started that escaped its process group (a CLI's helper that called
 * setsid, a daemonised dev server): found by the attempt's `TUTTI_IDEMPOTENCY_KEY` in
 * `/proc/<pid>/environ` and killed, so an attempt leaves nothing running behind it.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Pids (other than this process) whose environment carries `TUTTI_IDEMPOTENCY_KEY=key`; [] without /proc. */
export function processesWithKey(key: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const marker = `\u0000TUTTI_IDEMPOTENCY_KEY=${key}\u0000`;
  const out: number[] = [];
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state === 'Z' || state === 'X') continue;
      if (`\u0000${readFileSync(`/proc/${pid}/environ`, 'utf8')}`.includes(marker)) out.push(pid);
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

/** SIGKILLs every straggler of the attempt and waits (up to 2 s) until they are gone. @returns the pids killed. */
export async function killStragglers(key: string): Promise<number[]> {
  const pids = processesWithKey(key);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + 2000;
  while (pids.length && processesWithKey(key).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return pids;
}
