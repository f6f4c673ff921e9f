/**
 * Child processes for drivers: each attempt runs in its own process group (so a timeout or a
 * cancel kills everything it started), output goes to a capped log file, and the group is known
 * empty before an attempt is reported finished.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface ProcessOptions {
  /** argv: `argv[0]` is looked up on PATH; never a shell string. */
  argv: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed. Undefined: stdin is /dev/null. */
  stdin?: string;
  /** Log file for stdout and stderr, created on first output. */
  logPath: string;
  /** Bytes kept in the log; the rest is dropped with one marker line. */
  maxLogBytes: number;
  /** Time between SIGTERM and SIGKILL on abort, ms. */
  killGraceMs: number;
  signal: AbortSignal;
  onSpawn?: (pid: number) => void;
  /** Raw output chunks as they arrive. */
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void;
}

export interface ProcessOutcome {
  exitCode: number | null;
  /** Signal that ended the process, if any. */
  exitSignal: NodeJS.Signals | null;
  /** The abort signal fired before the process ended. */
  aborted: boolean;
  /** Set when the process could not start (ENOENT, EACCES…). */
  spawnError?: NodeJS.ErrnoException;
  /** Bytes written to the log (0: no log file was created). */
  logBytes: number;
  /** Whether output past `maxLogBytes` was dropped. */
  truncated: boolean;
  /** Last 4 KiB of stdout and stderr. */
  stdoutTail: string;
  stderrTail: string;
}

const TAIL = 4096;

/** True when a process with this pid exists (a zombie counts). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Pids in process group `pgid` that are not zombies (Linux /proc); null where /proc is unavailable. */
function livingGroupMembers(pgid: number): number[] | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  const out: number[] = [];
  for (const name of entries) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[0] = state, fields[2] = pgrp
      if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') out.push(Number(name));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** Whether any living process remains in the group. */
export function processGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  // Something answers: on Linux tell living processes from zombies awaiting their reaper.
  const living = livingGroupMembers(pgid);
  return living === null ? true : living.length > 0;
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls until the group has no living process or `timeoutMs` passes. @returns true when empty. */
export async function waitGroupEmpty(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let delay = 2;
  while (processGroupAlive(pgid)) {
    if (Date.now() >= deadline) return false;
    await sleep(delay);
    delay = Math.min(delay * 2, 50);
  }
  return true;
}

/** SIGTERM, up to `graceMs` for the group to exit, then SIGKILL until it is empty. */
export async function killGroup(pgid: number, graceMs: number): Promise<void> {
  signalGroup(pgid, 'SIGTERM');
  if (await waitGroupEmpty(pgid, graceMs)) return;
  for (;;) {
    signalGroup(pgid, 'SIGKILL');
    if (await waitGroupEmpty(pgid, 1000)) return;
  }
}

/**
 * Kills what remains of an attempt whose engine died: the process group `pid`, but only if one of
 * its members still carries `TUTTI_IDEMPOTENCY_KEY=key` (so a reused pid is never killed).
 * @returns true when a group was found and killed.
 */
export async function killOrphanGroup(pid: number, key: string): Promise<boolean> {
  const members = livingGroupMembers(pid);
  if (!members || members.length === 0) return false;
  const marker = `TUTTI_IDEMPOTENCY_KEY=${key}\u0000`;
  const ours = members.some((m) => {
    try {
      return readFileSync(`/proc/${m}/environ`, 'utf8').includes(marker);
    } catch {
      return false;
    }
  });
  if (!ours) return false;
  signalGroup(pid, 'SIGKILL');
  await waitGroupEmpty(pid, 5000);
  return true;
}

/** A log file opened on first write, capped at `max` bytes. */
class CappedLog {
  #fd: number | null = null;
  bytes = 0;
  truncated = false;
  constructor(
    private readonly path: string,
    private readonly max: number,
  ) {}

  write(chunk: Buffer): void {
    if (this.truncated) return;
    if (this.#fd === null) {
      mkdirSync(dirname(this.path), { recursive: true });
      this.#fd = openSync(this.path, 'a');
    }
    const room = this.max - this.bytes;
    if (chunk.length <= room) {
      writeSync(this.#fd, chunk);
      this.bytes += chunk.length;
      return;
    }
    if (room > 0) writeSync(this.#fd, chunk.subarray(0, room));
    const marker = Buffer.from(`\n[tutti: log truncated at ${this.max} bytes]\n`);
    writeSync(this.#fd, marker);
    this.bytes += Math.max(room, 0) + marker.length;
    this.truncated = true;
  }

  close(): void {
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }
}

function appendTail(tail: string, chunk: string): string {
  const s = tail + chunk;
  return s.length > TAIL ? s.slice(s.length - TAIL) : s;
}

/**
 * Runs argv in a new process group until it exits (stray members of its group are then killed)
 * or `signal` aborts (SIGTERM, grace, SIGKILL). Resolves once no process of the group lives.
 */
export function runProcessGroup(opts: ProcessOptions): Promise<ProcessOutcome> {
  return new Promise((resolve) => {
    const log = new CappedLog(opts.logPath, opts.maxLogBytes);
    let stdoutTail = '';
    let stderrTail = '';
    let aborted = false;
    const finish = (o: Pick<ProcessOutcome, 'exitCode' | 'exitSignal'> & { spawnError?: NodeJS.ErrnoException }) => {
      log.close();
      opts.signal.removeEventListener('abort', onAbort);
      resolve({ ...o, aborted, logBytes: log.bytes, truncated: log.truncated, stdoutTail, stderrTail });
    };
    if (opts.signal.aborted) {
      aborted = true;
      finish({ exitCode: null, exitSignal: null });
      return;
    }
    const child = spawn(opts.argv[0]!, opts.argv.slice(1), {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const pid = child.pid;
    let killing: Promise<void> | null = null;
    function onAbort() {
      aborted = true;
      if (pid !== undefined && !killing) killing = killGroup(pid, opts.killGraceMs);
    }
    opts.signal.addEventListener('abort', onAbort, { once: true });
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (pid === undefined) finish({ exitCode: null, exitSignal: null, spawnError: err });
    });
    if (pid === undefined) return;
    opts.onSpawn?.(pid);
    if (opts.stdin !== undefined && child.stdin) {
      child.stdin.on('error', () => {
        // the process may exit without reading its input
      });
      child.stdin.end(opts.stdin);
    }
    child.stdout!.on('data', (b: Buffer) => {
      log.write(b);
      const text = b.toString('utf8');
      stdoutTail = appendTail(stdoutTail, text);
      opts.onOutput?.('stdout', text);
    });
    child.stderr!.on('data', (b: Buffer) => {
      log.write(b);
      const text = b.toString('utf8');
      stderrTail = appendTail(stderrTail, text);
      opts.onOutput?.('stderr', text);
    });
    let closed = false;
    const closedPromise = new Promise<void>((r) =>
      child.once('close', () => {
        closed = true;
        r();
      }),
    );
    child.once('exit', (code, signal) => {
      void (async () => {
        // The main process is gone; nothing it started may outlive the attempt.
        if (killing) await killing;
        else if (processGroupAlive(pid)) await killGroup(pid, 0);
        if (!closed) {
          // A process that escaped the group may still hold the pipes: stop reading after a moment.
          await Promise.race([closedPromise, sleep(1000)]);
          child.stdout?.destroy();
          child.stderr?.destroy();
        }
        finish({ exitCode: code, exitSignal: signal });
      })();
    });
  });
}
