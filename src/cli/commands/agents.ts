/** `tutti agents list`: the registry with loads. */
import type { Command } from 'commander';
import { openEngine, type EngineFlags } from '../context.js';
import { EXIT } from '../errors.js';
import { formatTable } from '../format.js';
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
          // Columns as wide as their widest cell: long agent ids (coding-claude.usd1…) keep the table aligned.
          const rows = list.map((a) => [a.id, a.driver, a.status, `load ${a.running}/${a.maxConcurrency === null ? '∞' : String(a.maxConcurrency)}`, `type ${a.type}`, `[${a.capabilities.join(', ')}]`]);
          for (const line of formatTable(rows)) process.stdout.write(`${line}\n`);
        }
        return EXIT.ok;
      } finally {
        await engine.stop();
      }
    }),
  );
}
