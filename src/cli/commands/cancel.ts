/**
 * `tutti cancel RUN`: no more dispatch; running attempts are stopped by the engine executing them,
 * or — when that engine is gone (stale heartbeat, dead pid) — by this command, which ends their
 * processes on this host itself. It waits (a bounded time) for the attempts to end and says how
 * many processes were ended.
 */
import type { Command } from 'commander';
import { TuttiError } from '../../core/errors.js';
import { isTerminalRunStatus } from '../../core/model.js';
import type { Store } from '../../store/types.js';
import { openEngine, type EngineFlags } from '../context.js';
import { EXIT } from '../errors.js';
import { handler, printJson, withStoreOptions } from '../io.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Extra time, past the kill grace, given to another engine to stop its attempts, ms. */
const STOP_MARGIN_MS = 15_000;

/** Sum of the `processes` the run's `attempt:cancelled` events after `afterSeq` report. */
async function processesEnded(store: Store, runId: string, afterSeq: number): Promise<number> {
  let n = 0;
  let after = afterSeq;
  for (;;) {
    const page = await store.listEvents(runId, { afterSeq: after, limit: 1000 });
    for (const e of page) if (e.type === 'attempt:cancelled') n += Number((e.data as { processes?: number } | null)?.processes ?? 0);
    if (page.length < 1000) return n;
    after = page[page.length - 1]!.seq;
  }
}

export function registerCancel(program: Command): void {
  withStoreOptions(
    program
      .command('cancel')
      .description('cancel a run: no more dispatch; its running attempts and every process they started are ended')
      .argument('<run>', 'run id')
      .option('--reason <text>', 'recorded with the cancellation', 'cancelled from the CLI')
      .option('--no-wait', 'return at once instead of waiting for the running attempts to end')
      .option('--json', 'print the run as JSON (with processesEnded and attemptsRunning)'),
  ).action(
    handler(async (id: string, flags: EngineFlags & { reason: string; wait: boolean; json?: boolean }) => {
      const { engine } = openEngine(flags);
      try {
        const before = await engine.store.getRun(id);
        if (!before) throw new TuttiError('ERR_RUN_NOT_FOUND', `no run '${id}' (tutti list shows the runs of this store)`);
        const run = await engine.cancelRun(id, flags.reason);
        // Attempts of a live engine end through its poll: wait for them, bounded.
        const deadline = Date.now() + engine.options.killGraceMs + STOP_MARGIN_MS;
        let running = (await engine.store.listRunningAttempts([id])).filter((a) => a.runId === id);
        while (flags.wait && running.length && Date.now() < deadline) {
          await sleep(100);
          running = (await engine.store.listRunningAttempts([id])).filter((a) => a.runId === id);
        }
        const ended = await processesEnded(engine.store, id, before.lastSeq);
        if (flags.json) printJson({ ...run, processesEnded: ended, attemptsRunning: running.length });
        else if (isTerminalRunStatus(before.status) && ended === 0 && running.length === 0) process.stdout.write(`run ${id} had already ended (${before.status})\n`);
        else {
          const still = running.length ? `; ${running.length} attempt${running.length === 1 ? '' : 's'} still stopping (worker ${running[0]!.workerId})` : '';
          process.stdout.write(`run ${id} cancelled: ended ${ended} process${ended === 1 ? '' : 'es'}${still}\n`);
        }
        return EXIT.ok;
      } finally {
        await engine.stop();
      }
    }),
  );
}
