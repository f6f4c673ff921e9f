/** Reading what an earlier task of the run produced: its latest successful attempt and that attempt's output. */
import { readFileSync } from 'node:fs';
import { isAbsolute, join, normalize } from 'node:path';
import type { AttemptRecord } from '../../core/model.js';
import type { Store } from '../../store/types.js';

/** Agent id of decisions made by people (approvals and rejections recorded as attempts). */
export const HUMAN_AGENT = 'human';

/** The latest succeeded attempt of a task made by an agent (not a person's decision), or null. */
export async function latestSuccess(store: Store, runId: string, taskId: string): Promise<AttemptRecord | null> {
  const attempts = await store.listAttempts(runId, taskId);
  let best: AttemptRecord | null = null;
  for (const a of attempts) if (a.status === 'succeeded' && a.agentId !== HUMAN_AGENT && (!best || a.n > best.n)) best = a;
  return best;
}

/**
 * An attempt's output: inline, or read from its blob under the data dir.
 * @throws Error when the blob is missing or unreadable.
 */
export function attemptOutput(attempt: Pick<AttemptRecord, 'output' | 'outputRef'>, dataDir: string): unknown {
  if (attempt.outputRef === null) return attempt.output;
  const ref = normalize(attempt.outputRef);
  if (isAbsolute(ref) || ref.startsWith('..')) throw new Error(`output reference '${attempt.outputRef}' is outside the data dir`);
  return JSON.parse(readFileSync(join(dataDir, ref), 'utf8')) as unknown;
}
