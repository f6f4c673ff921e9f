/**
 * A coding attempt's state file, beside its log (`<task>.<n>.attempt.json`): written when the
 * attempt starts, again as soon as the CLI names its session, and marked ended when the attempt
 * ends. An attempt whose file is not marked ended was cut short (the engine was killed, or
 * stopped): the next attempt checkpoints what it left and resumes the CLI's own session.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CliName } from '../types.js';

export interface AttemptState {
  version: 1;
  /** The CLI at work (the latest one tried), and its session id once known. */
  cli: CliName | null;
  sessionId: string | null;
  /** The worktree and the commit the attempt started from. */
  workspace: string | null;
  base: string | null;
  /** False while the attempt runs; `true` once it ended on its own; `interrupted` when it was stopped by an engine shutdown. */
  ended: boolean | 'interrupted';
  updatedAt: number;
}

/** The state file of the attempt whose log is `logPath`. */
export function attemptStatePath(logPath: string): string {
  return `${logPath.replace(/\.log$/, '')}.attempt.json`;
}

export function readAttemptState(path: string): AttemptState | null {
  try {
    const s = JSON.parse(readFileSync(path, 'utf8')) as AttemptState;
    return s && s.version === 1 ? s : null;
  } catch {
    return null;
  }
}

/** Writes the state whole (write + rename: a crash leaves the old or the new file, never half of one). */
export function writeAttemptState(path: string, state: Omit<AttemptState, 'version' | 'updatedAt'>): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, JSON.stringify({ version: 1, ...state, updatedAt: Date.now() }));
  renameSync(`${path}.tmp`, path);
}

/** Whether the attempt was cut short: started, never marked as having ended on its own. */
export function wasInterrupted(state: AttemptState | null): boolean {
  return state !== null && state.ended !== true;
}
