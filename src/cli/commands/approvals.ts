/** `tutti approve RUN` and `tutti reject RUN --feedback TEXT --to TASK`: decide what a run waits for. */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { openEngine, type EngineFlags } from '../context.js';
import { EXIT } from '../errors.js';
import { handler, printJson, withStoreOptions } from '../io.js';

function who(by: string | undefined): string {
  if (by) return by;
  try {
    return userInfo().username;
  } catch {
    return 'cli';
  }
}

export function registerApprovals(program: Command): void {
  withStoreOptions(
    program
      .command('approve')
      .description('approve what a run waits for: the gate succeeds and the run goes on (the process executing the run picks it up)')
      .argument('<run>', 'run id')
      .option('--task <id>', 'the task to approve, when the run waits on several')
      .option('--comment <text>', 'recorded with the decision')
      .option('--by <name>', 'who decides (default: your user name)')
      .option('--json', 'print the run as JSON'),
  ).action(
    handler(async (id: string, flags: EngineFlags & { task?: string; comment?: string; by?: string; json?: boolean }) => {
      const { engine } = openEngine(flags);
      try {
        const run = await engine.approveRun(id, { by: who(flags.by), ...(flags.task ? { taskId: flags.task } : {}), ...(flags.comment ? { comment: flags.comment } : {}) });
        if (flags.json) printJson(run);
        else process.stdout.write(`run ${id} approved; now ${run.status}\n`);
        return EXIT.ok;
      } finally {
        await engine.stop();
      }
    }),
  );

  withStoreOptions(
    program
      .command('reject')
      .description('reject what a run waits for: --to TASK runs again with the feedback, and every task after it is reset')
      .argument('<run>', 'run id')
      .requiredOption('--feedback <text>', 'what must change (given to the task that runs again)')
      .option('--to <task>', 'the earlier task to run again (default: the gate’s first dependency, or its loop target)')
      .option('--task <id>', 'the task rejected, when the run waits on several')
      .option('--by <name>', 'who decides (default: your user name)')
      .option('--json', 'print the run as JSON'),
  ).action(
    handler(async (id: string, flags: EngineFlags & { feedback: string; to?: string; task?: string; by?: string; json?: boolean }) => {
      const { engine } = openEngine(flags);
      try {
        const run = await engine.rejectRun(id, {
          feedback: flags.feedback,
          by: who(flags.by),
          ...(flags.to ? { rewindTo: flags.to } : {}),
          ...(flags.task ? { taskId: flags.task } : {}),
        });
        if (flags.json) printJson(run);
        else process.stdout.write(`run ${id} rejected${flags.to ? `; ${flags.to} runs again` : ''}; now ${run.status}\n`);
        return EXIT.ok;
      } finally {
        await engine.stop();
      }
    }),
  );
}
