/**
 * Child processes for drivers: each command runs in its own process group and containment box
 * (containment/: its cgroup where writable, an environment marker found in /proc, the watchdog),
 * so a timeout, a cancel or its own exit ends everything it started — also what left the group
 * with setsid or a double fork. Output goes to a capped log file, and the box is known empty
 * before an attempt is reported finished.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { endAttemptProcesses, ProcessBox } from './containment/index.js';

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
  /** Processes tutti ended (on abort, or left behind at exit); 0 when everything exited by itself. */
  processesEnded: number;
}

const TAIL = 4096;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export { isProcessAlive, killGroup, processGroupAlive, signalGroup } from './containment/index.js';

/**
 * Kills what remains of an attempt: every process carrying its `TUTTI_IDEMPOTENCY_KEY` (and the
 * containment mark of engine process `owner`, when given), also those that left the group, its
 * cgroups, and the process group `pid` when one of its members is among them (so a reused pid is
 * never killed). @returns how many processes were ended.
 */
export async function killOrphanGroup(pid: number | null, key: string, graceMs = 0, owner?: number): Promise<number> {
  return endAttemptProcesses(key, { pgid: pid, graceMs, ...(owner !== undefined ? { owner } : {}) });
}

/** Processes ended per attempt (by idempotency key) not yet reported: read by the engine when the attempt finishes. */
const endedByAttempt = new Map<string, number>();

/** How many processes were ended for the attempt since the last call (0 when none). */
export function takeProcessesEnded(key: string): number {
  const n = endedByAttempt.get(key) ?? 0;
  endedByAttempt.delete(key);
  return n;
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
 * Runs argv in a new process group and containment box until it exits (what it left running is
 * then ended) or `signal` aborts (SIGTERM, grace, SIGKILL). Resolves once nothing of it lives.
 */
export function runProcessGroup(opts: ProcessOptions): Promise<ProcessOutcome> {
  return new Promise((resolve) => {
    const log = new CappedLog(opts.logPath, opts.maxLogBytes);
    let stdoutTail = '';
    let stderrTail = '';
    let aborted = false;
    let processesEnded = 0;
    const box = new ProcessBox(opts.env.TUTTI_IDEMPOTENCY_KEY ? { attemptKey: opts.env.TUTTI_IDEMPOTENCY_KEY } : {});

    const attemptKey = opts.env.TUTTI_IDEMPOTENCY_KEY;
    const finish = (o: Pick<ProcessOutcome, 'exitCode' | 'exitSignal'> & { spawnError?: NodeJS.ErrnoException }) => {
      log.close();
      box.release();
      if (attemptKey && processesEnded > 0) endedByAttempt.set(attemptKey, (endedByAttempt.get(attemptKey) ?? 0) + processesEnded);
      opts.signal.removeEventListener('abort', onAbort);
      resolve({ ...o, aborted, logBytes: log.bytes, truncated: log.truncated, stdoutTail, stderrTail, processesEnded });
    };
    let killing: Promise<void> | null = null;
    if (opts.signal.aborted) {
      aborted = true;
      finish({ exitCode: null, exitSignal: null });
      return;
    }
    const prepared = box.prepare(opts.argv, opts.cwd, opts.env);
    if ('error' in prepared) {
      finish({ exitCode: null, exitSignal: null, spawnError: prepared.error });
      return;
    }
    const child = spawn(prepared.file, prepared.args, {
      cwd: opts.cwd,
      env: { ...opts.env, ...prepared.env },
      detached: true,
      stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const pid = child.pid;
    function onAbort() {
      aborted = true;
      if (pid !== undefined && !killing) killing = box.end(opts.killGraceMs).then((r) => void (processesEnded += r.ended));
    }
    opts.signal.addEventListener('abort', onAbort, { once: true });
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (pid === undefined) finish({ exitCode: null, exitSignal: null, spawnError: err });
    });
    if (pid === undefined) return;
    box.started(pid);
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
    child.once('exit', (code, sig) => {
      void (async () => {
        // The main process is gone; nothing it started may outlive it (its group, its cgroup, marked escapees).
        if (killing) await killing;
        else if (box.alive()) processesEnded += (await box.end(0)).ended;
        if (!closed) {
          // A process that escaped every check may still hold the pipes: stop reading after a moment.
          await Promise.race([closedPromise, sleep(1000)]);
          child.stdout?.destroy();
          child.stderr?.destroy();
        }
        finish({ exitCode: code, exitSignal: sig });
      })();
    });
  });
}
