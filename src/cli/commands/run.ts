/** `tutti run` (a plan file, or a goal for one agent) and `tutti resume`: execute in the foreground until the runs end. */
import { basename } from 'node:path';
import type { Command } from 'commander';
import type { Plan, PlanInput } from '../../core/plan/schema.js';
import type { RunView } from '../../core/run-view.js';
import { openEngine, type EngineFlags } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { runDetails, runLine } from '../format.js';
import { handler, parsePositiveInt, printJson, readPlanFile, withStoreOptions } from '../io.js';
import { attachProgress } from '../progress.js';
import type { Engine } from '../../core/engine.js';
import { codingGoalPlan, codingOutcomeLines, followCodingOutput, isCodingRun, prepareGoalRun, reportOrphanWorktrees, withCodingOptions, type CodingFlags } from './dispatcher.js';
import { missingRolesError, templatePlan, withTemplateOptions, type TemplateFlags } from './template.js';

interface RunFlags extends EngineFlags, CodingFlags, TemplateFlags {
  plan?: string;
  agent?: string;
  json?: boolean;
  runId?: string;
  idempotencyKey?: string;
  detach?: boolean;
  timeout?: number;
}

function goalPlan(goal: string, flags: RunFlags): PlanInput {
  if (!flags.agent) {
    // One bare word is a command that does not exist far more often than a goal.
    if (!/\s/.test(goal)) throw new UsageError(`unknown command '${goal}' (tutti --help lists the commands; a goal runs with: tutti run "goal" --agent NAME)`);
    throw new UsageError('a goal needs an agent: tutti run "goal" --agent NAME (or give a plan with --plan FILE)');
  }
  return {
    name: goal.split('\n')[0]!.slice(0, 200),
    goal,
    tasks: [{ id: 'main', title: goal.split('\n')[0]!.slice(0, 500), prompt: goal, agent: flags.agent, ...(flags.timeout ? { timeoutMs: flags.timeout } : {}) }],
  };
}

/** Executes runs until each ends; Ctrl-C hands running tasks back (resumable) and exits 130. */
async function executeForeground(engine: Engine, ids: string[], json: boolean): Promise<{ views: RunView[]; code: number }> {
  const progress = json ? null : attachProgress(engine, { stream: process.stderr, runIds: new Set(ids) });
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(EXIT.interrupted);
    interrupted = true;
    process.stderr.write(`\n${signal}: stopping; running tasks are handed back. Continue with: tutti resume\n`);
    void engine.stop({ mode: 'interrupt' });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const views: RunView[] = [];
    for (const id of ids) {
      try {
        views.push(await engine.waitForRun(id));
      } catch (e) {
        if (interrupted) break;
        throw e;
      }
    }
    await progress?.stop();
    if (interrupted) {
      await engine.stop();
      return { views, code: EXIT.interrupted };
    }
    await engine.stop({ mode: 'drain' });
    const failed = views.some((v) => v.status !== 'completed');
    return { views, code: failed ? EXIT.runFailed : EXIT.ok };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await progress?.stop();
  }
}

function report(views: RunView[], json: boolean, asArray: boolean, coding = false): void {
  if (json) return printJson(asArray ? views : views[0]);
  for (const v of views) process.stdout.write(`${[runDetails(v, 50, true), ...(coding ? codingOutcomeLines(v) : [])].join('\n')}\n`);
}

