/**
 * Limits at every boundary: deep nesting in every field of every request body answers 400 naming
 * the field, before anything is created (the state is unchanged); so does a NUL byte in any text
 * that can reach a command line, an environment or a prompt. Plan files through the CLI: exit 2
 * with the field's path, no run created.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findDeepNesting, MAX_JSON_DEPTH, parseJsonLimited, scanJsonDepth } from '../../src/core/limits.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { startServer, type TestServer } from '../server/helpers.js';

const nest = (levels: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
};
/** JSON text nested `levels` deep (built as text: JSON.stringify itself overflows the stack at a few thousand levels). */
const nestText = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
const DEEP = '"__deep__"';
/** `value` as JSON text with the placeholder string replaced by nesting `levels` deep. */
const withDeep = (value: unknown, levels: number) => JSON.stringify(value).replace(DEEP, nestText(levels));
const JSON_TYPE = { 'content-type': 'application/json' };

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path into a value (object keys and array indexes), depth first, the root excluded. */
function paths(v: Json, prefix: Array<string | number> = []): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [];
  if (Array.isArray(v)) v.forEach((c, i) => out.push([...prefix, i], ...paths(c, [...prefix, i])));
  else if (v !== null && typeof v === 'object') for (const [k, c] of Object.entries(v)) out.push([...prefix, k], ...paths(c, [...prefix, k]));
  return out;
}

function replaced(v: Json, path: Array<string | number>, value: unknown): Json {
  const copy = structuredClone(v) as Record<string | number, unknown>;
  let at = copy;
  for (const k of path.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
  at[path[path.length - 1]!] = value;
  return copy as Json;
}

const dotted = (path: Array<string | number>) => path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : `${s}.${k}`), 'body');

async function snapshot(s: TestServer) {
  const runs = await s.engine.listRuns({ limit: 1000 });
  return { runs: await Promise.all(runs.map((r) => s.engine.getRun(r.id))), events: await s.engine.store.listAllEvents({ limit: 100_000 }), agents: await s.engine.store.listAgents() };
}

