/**
 * Finding processes through Linux `/proc`: members of a process group, and processes whose
 * environment carries a marker (`NAME=value`) — which survives `setsid`, double forks, `nohup`
 * and daemonising, since a child inherits its parent's environment. Everything returns null or
 * [] where `/proc` does not exist (macOS, Windows). A process that clears its environment
 * (`env -i`) is not found this way; the cgroup (cgroup.ts) finds it where one is used.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Numeric entries of /proc, or null without /proc. */
function pids(): number[] | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  const out: number[] = [];
  for (const name of entries) {
    const c = name.charCodeAt(0);
    if (c >= 48 && c <= 57) out.push(Number(name));
  }
  return out;
}

/** State letter and process group of a pid, or null when it is gone. */
export function procStat(pid: number): { state: string; pgrp: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, pgrp: Number(fields[2]) };
  } catch {
    return null;
  }
}

const isLiving = (s: { state: string } | null): boolean => s !== null && s.state !== 'Z' && s.state !== 'X';

/** Pids in process group `pgid` that are not zombies; null where /proc is unavailable. */
export function livingGroupMembers(pgid: number): number[] | null {
  const all = pids();
  if (all === null) return null;
  const out: number[] = [];
  for (const pid of all) {
    const s = procStat(pid);
    if (isLiving(s) && s!.pgrp === pgid) out.push(pid);
  }
  return out;
}

/** Whether `/proc/<pid>/environ` holds `entry` (`NAME=value`) exactly, or as a prefix when `prefix`. */
export function environHas(pid: number, entry: string, prefix = false): boolean {
  try {
    const env = `\u0000${readFileSync(`/proc/${pid}/environ`, 'latin1')}`;
    return env.includes(prefix ? `\u0000${entry}` : `\u0000${entry}\u0000`);
  } catch {
    return false;
  }
}

/** The last pid the kernel handed out in this pid namespace, or null when unknown. */
function lastPid(): number | null {
  try {
    const n = Number(readFileSync('/proc/sys/kernel/ns_last_pid', 'utf8'));
    return Number.isInteger(n) ? n : null;
  } catch {
    return null;
  }
}

/**
 * Living pids (not this process, not zombies) whose environment carries `entry` (exactly, or as a
 * prefix); [] without /proc or when none can be read (other users' processes).
 * @param newerThan only pids handed out after this one (every descendant of a process started as
 *   `newerThan`): the scan then skips older processes without reading them. Falls back to a full
 *   scan when the pid counter wrapped since.
 */
export function pidsWithEnv(entry: string, prefix = false, newerThan?: number): number[] {
  const out: number[] = [];
  const last = newerThan === undefined ? null : lastPid();
  const from = last !== null && newerThan !== undefined && last >= newerThan ? newerThan : null;
  // Latin-1 keeps bytes as they are, so a marker matches whatever encoding the rest uses.
  for (const pid of pids() ?? []) {
    if (from !== null && (pid < from || pid > last!)) continue;
    if (pid === process.pid || !environHas(pid, entry, prefix)) continue;
    if (isLiving(procStat(pid))) out.push(pid);
  }
  return out;
}
