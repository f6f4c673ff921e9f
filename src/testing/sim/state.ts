/**
 * The simulator's state directory (`TUTTI_SIM_STATE`, default `sim-state/` beside the scenario):
 * per-CLI call numbers, the sessions it started (so a resume finds them), one JSON line per
 * invocation in `calls.jsonl`, and the pids of what a hanging invocation started. Safe when many
 * processes call the same CLI at once: a call number is taken by creating its file exclusively,
 * and every record is one append.
 */
import { appendFileSync, existsSync, mkdirSync, openSync, closeSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { SimCli } from './scenario.js';

/** One invocation, as recorded in `<state>/calls.jsonl`. */
export interface SimCallRecord {
  cli: SimCli;
  argv: string[];
  /** The prompt (probes: null). */
  prompt: string | null;
  cwd: string;
  pid: number;
  /** The CLI's call number (probes: null). */
  call: number | null;
  /** `version`, `auth` (probes), `run`, or `usage` (rejected argv). */
  kind: 'version' | 'auth' | 'run' | 'usage';
  sessionId: string | null;
  resumed: boolean;
  task: string | null;
  attempt: number | null;
  /** Index of the entry matched (null: none). */
  entry: number | null;
  entryName: string | null;
  /** Outcome kind the invocation ends with. */
  outcome: string;
  /** Epoch ms. */
  at: number;
}

/** What a hanging invocation started: `<state>/hang/<pid>.json`. */
export interface SimHangRecord {
  pid: number;
  grandchild: number | null;
  escaped: number | null;
}

export interface SimSession {
  id: string;
  cli: SimCli;
  cwd: string;
  /** Epoch ms. */
  created: number;
  turns: number;
}

/** The state dir for a scenario file and environment. */
export function stateDirFor(env: NodeJS.ProcessEnv, scenarioFile: string | undefined): string | null {
  if (env.TUTTI_SIM_STATE) return env.TUTTI_SIM_STATE;
  return scenarioFile ? join(dirname(scenarioFile), 'sim-state') : null;
}

/** Takes the next call number of `cli` (1-based). */
export function takeCallNumber(dir: string, cli: SimCli): number {
  const calls = join(dir, 'calls', cli);
  mkdirSync(calls, { recursive: true });
  for (let n = readdirSync(calls).length + 1; ; n++) {
    try {
      closeSync(openSync(join(calls, String(n)), 'wx'));
      return n;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/** The call number the next call of `cli` would take (for probes that look ahead). */
export function peekCallNumber(dir: string, cli: SimCli): number {
  try {
    return readdirSync(join(dir, 'calls', cli)).length + 1;
  } catch {
    return 1;
  }
}

/** Appends one record to `<dir>/calls.jsonl`. */
export function recordCall(dir: string, rec: SimCallRecord): void {
  mkdirSync(dir, { recursive: true });
  appendFileSync(join(dir, 'calls.jsonl'), `${JSON.stringify(rec)}\n`);
}

/** Every invocation recorded so far, in order. */
export function readCalls(dir: string): SimCallRecord[] {
  const f = join(dir, 'calls.jsonl');
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as SimCallRecord);
}

function writeAtomic(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

export function saveSession(dir: string, s: SimSession): void {
  writeAtomic(join(dir, 'sessions', `${encodeURIComponent(s.id)}.json`), JSON.stringify(s));
}

export function loadSession(dir: string, id: string): SimSession | null {
  try {
    return JSON.parse(readFileSync(join(dir, 'sessions', `${encodeURIComponent(id)}.json`), 'utf8')) as SimSession;
  } catch {
    return null;
  }
}

/** Sessions of `cli` started in `cwd`, oldest first. */
export function sessionsIn(dir: string, cli: SimCli, cwd: string): SimSession[] {
  let files: string[];
  try {
    files = readdirSync(join(dir, 'sessions'));
  } catch {
    return [];
  }
  return files
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, 'sessions', f), 'utf8')) as SimSession)
    .filter((s) => s.cli === cli && s.cwd === cwd)
    .sort((a, b) => a.created - b.created);
}

export function recordHang(dir: string, rec: SimHangRecord): void {
  writeAtomic(join(dir, 'hang', `${rec.pid}.json`), JSON.stringify(rec));
}

/** What hanging invocations started, by the invocation's pid. */
export function readHangs(dir: string): SimHangRecord[] {
  let files: string[];
  try {
    files = readdirSync(join(dir, 'hang')).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  return files.map((f) => JSON.parse(readFileSync(join(dir, 'hang', f), 'utf8')) as SimHangRecord);
}