describe('limits at the HTTP boundary', () => {
  it('refuses deep nesting in every field of every body (400, the field named) and NUL bytes in text, changing nothing', { timeout: 120_000 }, async () => {
    const s = await startServer();
    const gated = (await s.call('POST', '/api/v1/runs', { body: { plan: { tasks: [{ id: 'a', agent: 'test' }, { id: 'gate', approval: true, dependsOn: ['a'] }] } } })).json;
    for (let i = 0; i < 500 && (await s.engine.getRun(gated.id))!.status !== 'awaiting_approval'; i++) await new Promise((r) => setTimeout(r, 10));
    const routes: Array<{ method: string; url: string; body: Json }> = [
      {
        method: 'POST',
        url: '/api/v1/runs',
        body: {
          plan: {
            name: 'p',
            metadata: { k: 1 },
            agents: [{ id: 'ag', driver: 'exec', capabilities: ['c'], config: { command: ['echo', '{prompt}'], env: { A: '1' } } }],
            defaults: { env: { B: '2' } },
            tasks: [{ id: 'a', agent: { id: 'ag' }, prompt: 'p', input: { k: [1, { x: 'y' }] }, env: { A: '1' } }, { id: 'c', command: ['echo', 'hi'], cwd: '.', dependsOn: ['a'] }],
          },
          metadata: { k: { l: 1 } },
          idempotencyKey: 'k',
        },
      },
      { method: 'POST', url: `/api/v1/runs/${gated.id}/cancel`, body: { reason: 'r' } },
      { method: 'POST', url: `/api/v1/runs/${gated.id}/approve`, body: { taskId: 'gate', comment: 'c', by: 'b' } },
      { method: 'POST', url: `/api/v1/runs/${gated.id}/reject`, body: { feedback: 'f', rewindTo: 'a', by: 'b' } },
      { method: 'POST', url: '/api/v1/agents', body: { id: 'x', driver: 'exec', capabilities: ['c'], config: { command: ['echo'], env: { A: '1' } } } },
      { method: 'PUT', url: '/api/v1/agents/y', body: { driver: 'exec', config: { command: ['echo'] } } },
      { method: 'PATCH', url: '/api/v1/agents/test', body: { status: 'paused' } },
      { method: 'POST', url: '/api/orchestrator/orchestrate', body: { goal: 'g', initialContext: { k: 1 }, metadata: { m: 1 }, steps: [{ title: 't', prompt: 'p', input: { k: 1 } }] } },
      { method: 'POST', url: '/api/orchestrator/agents', body: { id: 'z', name: 'n', type: 't', capabilities: [{ name: 'c', domains: ['d'] }], metadata: { m: 1 }, config: { k: 1 } } },
    ];
    const before = await snapshot(s);
    let requests = 0;
    for (const r of routes) {
      for (const path of paths(r.body)) {
        for (const levels of [MAX_JSON_DEPTH + 1, 5000]) {
          const res = await s.call(r.method, r.url, { body: withDeep(replaced(r.body, path, JSON.parse(DEEP)), levels), headers: JSON_TYPE });
          requests++;
          expect([r.url, dotted(path), res.status, res.json?.error?.code]).toEqual([r.url, dotted(path), 400, 'ERR_INVALID_INPUT']);
          expect(res.json.error.details.issues[0].path.startsWith(`${dotted(path)}.a`) || res.json.error.details.issues[0].path.startsWith(dotted(path))).toBe(true);
        }
        // NUL bytes: refused in text, except inside a task's input and free-form metadata (data).
        const value = replaced(r.body, path, 'a\u0000b');
        const dataField = /\.(input|metadata|initialContext)(\.|\[|$)/.test(dotted(path));
        if (dataField) continue;
        const res = await s.call(r.method, r.url, { body: value });
        requests++;
        expect([r.url, dotted(path), res.status]).toEqual([r.url, dotted(path), 400]);
        expect(res.json.error.details.issues[0].path).toBe(dotted(path));
      }
    }
    // Depth exactly at the limit is accepted where free-form JSON is allowed (the limit, not less).
    const atLimit = await s.call('POST', '/api/v1/runs', { body: { plan: { tasks: [{ id: 'a', agent: 'test', input: { output: nest(MAX_JSON_DEPTH - 5) } }] } } });
    expect([atLimit.status, atLimit.text]).toEqual([201, atLimit.text]);
    const after = await snapshot(s);
    after.runs = after.runs.filter((r) => r!.id !== atLimit.json.id);
    after.events = after.events.filter((e) => e.runId !== atLimit.json.id);
    expect(after.runs).toEqual(before.runs);
    expect(after.events).toEqual(before.events);
    expect(after.agents.map((a) => [a.id, a.status])).toEqual(before.agents.map((a) => [a.id, a.status]));
    process.stdout.write(`security limits: ${requests} requests with deep nesting or NUL bytes, all 400\n`);
  });

  it('scans depth without parsing and names the same path as a walk of the parsed value', () => {
    const text = JSON.stringify({ plan: { tasks: [{ id: 'x' }, { id: 'y', input: nest(80) }] }, 'k"q': [1, [2]] });
    const scanned = scanJsonDepth(text)!;
    expect(scanned.path).toMatch(/^plan\.tasks\[1\]\.input(\.a)+$/);
    expect(findDeepNesting(JSON.parse(text))!.path).toBe(scanned.path);
    // Millions of levels are refused in linear time (JSON.parse would take seconds).
    const huge = '['.repeat(4_000_000) + ']'.repeat(4_000_000);
    expect(() => parseJsonLimited(huge)).toThrow(/nested deeper than 64/);
  });
});

describe('limits on plan files through the CLI', () => {
  it('exits 2 naming the field for deep nesting (JSON and YAML) and NUL bytes, creating no run', { timeout: 120_000 }, async () => {
    const dir = tempDir('tutti-limits-');
    const cases: Array<{ name: string; text: string; path: RegExp }> = [
      { name: 'deep.json', text: JSON.stringify({ tasks: [{ id: 'a', command: ['true'], input: nest(200) }] }), path: /tasks\[0\]\.input(\.a)+/ },
      { name: 'deep-metadata.json', text: withDeep({ metadata: JSON.parse(DEEP), tasks: [{ id: 'a', command: ['true'] }] }, 5000), path: /metadata(\.a)+/ },
      { name: 'deep-agent.json', text: JSON.stringify({ agents: [{ id: 'x', driver: 'exec', config: nest(100) }], tasks: [{ id: 'a', agent: 'x' }] }), path: /agents\[0\]\.config/ },
      { name: 'deep.yaml', text: `tasks:\n  - id: a\n    command: ["true"]\n    input: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`, path: /nested deeper than 64/ },
      { name: 'deep-block.yaml', text: `tasks:\n  - id: a\n    command: ["true"]\n    input:\n${Array.from({ length: 80 }, (_, i) => `${'  '.repeat(i + 3)}k:`).join('\n')} 1\n`, path: /tasks\[0\]\.input(\.k)+/ },
      { name: 'nul-prompt.json', text: JSON.stringify({ tasks: [{ id: 'a', command: ['cat'], prompt: 'hello\u0000world' }] }), path: /tasks\[0\]\.prompt/ },
      { name: 'nul-argv.json', text: JSON.stringify({ tasks: [{ id: 'a', command: ['echo', 'a\u0000b'] }] }), path: /tasks\[0\]\.command\[1\]/ },
      { name: 'nul-env.yaml', text: 'tasks:\n  - id: a\n    command: ["true"]\n    env: { A: "x\\0y" }\n', path: /tasks\[0\]\.env\.A/ },
    ];
    for (const c of cases) {
      writeFileSync(join(dir, c.name), c.text);
      for (const args of [['plan', 'validate', c.name], ['run', '--plan', c.name]]) {
        const r = await runCli(args, { dataDir: dir });
        expect([c.name, args[0], r.code]).toEqual([c.name, args[0], 2]);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr).toMatch(c.path);
        expect(r.stderr).not.toMatch(/RangeError|internal error|\n\s+at /);
      }
    }
    const list = await runCli(['list', '--json'], { dataDir: dir });
    expect(JSON.parse(list.stdout).runs ?? JSON.parse(list.stdout)).toEqual([]);
  });
});
