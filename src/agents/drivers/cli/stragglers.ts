/**
 * Processes an attempt started that escaped its process group (a CLI's helper that called
 * setsid, a daemonised dev server): found by the attempt's `TUTTI_IDEMPOTENCY_KEY` (and its
 * cgroups) and ended, so an attempt leaves nothing running behind it. The logic lives in
 * `agents/containment/`; these are the names the CLI drivers use.
 */
import { endAttemptProcesses, pidsWithEnv } from '../../containment/index.js';

/** Pids (other than this process) whose environment carries `TUTTI_IDEMPOTENCY_KEY=key`; [] without /proc. */
export function processesWithKey(key: string): number[] {
  return pidsWithEnv(`TUTTI_IDEMPOTENCY_KEY=${key}`);
}

/** Ends every straggler of the attempt this process started and waits until they are gone. @returns the pids found. */
export async function killStragglers(key: string): Promise<number[]> {
  const pids = processesWithKey(key);
  await endAttemptProcesses(key, { owner: process.pid });
  return pids;
}
