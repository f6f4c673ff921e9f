/** `tutti agents list`: the registry with loads. */
import type { Command } from 'commander';
import { openEngine, type EngineFlags } from '../context.js';
import { EXIT } from '../errors.js';
import { handler, printJson, withStoreOptions } from '../io.js';

export function registerAgents(program: Command): void {
  const agents = program.command('agents').description('the agent registry');
  withStoreOptions(agents.command('list').description('list registered agents (built-in, from config files and plans) with their load').option('--json', 'print a JSON array')).action(
    handler(async (flags: EngineFlags & { json?: boolean }) => {
      const { engine } = openEngine(flags);
      try {
        const list = await engine.listAgents();
        if (flags.json) printJson(list);
        else {
          for (const a of list) {
            const cap = a.maxConcurrency === null ? '∞' : String(a.maxConcurrency);
            process.stdout.write(`${a.id.padEnd(20)} ${a.driver.padEnd(9)} ${a.status.padEnd(8)} load ${a.running}/${cap}  type ${a.type}  [${a.capabilities.join(', ')}]\n`);
          }
        }
        return EXIT.ok;
      } finally {
        await engine.stop();
      }
    }),
  );
}
