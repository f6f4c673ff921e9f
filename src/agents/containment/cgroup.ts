/**
 * Linux cgroup v2 containment: every process group tutti spawns joins a cgroup of its own under
 * `<this process's cgroup>/tutti-<mark>/`, which no descendant can leave without privileges
 * (setsid, double forks, `env -i` and daemons stay inside), and `cgroup.kill` (Linux ≥ 5.14)
 * ends all of it at once. Used only where the hierarchy is writable by this process (root, or a
 * delegated systemd scope); elsewhere {@link cgroupSupervisorDir} is null and the environment
 * marker (proc.ts) is what finds escaped processes.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The cgroup v2 mount point and this process's cgroup directory, or null (no cgroup v2). */
function ownCgroup(): { mount: string; dir: string } | null {
  try {
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
    // "... <mount point> <options> - cgroup2 <source> <super options>"
    const line = mounts.find((l) => / - cgroup2 /.test(l));
    if (!line) return null;
    const mount = line.split(' ')[4]!.replace(/\\040/g, ' ');
    const own = readFileSync('/proc/self/cgroup', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('0::'));
    if (!own) return null;
    const path = own.slice(3).trim();
    // A cgroup namespace root shows as "/"; a path outside the mount means we cannot see our own.
    if (path.startsWith('/..')) return null;
    return { mount, dir: join(mount, path) };
  } catch {
    return null;
  }
}

let supervisor: string | null | undefined;

/**
 * This process's cgroup for the processes it spawns (`…/tutti-<mark>`), created on first use;
 * null when cgroup v2 is missing, not writable, or lacks `cgroup.kill`. Decided once per process.
 * `TUTTI_CGROUP=off` turns it off (the environment marker still applies).
 */
export function cgroupSupervisorDir(mark: string): string | null {
  if (supervisor !== undefined) return supervisor;
  supervisor = null;
  // Commands join their cgroup through /bin/sh (containment/index.ts): without it, the marker alone.
  if (process.platform !== 'linux' || process.env.TUTTI_CGROUP === 'off' || !existsSync('/bin/sh')) return null;
  const own = ownCgroup();
  if (!own) return null;
  const dir = join(own.dir, `tutti-${mark}`);
  removeStaleSupervisors(own.dir);
  try {
    mkdirSync(dir);
    if (!existsSync(join(dir, 'cgroup.kill')) || !existsSync(join(dir, 'cgroup.procs'))) {
      rmdirSync(dir);
      return null;
    }
    supervisor = dir;
  } catch {
    // Not writable (an unprivileged user without delegation, a read-only /sys): the marker alone.
  }
  return supervisor;
}

/** Removes the empty `tutti-<pid>.<random>` directories of processes that are gone (a watchdog that was killed too). */
function removeStaleSupervisors(parent: string): void {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^tutti-(\d+)\.[0-9a-f]+$/.exec(name)?.[1] ?? NaN);
    if (!Number.isInteger(pid)) continue;
    try {
      process.kill(pid, 0);
      continue;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EPERM') continue;
    }
    if (!cgroupPopulated(join(parent, name))) removeCgroup(join(parent, name));
  }
}

/** Creates a child cgroup `name` of `parent`; null when that fails. */
export function createCgroup(parent: string, name: string): string | null {
  const dir = join(parent, name);
  try {
    mkdirSync(dir);
    return dir;
  } catch {
    return null;
  }
}

/** Moves `pid` into the cgroup. @returns false when it could not (it ended: ESRCH; or not permitted). */
export function joinCgroup(dir: string, pid: number): boolean {
  try {
    writeFileSync(join(dir, 'cgroup.procs'), `${pid}\n`);
    return true;
  } catch {
    return false;
  }
}

/** Pids in the cgroup and its descendants (zombies are not listed by the kernel). */
export function cgroupPids(dir: string): number[] {
  const out: number[] = [];
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop()!;
    try {
      for (const l of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) if (l) out.push(Number(l));
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) stack.push(join(d, e.name));
    } catch {
      // removed meanwhile
    }
  }
  return out;
}

/** Whether a living process remains in the cgroup or below (`cgroup.events`: populated). */
export function cgroupPopulated(dir: string): boolean {
  try {
    return /^populated 1$/m.test(readFileSync(join(dir, 'cgroup.events'), 'utf8'));
  } catch {
    return false;
  }
}

/** SIGKILLs everything in the cgroup and below (`cgroup.kill`). */
export function killCgroup(dir: string): void {
  try {
    writeFileSync(join(dir, 'cgroup.kill'), '1');
  } catch {
    // gone
  }
}

/** Removes the cgroup and its (empty) descendants, deepest first. @returns false when one is still populated. */
export function removeCgroup(dir: string): boolean {
  let children: string[] = [];
  try {
    children = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(dir, e.name));
  } catch {
    return true;
  }
  let ok = true;
  for (const c of children) ok = removeCgroup(c) && ok;
  try {
    rmdirSync(dir);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? ok : false;
  }
  return ok;
}

/**
 * Cgroups tutti created anywhere in the hierarchy whose name starts with `prefix` (an attempt's
 * `a-<hash>-`), inside supervisor directories starting with `supervisorPrefix` (`tutti-<pid>.`
 * for one engine process): what an engine that died left, found by another process on the same
 * host. Walks at most `maxDirs` directories.
 */
export function findTuttiCgroups(prefix: string, supervisorPrefix = 'tutti-', maxDirs = 20_000): string[] {
  const own = ownCgroup();
  if (!own) return [];
  const out: string[] = [];
  const stack = [own.mount];
  let seen = 0;
  while (stack.length && seen < maxDirs) {
    const d = stack.pop()!;
    seen++;
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      continue;
    }
    const base = d.slice(d.lastIndexOf('/') + 1);
    const inTutti = base.startsWith(supervisorPrefix) && base.startsWith('tutti-');
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      if (inTutti && e.name.startsWith(prefix)) out.push(join(d, e.name));
      else stack.push(join(d, e.name));
    }
  }
  return out;
}
