/**
 * `tutti status`, `list`, `logs`: read runs from the store (no execution here). `list` reads the
 * store alone; the others load the engine when they run, not when registered.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { TuttiError } from '../../core/errors.js';
import { isTerminalRunStatus, RUN_STATUSES, type RunStatus } from '../../core/model.js';
import { listRunSummaries } from '../../core/run-list.js';
import type { EngineFlags } from '../store.js';
import { EXIT, UsageError } from '../errors.js';
import { eventLine, mergeQueueLines, runDetails, runTable } from '../format.js';
import { handler, parsePositiveInt, printJson, withStoreOptions } from '../options.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The engine of a command, loaded on use (its drivers and memory plane cost start-up time). */
async function openEngine(flags: EngineFlags) {
  return (await import('../context.js')).openEngine(flags);
}

function notFound(id: string): never {
  throw new TuttiError('ERR_RUN_NOT_FOUND', `no run '${id}' (tutti list shows the runs of this store)`);
}

export function registerInspect(program: Command): void {
  withStoreOptions(program.command('status').description('show a run with its tasks, attempts and blocked reasons').argument('<run>', 'run id').option('--json', 'print the run as JSON')).action(
    handler(async (id: string, flags: EngineFlags & { json?: boolean }) => {
      const { engine } = await openEngine(flags);
      try {
        const view = await engine.getRun(id);
        if (!view) notFound(id);
        if (flags.json) printJson(view);
        else {
          process.stdout.write(`${runDetails(view)}\n`);
          for (const line of mergeQueueLines(view)) process.stdout.write(`${line}\n`);
          // Pending tasks traced to the task holding them up (seed 003: "tasks stuck in pending").
          const { blockedSteps } = await import('../../compat/orchestrator/shapes.js');
          const chains = blockedSteps(view.tasks).filter((b) => b.kind === 'dependencies' && b.reason.includes('(pending behind'));
          if (chains.length) process.stdout.write(`why pending:\n${chains.slice(0, 20).map((b) => `  ${b.reason}`).join('\n')}${chains.length > 20 ? `\n  … ${chains.length - 20} more` : ''}\n`);
        }
        return EXIT.ok;
      } finally {
        await engine.stop();
      }
    }),
  );

  withStoreOptions(
    program
      .command('list')
      .alias('runs')
      .description('list runs, newest first (by creation time); as ai_orch or orch, list is the live tmux sessions (seed 004)')
      .option('--status <status>', `only runs with this status (${RUN_STATUSES.join(', ')}); repeat or comma-separate`, (v: string, prev: string[] = []) => [...prev, ...v.split(',')])
      .option('--limit <n>', 'at most this many', parsePositiveInt('--limit'), 50)
      .option('--before <run>', 'runs listed after this run id (pagination: pass the last id of a page)')
      .option('--json', 'print a JSON array'),
  ).action(
    handler(async (flags: EngineFlags & { status?: string[]; limit: number; before?: string; json?: boolean }) => {
      for (const s of flags.status ?? []) if (!RUN_STATUSES.includes(s as RunStatus)) throw new UsageError(`unknown status '${s}' (one of ${RUN_STATUSES.join(', ')})`);
      const { openStore } = await import('../store.js');
      const { store } = openStore(flags);
      try {
        const runs = await listRunSummaries(store, { limit: flags.limit, ...(flags.status ? { status: flags.status as RunStatus[] } : {}), ...(flags.before ? { before: flags.before } : {}) }, Date.now());
        if (flags.json) printJson(runs);
        else if (runs.length === 0) process.stdout.write('no runs\n');
        else process.stdout.write(`${runTable(runs).join('\n')}\n`);
        return EXIT.ok;
      } finally {
        await store.close();
      }
    }),
  );

  withStoreOptions(
    program
      .command('logs')
      .description("print a run's event log, or with --task the output log of a task's attempt")
      .argument('<run>', 'run id')
      .option('--task <id>', 'print this task’s attempt output instead of events')
      .option('--attempt <n>', 'attempt number (default: the latest)', parsePositiveInt('--attempt'))
      .option('-f, --follow', 'keep printing until the run ends')
      .option('--json', 'events as JSON lines'),
  ).action(
    handler(async (id: string, flags: EngineFlags & { task?: string; attempt?: number; follow?: boolean; json?: boolean }) => {
      const { engine, settings } = await openEngine(flags);
      try {
        const run = await engine.store.getRun(id);
        if (!run) notFound(id);
        if (flags.task) return await followAttemptLog(engine, settings.dataDir, id, flags.task, flags.attempt, Boolean(flags.follow));
        let after = 0;
        for (;;) {
          const events = await engine.listEvents(id, { afterSeq: after, limit: 1000 });
          for (const e of events) process.stdout.write(`${flags.json ? JSON.stringify(e) : eventLine(e)}\n`);
          if (events.length) after = events[events.length - 1]!.seq;
          if (events.length === 1000) continue;
          if (!flags.follow) return EXIT.ok;
          const status = (await engine.store.runStatuses([id])).get(id);
          if (status && isTerminalRunStatus(status) && (await engine.listEvents(id, { afterSeq: after, limit: 1 })).length === 0) return EXIT.ok;
          await sleep(250);
        }
      } finally {
        await engine.stop();
      }
    }),
  );
}

async function followAttemptLog(
  engine: Awaited<ReturnType<typeof openEngine>>['engine'],
  dataDir: string,
  runId: string,
  taskId: string,
  n: number | undefined,
  follow: boolean,
): Promise<number> {
  const task = await engine.store.getTask(runId, taskId);
  if (!task) throw new TuttiError('ERR_TASK_NOT_FOUND', `run ${runId} has no task '${taskId}'`);
  let offset = 0;
  for (;;) {
    const attempts = await engine.store.listAttempts(runId, taskId);
    const attempt = n === undefined ? attempts[attempts.length - 1] : attempts.find((a) => a.n === n);
    if (!attempt && !follow) throw new UsageError(n === undefined ? `task '${taskId}' has not started yet` : `task '${taskId}' has no attempt ${n}`);
    if (attempt) {
      const path = join(dataDir, attempt.logPath ?? join('logs', runId, `${taskId}.${attempt.n}.log`));
      if (existsSync(path) && statSync(path).size > offset) {
        const buf = readFileSync(path);
        process.stdout.write(buf.subarray(offset));
        offset = buf.length;
      }
      if (!follow || attempt.status !== 'running') return EXIT.ok;
    }
    await sleep(250);
  }
}
