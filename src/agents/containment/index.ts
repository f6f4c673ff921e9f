/**
 * Containment: every process an attempt starts — also those that leave its process group or
 * session (`setsid`, double forks, `nohup`, daemons) — is found and ended on exit, cancel,
 * timeout and engine shutdown, and after the engine itself was killed (the watchdog).
 *
 * What finds them, by platform (docs/architecture.md, "Containment"):
 * - every POSIX system: the process group of each spawned command (`detached`), SIGTERM then SIGKILL;
 * - Linux: an environment marker, `TUTTI_CONTAINMENT=<mark>:<n>` per spawned command (plus the
 *   attempt's `TUTTI_IDEMPOTENCY_KEY`), found in `/proc/<pid>/environ` — unprivileged, survives
 *   setsid and double forks, lost only by a process that clears its environment;
 * - Linux with a writable cgroup v2 hierarchy (root, or a delegated systemd scope): a cgroup per
 *   spawned command, which no descendant leaves, ended with `cgroup.kill`;
 * - the watchdog (watchdog.ts): after `kill -9` of the engine, it ends all of the above.
 * Windows has no process groups here: only the spawned process itself is ended.
 */
import { createHash, randomBytes } from 'node:crypto';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { cgroupPids, cgroupPopulated, cgroupSupervisorDir, createCgroup, findTuttiCgroups, joinCgroup, killCgroup, removeCgroup } from './cgroup.js';
import { environHas, livingGroupMembers, pidsWithEnv, procStat } from './proc.js';
import { ensureWatchdog, tellWatchdog } from './watchdog.js';

export { livingGroupMembers, pidsWithEnv } from './proc.js';
export { watchdogPid } from './watchdog.js';

/** The environment variable marking every process tutti spawns: `<process mark>:<spawn number>`. */
export const CONTAINMENT_ENV = 'TUTTI_CONTAINMENT';

let processMark: string | null = null;
let spawnSeq = 0;

/** This process's containment mark (`<pid>.<random>`), made once. */
export function containmentMark(): string {
  processMark ??= `${process.pid}.${randomBytes(6).toString('hex')}`;
  return processMark;
}

/**
 * The containment mode this process uses: `cgroup` (v2, writable) or `marker` (environment only).
 * Decided once; the watchdog (which removes the cgroup directory at exit) starts with it.
 */
export function containmentMode(): 'cgroup' | 'marker' {
  const dir = cgroupSupervisorDir(containmentMark());
  if (dir) ensureWatchdog(containmentMark(), dir);
  return dir ? 'cgroup' : 'marker';
}

/** True when a process with this pid exists (a zombie counts). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Whether any living process remains in the group (zombies awaiting their reaper do not count on Linux). */
export function processGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const living = livingGroupMembers(pgid);
  return living === null ? true : living.length > 0;
}

export function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  signal(-pgid, sig);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Ends a process group: SIGTERM, up to `graceMs` for it to empty, then SIGKILL until it is empty.
 * For short-lived helpers (probes) whose group is all there is to end.
 */
export async function killGroup(pgid: number, graceMs: number): Promise<void> {
  signalGroup(pgid, 'SIGTERM');
  for (const deadline = Date.now() + graceMs; processGroupAlive(pgid) && Date.now() < deadline; ) await sleep(10);
  while (processGroupAlive(pgid)) {
    signalGroup(pgid, 'SIGKILL');
    await sleep(10);
  }
}

/** The cgroup name prefix of an attempt: found again by another process from its idempotency key. */
function attemptCgroupPrefix(key: string): string {
  return `a-${createHash('sha256').update(key).digest('hex').slice(0, 16)}-`;
}

/**
 * Where `command` would be found (PATH lookup as `spawn` does it): null when nowhere, `EACCES`
 * when found but not executable. Used when a wrapper runs the command, so a missing command is
 * still reported as ENOENT rather than as the wrapper's exit 127.
 */
function lookUp(command: string, cwd: string, env: NodeJS.ProcessEnv): 'ok' | 'ENOENT' | 'EACCES' {
  const candidates = command.includes('/') ? [isAbsolute(command) ? command : resolve(cwd, command)] : (env.PATH ?? '').split(delimiter).map((d) => join(d ? resolve(cwd, d) : cwd, command));
  let found = false;
  for (const c of candidates) {
    try {
      if (!statSync(c).isFile()) continue;
      found = true;
      accessSync(c, constants.X_OK);
      return 'ok';
    } catch {
      // next
    }
  }
  return found ? 'EACCES' : 'ENOENT';
}

