/** `tutti plan validate|schema|import`. */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { stringify as toYaml } from 'yaml';
import { criticalPath } from '../../core/plan/graph.js';
import { planJsonSchema } from '../../core/plan/schema.js';
import { openEngine, type EngineFlags } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { handler, parsePositiveNumber, printJson, readPlanFile, withStoreOptions } from '../io.js';

export function registerPlan(program: Command): void {
  const plan = program.command('plan').description('plan files: validate, JSON Schema, importers');

  withStoreOptions(
    plan
      .command('validate')
      .description('check a plan (schema, duplicate ids, unknown dependencies, cycles, agents able to run each task) without running it')
      .argument('<file>', 'plan file (JSON or YAML; - for stdin)')
      .option('--json', 'print the result as JSON'),
  ).action(
    handler(async (file: string, flags: EngineFlags & { json?: boolean }) => {
      const parsed = readPlanFile(file);
      const { engine } = openEngine(flags);
      try {
        const v = await engine.validatePlan(parsed);
        const edges = v.tasks.reduce((n, t) => n + t.dependsOn.length, 0);
        const depth = criticalPath(v.tasks, () => 1).length;
        if (flags.json) printJson({ valid: true, name: v.name, tasks: v.tasks.length, edges, depth });
        else process.stdout.write(`ok: ${v.name}: ${v.tasks.length} tasks, ${edges} dependencies, ${depth} levels\n`);
        return EXIT.ok;
      } finally {
        await engine.stop();
      }
    }),
  );

  plan
    .command('schema')
    .description('print the JSON Schema of the plan format')
    .action(
      handler(async () => {
        printJson(planJsonSchema());
        return EXIT.ok;
      }),
    );

  const imp = plan.command('import').description('turn other formats into tutti plans');
  imp
    .command('wfcommons')
    .description('import a WfCommons (WfFormat) workflow trace: each task waits runtimeInSeconds × scale')
    .argument('<file>', 'WfFormat JSON file')
    .option('--time-scale <s>', 'multiply each task runtime by this', parsePositiveNumber('--time-scale'), 1)
    .option('--driver <name>', 'function (a timer in process) or exec (runs sleep)', 'function')
    .option('-o, --output <file>', 'write the plan here (.yaml/.yml for YAML, else JSON) instead of stdout')
    .action(
      handler(async (file: string, flags: { timeScale: number; driver: string; output?: string }) => {
        if (flags.driver !== 'function' && flags.driver !== 'exec') throw new UsageError(`--driver must be function or exec, got '${flags.driver}'`);
        let trace: unknown;
        try {
          trace = JSON.parse(readFileSync(resolve(file), 'utf8'));
        } catch (e) {
          throw new UsageError(`cannot read ${file}: ${(e as Error).message.split('\n')[0]}`);
        }
        // Loaded on demand: most commands never need an importer.
        const { importWfCommons } = await import('../../core/plan/wfcommons.js');
        const { plan: out, stats } = importWfCommons(trace, { timeScale: flags.timeScale, driver: flags.driver });
        const text = flags.output && /\.ya?ml$/i.test(flags.output) ? toYaml(out) : `${JSON.stringify(out, null, 2)}\n`;
        if (flags.output) {
          writeFileSync(resolve(flags.output), text);
          process.stderr.write(
            `wrote ${flags.output}: ${stats.tasks} tasks, ${stats.edges} dependencies, critical path ${stats.criticalPathSeconds.toFixed(1)} s (× ${flags.timeScale} = ${(stats.criticalPathSeconds * flags.timeScale).toFixed(2)} s)\n`,
          );
        } else process.stdout.write(text);
        return EXIT.ok;
      }),
    );
}
