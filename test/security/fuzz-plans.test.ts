/**
 * Property-based fuzzing of plan files through the real CLI: nesting past the depth limit in any
 * field (JSON and YAML), NUL bytes in text that reaches argv, env or prompts, unicode garbage and
 * oversized files. Properties: `tutti plan validate` and `tutti run --plan` exit 2 with one line
 * on stderr (never a stack or an internal error), and no run is ever created. Prints its counts.
 */
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

const RUNS = Number(process.env.TUTTI_PLAN_FUZZ_RUNS ?? 16);

const TEXT_FIELDS = ['tasks.0.prompt', 'tasks.0.command.1', 'tasks.0.env.A', 'tasks.0.title', 'tasks.0.id', 'tasks.0.cwd', 'agents.0.config.command.0', 'agents.0.config.env.B', 'name', 'goal'];
const ANY_FIELDS = [...TEXT_FIELDS, 'metadata', 'metadata.k', 'tasks.0.input', 'tasks.0.input.x', 'agents.0.config', 'defaults.env', 'tasks.0.env'];

function base(): Record<string, unknown> {
  return { name: 'p', agents: [{ id: 'ag', driver: 'exec', config: { command: ['echo', '{prompt}'], env: { B: 'b' } } }], tasks: [{ id: 'a', command: ['echo', 'x'], prompt: 'p', env: { A: 'a' }, input: { x: 1 } }] };
}

function setPath(root: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const keys = path.split('.');
  let at: Record<string, unknown> = root;
  keys.slice(0, -1).forEach((k, i) => {
    at[k] ??= /^\d+$/.test(keys[i + 1]!) ? [] : {};
    at = at[k] as Record<string, unknown>;
  });
  at[keys[keys.length - 1]!] = value;
  return root;
}

type Case = { kind: string; name: string; text: string };

const deep = fc.record({ field: fc.constantFrom(...ANY_FIELDS), depth: fc.oneof(fc.integer({ min: 65, max: 300 }), fc.integer({ min: 2000, max: 50_000 })), yaml: fc.boolean(), open: fc.constantFrom('[', '{"a":') }).map(({ field, depth, yaml, open }): Case => {
  const close = open === '[' ? ']' : '}';
  const text = JSON.stringify(setPath(base(), field, '__deep__')).replace('"__deep__"', `${open.repeat(depth)}1${close.repeat(depth)}`);
  // YAML is a superset of JSON; a leading comment makes the CLI parse it as YAML.
  return { kind: 'deep', name: yaml ? 'plan.yaml' : 'plan.json', text: yaml ? `# yaml\n${text}\n` : text };
});

const nul = fc.record({ field: fc.constantFrom(...TEXT_FIELDS), before: fc.string({ maxLength: 8 }), after: fc.string({ maxLength: 8 }) }).map(({ field, before, after }): Case => ({
  kind: 'nul',
  name: 'plan.json',
  text: JSON.stringify(setPath(base(), field, `${before}\u0000${after}`)),
}));

const garbage = fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 300 }), fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1'))).map((text): Case => ({ kind: 'garbage', name: 'plan.yaml', text }));

describe('plan file fuzzing through the CLI', () => {
  it(`refuses ${RUNS} hostile plan files with exit 2 and one line, creating no run`, { timeout: 600_000 }, async () => {
    const dir = tempDir('tutti-plan-fuzz-');
    let calls = 0;
    const codes = new Map<string, number>();
    const kinds = new Map<string, number>();
    const check = async (file: string) => {
      for (const args of [['plan', 'validate', file], ['run', '--plan', file]]) {
        const r = await runCli(args, { dataDir: dir });
        calls++;
        const key = String(r.code);
        codes.set(key, (codes.get(key) ?? 0) + 1);
        if (r.code !== 2 || r.stderr.trim().split('\n').length !== 1 || /internal error|RangeError|\n\s+at /.test(r.stderr)) {
          throw new Error(`tutti ${args.join(' ')} exited ${r.code}: ${r.stderr.slice(0, 400)}`);
        }
      }
    };
    await fc.assert(
      fc.asyncProperty(fc.oneof(deep, nul, garbage), async (c) => {
        kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
        // Garbage that happens to be a valid plan is not hostile: skip it.
        if (c.kind === 'garbage' && /tasks/.test(c.text)) return;
        writeFileSync(join(dir, c.name), c.text);
        await check(c.name);
      }),
      { numRuns: RUNS },
    );
    // Larger than the plan limit (64 MiB): refused from its size, before it is read.
    const big = join(dir, 'big.json');
    writeFileSync(big, '{"tasks":[');
    truncateSync(big, 70 * 1024 * 1024);
    await check('big.json');
    const list = await runCli(['list', '--json'], { dataDir: dir });
    const runs = JSON.parse(list.stdout) as unknown[] | { runs: unknown[] };
    expect(Array.isArray(runs) ? runs : runs.runs).toEqual([]);
    process.stdout.write(`plan fuzz: ${RUNS + 1} plan files (${JSON.stringify(Object.fromEntries(kinds))} + 1 of 70 MiB), ${calls} CLI calls, exit codes ${JSON.stringify(Object.fromEntries(codes))}\n`);
    expect([...codes.keys()]).toEqual(['2']);
  });
});