/** Joins the cgroup given as $1 (writing 0 moves the writer), then becomes the command. */
const JOIN_SCRIPT = 'echo 0 > "$1/cgroup.procs" 2>/dev/null; shift; exec "$@"';

/** What {@link ProcessBox.end} did. */
export interface EndReport {
  /** Processes that were alive when the end began (group members, cgroup members, marked escapees). */
  ended: number;
}

/**
 * The containment of one spawned command and everything it starts. Life cycle: `prepare()`
 * (environment and argv to spawn with), `started(pid)`, then `end()` when it must stop or has
 * exited, and `release()` once nothing of it lives.
 */
export class ProcessBox {
  readonly mark: string;
  readonly #entry: string;
  readonly #attemptKey: string | undefined;
  #startedAt = 0;
  #cgroup: string | null = null;
  #cgroupConfirmed = false;
  #pgid: number | null = null;

  constructor(options: { attemptKey?: string } = {}) {
    this.mark = containmentMark();
    this.#entry = `${CONTAINMENT_ENV}=${this.mark}:${++spawnSeq}`;
    this.#attemptKey = options.attemptKey;
  }

  /**
   * The environment additions and the command to spawn: argv as given, or wrapped by `/bin/sh`
   * joining the box's cgroup before it execs argv.
   * @returns `error` instead when the command cannot be found or run (as spawn would report it).
   */
  prepare(argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv): { env: Record<string, string>; file: string; args: string[] } | { error: NodeJS.ErrnoException } {
    const extra = { [CONTAINMENT_ENV]: this.#entry.slice(CONTAINMENT_ENV.length + 1) };
    const sup = process.platform === 'linux' ? cgroupSupervisorDir(this.mark) : null;
    if (sup) {
      const seq = this.#entry.slice(this.#entry.lastIndexOf(':') + 1);
      this.#cgroup = createCgroup(sup, this.#attemptKey ? `${attemptCgroupPrefix(this.#attemptKey)}${seq}` : `s${seq}`);
    }
    ensureWatchdog(this.mark, sup);
    if (!this.#cgroup) return { env: extra, file: argv[0]!, args: argv.slice(1) };
    const found = lookUp(argv[0]!, cwd, env);
    if (found !== 'ok') {
      this.release();
      const error = Object.assign(new Error(`spawn ${argv[0]} ${found}`), { code: found, errno: found === 'ENOENT' ? -2 : -13, syscall: 'spawn', path: argv[0] }) as NodeJS.ErrnoException;
      return { error };
    }
    return { env: extra, file: '/bin/sh', args: ['-c', JOIN_SCRIPT, 'tutti-contain', this.#cgroup, ...argv] };
  }

  /** The command started as process (group) `pid`. */
  started(pid: number): void {
    this.#pgid = pid;
    this.#startedAt = Date.now();
    // Also moved from here: confirms the cgroup holds it (the wrapper's own move is what catches early forks).
    if (this.#cgroup) this.#cgroupConfirmed = joinCgroup(this.#cgroup, pid);
    tellWatchdog('+', pid);
  }

  /**
   * Marked escapees. A quick look (not `thorough`) reads only processes newer than the box's own
   * while that is safe (the pid counter has not wrapped, the box lived under 10 s); a thorough
   * one reads every process.
   */
  #marked(thorough: boolean): number[] {
    const quick = !thorough && this.#pgid !== null && Date.now() - this.#startedAt < 10_000;
    return pidsWithEnv(this.#entry, false, quick ? this.#pgid! : undefined);
  }

  /** Living processes of the box: its group, its cgroup, and (where the cgroup is not confirmed, or `thorough`) marked escapees. */
  members(thorough = false): Set<number> {
    const out = new Set<number>();
    if (this.#pgid !== null) for (const p of livingGroupMembers(this.#pgid) ?? []) out.add(p);
    if (this.#cgroup) for (const p of cgroupPids(this.#cgroup)) out.add(p);
    if (thorough || !this.#cgroupConfirmed) for (const p of this.#marked(thorough)) out.add(p);
    return out;
  }

  /** Whether anything of the box still lives. */
  alive(thorough = false): boolean {
    if (this.#pgid !== null && processGroupAlive(this.#pgid)) return true;
    if (this.#cgroup && cgroupPopulated(this.#cgroup)) return true;
    return (thorough || !this.#cgroupConfirmed) && this.#marked(thorough).length > 0;
  }

  /**
   * Ends everything of the box: SIGTERM to each member, up to `graceMs` for them to exit, then
   * SIGKILL (the cgroup's `cgroup.kill`, the group, each marked process) until none is left.
   * @returns how many processes were alive when it began.
   */
  async end(graceMs: number): Promise<EndReport> {
    const first = this.members(true);
    const ended = first.size;
    if (graceMs > 0 && ended > 0) {
      if (this.#pgid !== null) signalGroup(this.#pgid, 'SIGTERM');
      for (const p of first) signal(p, 'SIGTERM');
      const deadline = Date.now() + graceMs;
      let delay = 2;
      while (this.alive(true) && Date.now() < deadline) {
        await sleep(delay);
        delay = Math.min(delay * 2, 50);
      }
    }
    // Bounded: a process this user may not signal, or stuck in the kernel, must not hang the attempt forever.
    for (let round = 0; round < 400 && this.alive(true); round++) {
      if (this.#cgroup) killCgroup(this.#cgroup);
      if (this.#pgid !== null) signalGroup(this.#pgid, 'SIGKILL');
      for (const p of this.members(true)) signal(p, 'SIGKILL');
      await sleep(Math.min(5 * (round + 1), 50));
    }
    return { ended };
  }

  /** Forgets the box: removes its cgroup, tells the watchdog its group ended. */
  release(): void {
    if (this.#cgroup) removeCgroup(this.#cgroup);
    this.#cgroup = null;
    if (this.#pgid !== null) tellWatchdog('-', this.#pgid);
  }
}

/**
 * Ends every process of an attempt still alive on this host: those carrying its
 * `TUTTI_IDEMPOTENCY_KEY` (and, when `owner` is given, the containment mark of that engine
 * process — so an attempt of another store that happens to share the run id is never touched),
 * its cgroups (found by name, also those of a dead engine), and the process group `pgid` when one
 * of its members is among them (a reused pid is never killed). SIGTERM, up to `graceMs`, then
 * SIGKILL until none is left.
 * @param options.owner pid of the engine process that started the attempt.
 * @returns how many processes were alive when it began.
 */
export async function endAttemptProcesses(key: string, options: { pgid?: number | null; graceMs?: number; owner?: number } = {}): Promise<number> {
  const entry = `TUTTI_IDEMPOTENCY_KEY=${key}`;
  const ownerMark = options.owner === undefined ? null : `${CONTAINMENT_ENV}=${options.owner}.`;
  const ours = (pid: number) => ownerMark === null || environHas(pid, ownerMark, true);
  const marked = () => pidsWithEnv(entry).filter(ours);
  const supervisor = options.owner === undefined ? undefined : `tutti-${options.owner}.`;
  const cgroups = process.platform === 'linux' ? findTuttiCgroups(attemptCgroupPrefix(key), supervisor) : [];
  const first0 = marked();
  const pgid = options.pgid && (livingGroupMembers(options.pgid) ?? []).some((m) => first0.includes(m)) ? options.pgid : null;
  const members = () => {
    const out = new Set(marked());
    for (const c of cgroups) for (const p of cgroupPids(c)) out.add(p);
    if (pgid !== null) for (const p of livingGroupMembers(pgid) ?? []) out.add(p);
    return out;
  };
  const first = members();
  const graceMs = options.graceMs ?? 0;
  if (graceMs > 0 && first.size) {
    for (const p of first) signal(p, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (members().size && Date.now() < deadline) await sleep(20);
  }
  for (let round = 0; round < 500; round++) {
    const left = members();
    if (left.size === 0) break;
    for (const c of cgroups) killCgroup(c);
    if (pgid !== null) signalGroup(pgid, 'SIGKILL');
    for (const p of left) signal(p, 'SIGKILL');
    await sleep(Math.min(5 * (round + 1), 50));
  }
  for (const c of cgroups) {
    removeCgroup(c);
    // The supervisor directory of a dead engine (`tutti-<pid>.<random>`) goes too once empty.
    const parent = dirname(c);
    const owner = Number(/\/tutti-(\d+)\.[0-9a-f]+$/.exec(parent)?.[1] ?? NaN);
    if (Number.isInteger(owner) && !isProcessAlive(owner)) removeCgroup(parent);
  }
  return first.size;
}

/** Whether `pid` is a living process of group `pgid` (tests, diagnostics). */
export function inGroup(pid: number, pgid: number): boolean {
  const s = procStat(pid);
  return s !== null && s.pgrp === pgid && s.state !== 'Z';
}
