/**
 * `tutti worker`: a long-running process that executes the ready tasks of every run in a shared
 * database (PostgreSQL, or a SQLite file on one machine). Start as many as you like, on as many
 * machines: they claim attempts with `FOR UPDATE SKIP LOCKED`, wake on `LISTEN tutti_ready`
 * (a slow poll remains as a fallback), renew their leases by heartbeat and re-claim the attempts
 * of workers whose lease expired. SIGTERM/SIGINT stop claiming and interrupt this worker's
 * attempts: their tasks are handed back, ready, to the other workers (docs/scale-out.md).
 */
import type { Command } from 'commander';
import { errorMessage } from '../../core/errors.js';
import type { Engine } from '../../core/engine.js';
import { databaseUrlOf, openEngine, type EngineFlags } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { handler, parsePositiveInt, withStoreOptions } from '../io.js';

interface WorkerFlags extends EngineFlags {
  leaseMs?: number;
  pollMs?: number;
  workerId?: string;
  quiet?: boolean;
}

/** Default slow poll of a worker that listens for notifications, ms. */
const LISTEN_POLL_MS = 2000;

export function registerWorker(program: Command): void {
  withStoreOptions(
    program
      .command('worker')
      .description('execute ready tasks of every run in the database until stopped (run several, on many machines, with --database-url)')
      .option('--concurrency <n>', 'most attempts at once in this worker', parsePositiveInt('--concurrency'))
      .option('--lease-ms <ms>', 'lease of claimed attempts; another worker re-claims them when this one stops renewing it (default 30000)', parsePositiveInt('--lease-ms'))
      .option('--poll-ms <ms>', `fallback poll when no notification arrives (default ${LISTEN_POLL_MS} with PostgreSQL, 500 with SQLite)`, parsePositiveInt('--poll-ms'))
      .option('--worker-id <id>', 'identity in leases (default host:pid:random)')
      .option('--quiet', 'no start and stop lines on stderr'),
  ).action(
    handler(async (flags: WorkerFlags) => {
      if (flags.leaseMs !== undefined && flags.leaseMs < 100) throw new UsageError('--lease-ms must be at least 100');
      const url = databaseUrlOf(flags);
      const { engine } = openEngine(flags, 'all', {
        ...(flags.leaseMs !== undefined ? { leaseMs: flags.leaseMs } : {}),
        pollMs: flags.pollMs ?? (url ? LISTEN_POLL_MS : 500),
        ...(flags.workerId !== undefined ? { workerId: flags.workerId } : {}),
      });
      const say = (line: string) => {
        if (!flags.quiet) process.stderr.write(`tutti worker: ${line}\n`);
      };
      engine.on('engine:error', ({ error, context }) => say(`${context}: ${errorMessage(error)}`));
      let unlisten: (() => Promise<void>) | null = null;
      try {
        await engine.start();
        if (url) unlisten = await listenForWork(engine, say);
        say(`${engine.workerId} started on ${url ? 'PostgreSQL' : 'SQLite'}${url ? ' (listening for notifications)' : ''}`);
        const signal = await new Promise<NodeJS.Signals>((resolve) => {
          const stop = (s: NodeJS.Signals) => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            resolve(s);
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
        say(`${signal}: interrupting ${engine.inFlight} running attempt(s); their tasks go back to the other workers`);
        return EXIT.ok;
      } finally {
        await unlisten?.().catch(() => undefined);
        await engine.stop({ mode: 'interrupt' }).catch((e: unknown) => say(`stopping: ${errorMessage(e)}`));
      }
    }),
  );
}

/**
 * Wakes the engine when another process makes tasks ready (NOTIFY from its transaction).
 * Notifications of this worker's own transactions are ignored: it claims in the same transaction.
 * Wake-ups coalesce in the engine: many notifications before its next claim make one claim.
 */
async function listenForWork(engine: Engine, say: (line: string) => void): Promise<() => Promise<void>> {
  const store = engine.store as unknown as { load?: () => Promise<{ listen: (cb: (p: { writer: string; runId: string }) => void, onError?: (e: unknown) => void) => Promise<() => Promise<void>> }> };
  if (!store.load) return async () => undefined;
  const pgStore = await store.load();
  // wake() only marks the engine dirty and schedules one claim: many notifications coalesce.
  const wake = (): void => engine.wake();
  return pgStore.listen(
    ({ writer, runId }) => {
      if (writer === engine.workerId || !runId) return;
      wake();
    },
    (e) => say(`notifications: ${errorMessage(e)} (reconnecting; polling meanwhile)`),
  );
}