export function registerRun(program: Command): void {
  withTemplateOptions(withCodingOptions(withStoreOptions(
    program
      .command('run', { isDefault: true })
      .description('run a plan (--plan FILE) or a goal with one agent (--agent NAME) in the foreground until it ends')
      .argument('[goal...]', 'the goal, for a one-task run')
      .option('--plan <file>', 'plan file (JSON or YAML; - for stdin)')
      .option('--agent <name>', 'agent id for a goal run')
      .option('--json', 'print the final run as one JSON document')
      .option('--concurrency <n>', 'most attempts at once in this process', parsePositiveInt('--concurrency'))
      .option('--run-id <id>', 'id of the new run')
      .option('--idempotency-key <key>', 'return the existing run created with this key instead of a new one')
      .option('--timeout <ms>', 'per-attempt timeout of a goal run, ms', parsePositiveInt('--timeout'))
      .option('--detach', 'create the run and exit (execute it later with tutti resume or a worker)'),
  ))).action(handler(async (goalWords: string[], flags: RunFlags) => {
    // Seed 004: a goal without --agent is a coding run whose CLI is chosen; --pr N's branch is fetched.
    if (flags.plan && goalWords.join(' ').trim()) throw new UsageError('give either --plan FILE or a goal, not both');
    // One bare word without flags is a command that does not exist far more often than a goal.
    const words = goalWords.join(' ').trim();
    if (words && !/\s/.test(words) && !flags.plan && !flags.template && !flags.param?.length && !flags.agent && !isCodingRun(flags)) {
      throw new UsageError(`unknown command '${words}' (tutti --help lists the commands; a goal is a sentence: tutti "fix the failing test")`);
    }
    const { goal, coding } = await prepareGoalRun(goalWords, flags);
    if (!flags.plan && !goal) throw new UsageError('nothing to run: give --plan FILE or a goal (tutti run --help)');
    if (coding && flags.plan) throw new UsageError('--agent-cli, --validate and the other coding flags apply to a goal, not to --plan (put them in the plan)');
    if ((flags.template || flags.param) && (flags.plan || coding)) throw new UsageError('--template makes the plan: do not combine it with --plan or the coding flags');
    const plan = flags.template || flags.param ? templatePlan(goal, flags) : flags.plan ? readPlanFile(flags.plan) : coding ? codingGoalPlan(goal, flags) : goalPlan(goal, flags);
    if (flags.plan && !plan.name && !plan.goal && flags.plan !== '-') plan.name = basename(flags.plan).replace(/\.(json|ya?ml)$/i, '');
    const { engine, settings } = openEngine(flags, 'own');
    try {
      if (coding && !flags.json) followCodingOutput(engine, process.stderr);
      if (coding) await reportOrphanWorktrees(engine, settings.dataDir, process.cwd(), process.stderr);
      const run = await engine
        .createRun(plan, {
          ...(flags.runId ? { runId: flags.runId } : {}),
          ...(flags.idempotencyKey ? { idempotencyKey: flags.idempotencyKey } : {}),
        })
        .catch((e: unknown) => {
          throw (flags.template && missingRolesError(plan as Plan, e, flags.template)) || e;
        });
      if (flags.detach) {
        if (flags.json) printJson(run);
        else process.stdout.write(`${run.id}\n`);
        await engine.stop();
        return EXIT.ok;
      }
      if (!flags.json) process.stderr.write(`run ${run.id}: ${run.counts.total} tasks\n`);
      await engine.start();
      const { views, code } = await executeForeground(engine, [run.id], Boolean(flags.json));
      if (views.length) report(views, Boolean(flags.json), false, coding);
      return code;
    } catch (e) {
      await engine.stop().catch(() => undefined);
      throw e;
    }
  }));

  withStoreOptions(
    program
      .command('resume')
      .description('continue every unfinished run in the store, in the foreground, until they end')
      .option('--json', 'print the runs as one JSON array')
      .option('--concurrency <n>', 'most attempts at once in this process', parsePositiveInt('--concurrency')),
  ).action(handler(async (flags: RunFlags) => {
    const { engine } = openEngine(flags, 'own');
    try {
      await engine.start();
      const ids = await engine.resumeAll();
      if (!flags.json) process.stderr.write(ids.length ? `resuming ${ids.length} run${ids.length > 1 ? 's' : ''}\n` : 'no unfinished runs\n');
      const { views, code } = await executeForeground(engine, ids, Boolean(flags.json));
      if (flags.json) printJson(views);
      else for (const v of views) process.stdout.write(`${runLine(v)}\n`);
      return code;
    } catch (e) {
      await engine.stop().catch(() => undefined);
      throw e;
    }
  }));
}

