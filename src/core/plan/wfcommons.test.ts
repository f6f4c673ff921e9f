import { describe, expect, test } from 'vitest';
import { loadTrace, readmeTable, traceNames, WFCOMMONS_AVAILABLE, WFCOMMONS_DIR } from '../../../test/helpers/wfcommons.js';
import { isTuttiError } from '../errors.js';
import { parsePlanObject } from './parse.js';
import type { PlanInput } from './schema.js';
import { validatePlan } from './validate.js';
import { importWfCommons } from './wfcommons.js';

interface SpecTask {
  id: string;
  name?: string;
  parents?: string[];
  children?: string[];
}

/** A WfFormat 1.5 trace from `[id, runtimeInSeconds, parents]` triples; children mirror parents unless given. */
function trace(tasks: Array<[string, number, string[]]>, extra: { children?: Record<string, string[]>; name?: string } = {}) {
  const children = new Map<string, string[]>(tasks.map(([id]) => [id, []]));
  for (const [id, , parents] of tasks) for (const p of parents) children.get(p)?.push(id);
  const spec: SpecTask[] = tasks.map(([id, , parents]) => ({ id, name: `name of ${id}`, parents, children: extra.children?.[id] ?? children.get(id) ?? [] }));
  return {
    name: extra.name ?? 'tiny',
    schemaVersion: '1.5',
    author: { name: 'someone' },
    workflow: {
      specification: { tasks: spec, files: [] },
      execution: {
        makespanInSeconds: 42,
        tasks: tasks.map(([id, runtimeInSeconds]) => ({ id, runtimeInSeconds, command: { program: 'x', arguments: [] }, avgCPU: 99 })),
      },
    },
  };
}

/** a → b, a → c, {b, c} → d */
const DIAMOND: Array<[string, number, string[]]> = [
  ['a', 1, []],
  ['b', 2.5, ['a']],
  ['c', 0.25, ['a']],
  ['d', 0.5, ['b', 'c']],
];

function taskOf(plan: PlanInput, id: string) {
  const t = plan.tasks.find((x) => x.id === id);
  if (!t) throw new Error(`no task ${id}`);
  return t;
}

function importError(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    expect(isTuttiError(e, 'ERR_IMPORT')).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected ERR_IMPORT');
}

/** The plan is accepted by the same checks the engine runs (schema, duplicates, dependencies, cycles). */
function expectValidPlan(plan: PlanInput) {
  return validatePlan(parsePlanObject(plan));
}

describe('importWfCommons on small traces', () => {
  test('function driver: one sleep per task, dependencies from parents, stats in seconds', () => {
    const { plan, stats } = importWfCommons(trace(DIAMOND), {});
    expect(plan.name).toBe('tiny');
    expect(plan.concurrency).toBeUndefined();
    expect(plan.agents).toEqual([{ id: 'wfcommons-function', name: 'WfCommons replay (function)', driver: 'function', maxConcurrency: null }]);
    expect(taskOf(plan, 'b')).toEqual({ id: 'b', title: 'name of b', agent: 'wfcommons-function', function: 'sleep', input: { ms: 2500 }, dependsOn: ['a'] });
    expect(taskOf(plan, 'd').dependsOn).toEqual(['b', 'c']);
    expect(stats).toEqual({ tasks: 4, edges: 4, criticalPathSeconds: 4, totalWorkSeconds: 4.25, criticalPathTasks: ['a', 'b', 'd'] });
    expect(plan.metadata).toEqual({
      wfcommons: {
        source: 'tiny',
        schemaVersion: '1.5',
        timeScale: 1,
        driver: 'function',
        tasks: 4,
        edges: 4,
        criticalPathSeconds: 4,
        criticalPathTasks: ['a', 'b', 'd'],
        totalWorkSeconds: 4.25,
        originalMakespanSeconds: 42,
      },
    });
    const v = expectValidPlan(plan);
    expect(v.concurrency).toBeNull();
    expect(v.tasks.map((t) => t.spec.agent)).toEqual(Array(4).fill({ id: 'wfcommons-function' }));
  });

  test('exec driver: sleep with seconds at ms precision; time scale applies; name option wins', () => {
    const { plan, stats } = importWfCommons(trace([['a', 1.23456, []], ['b', 0.0004, ['a']], ['c', 0, ['b']]]), { driver: 'exec', timeScale: 0.1, name: 'replay' });
    expect(plan.name).toBe('replay');
    expect(plan.agents).toEqual([{ id: 'wfcommons-exec', name: 'WfCommons replay (exec)', driver: 'exec', maxConcurrency: null }]);
    expect(taskOf(plan, 'a')).toMatchObject({ agent: 'wfcommons-exec', command: ['sleep', '0.123'] });
    expect(taskOf(plan, 'a')).not.toHaveProperty('function');
    expect(taskOf(plan, 'b').command).toEqual(['sleep', '0.000']);
    expect(taskOf(plan, 'c').command).toEqual(['sleep', '0.000']);
    // Stats stay in trace seconds, whatever the scale.
    expect(stats.criticalPathSeconds).toBeCloseTo(1.23496, 9);
    expect((plan.metadata as { wfcommons: { timeScale: number; driver: string } }).wfcommons).toMatchObject({ timeScale: 0.1, driver: 'exec' });
    expectValidPlan(plan);
  });

  test('ms are rounded after scaling; scale 0 gives zero waits', () => {
    const t = trace([['a', 0.0016, []], ['b', 2, ['a']]]);
    expect(taskOf(importWfCommons(t, { timeScale: 1 }).plan, 'a').input).toEqual({ ms: 2 });
    expect(taskOf(importWfCommons(t, { timeScale: 0.25 }).plan, 'b').input).toEqual({ ms: 500 });
    const zero = importWfCommons(t, { timeScale: 0 });
    expect(zero.plan.tasks.map((x) => x.input)).toEqual([{ ms: 0 }, { ms: 0 }]);
    expect(zero.stats.criticalPathSeconds).toBeCloseTo(2.0016, 9);
  });

  test('an edge listed only as a child, or only as a parent, is still an edge, counted once', () => {
    const t = trace(
      [
        ['a', 1, []],
        ['b', 1, []], // a → b listed only in a.children
        ['c', 1, ['a']], // a → c listed only in c.parents
        ['d', 1, ['b', 'c']],
      ],
      { children: { a: ['b'], b: ['d'], c: ['d'], d: [] } },
    );
    const { plan, stats } = importWfCommons(t, {});
    expect(taskOf(plan, 'b').dependsOn).toEqual(['a']);
    expect(taskOf(plan, 'c').dependsOn).toEqual(['a']);
    expect(stats.edges).toBe(4);
    expect((plan.metadata as { wfcommons: { oneSidedEdges: number } }).wfcommons.oneSidedEdges).toBe(2);
    expectValidPlan(plan);
  });

  test('ids outside [A-Za-z0-9._:-] are sanitised, kept unique, and dependencies follow', () => {
    const t = trace([
      ['a b', 1, []],
      ['a_b', 1, ['a b']],
      ['a/b', 1, ['a b', 'a_b']],
      ['_lead', 1, ['a/b']],
      ['x'.repeat(200), 1, []],
    ]);
    const { plan, stats } = importWfCommons(t, {});
    const ids = plan.tasks.map((x) => x.id);
    // Ids that were already valid keep their name; the others yield.
    expect(ids.slice(0, 4)).toEqual(['a_b-2', 'a_b', 'a_b-3', 't_lead']);
    expect(ids[4]!.length).toBeLessThanOrEqual(128);
    expect(new Set(ids).size).toBe(5);
    expect(taskOf(plan, 'a_b-3').dependsOn).toEqual(['a_b-2', 'a_b']);
    expect(taskOf(plan, 't_lead').dependsOn).toEqual(['a_b-3']);
    expect(taskOf(plan, 'a_b-2').title).toBe('name of a b');
    expect(stats.criticalPathTasks).toEqual(['a_b-2', 'a_b', 'a_b-3', 't_lead']);
    expect((plan.metadata as { wfcommons: { renamedIds: Record<string, string> } }).wfcommons.renamedIds).toMatchObject({ 'a_b-2': 'a b', 'a_b-3': 'a/b', t_lead: '_lead' });
    expectValidPlan(plan);
  });

  test('a duplicated parent is listed once', () => {
    const { plan } = importWfCommons(trace([['a', 1, []], ['b', 1, ['a', 'a']]]), {});
    expect(taskOf(plan, 'b').dependsOn).toEqual(['a']);
    expectValidPlan(plan);
  });

  test('older traces with runtimes inline under workflow.tasks or workflow.jobs, parents by id or name', () => {
    const tasks = {
      name: 'old',
      schemaVersion: '1.3',
      workflow: {
        makespan: 9,
        tasks: [
          { name: 'first', id: 'ID01', runtimeInSeconds: 2, parents: [], children: ['ID02'], files: [] },
          { name: 'second', id: 'ID02', runtimeInSeconds: 3, parents: ['first'], children: [] },
        ],
      },
    };
    const a = importWfCommons(tasks, {});
    expect(a.plan.tasks.map((t) => [t.id, t.title, t.dependsOn, t.input])).toEqual([
      ['ID01', 'first', [], { ms: 2000 }],
      ['ID02', 'second', ['ID01'], { ms: 3000 }],
    ]);
    expect(a.stats).toMatchObject({ tasks: 2, edges: 1, criticalPathSeconds: 5 });
    expect((a.plan.metadata as { wfcommons: Record<string, unknown> }).wfcommons).toMatchObject({ schemaVersion: '1.3', originalMakespanSeconds: 9 });
    const jobs = { name: 'older', schemaVersion: 1.0, workflow: { jobs: [{ name: 'j1', runtime: 1.5 }, { name: 'j2', runtime: 1, parents: ['j1'] }] } };
    const b = importWfCommons(jobs, {});
    expect(b.plan.tasks.map((t) => [t.id, t.dependsOn])).toEqual([
      ['j1', []],
      ['j2', ['j1']],
    ]);
    expect(b.stats.criticalPathSeconds).toBe(2.5);
    expectValidPlan(a.plan);
    expectValidPlan(b.plan);
  });
});

describe('importWfCommons rejects bad input with ERR_IMPORT', () => {
  test('not a trace', () => {
    expect(importError(() => importWfCommons(null, {}))).toMatch(/JSON object with a "workflow"/);
    expect(importError(() => importWfCommons([], {}))).toMatch(/JSON object/);
    expect(importError(() => importWfCommons({ name: 'x' }, {}))).toMatch(/workflow/);
    expect(importError(() => importWfCommons({ workflow: { specification: { tasks: [{ id: 3 }] } } }, {}))).toMatch(/workflow\.specification\.tasks\[0\]\.id/);
  });

  test('missing or empty tasks', () => {
    expect(importError(() => importWfCommons({ workflow: {} }, {}))).toMatch(/no tasks found: expected workflow\.specification\.tasks/);
    expect(importError(() => importWfCommons({ workflow: { specification: { tasks: [] }, execution: { tasks: [] } } }, {}))).toMatch(/has no tasks/);
  });

  test('runtimes: missing, negative, not a number, listed twice, or for an unknown task', () => {
    const noExec = trace(DIAMOND);
    noExec.workflow.execution.tasks = noExec.workflow.execution.tasks.filter((t) => t.id !== 'c');
    expect(importError(() => importWfCommons(noExec, {}))).toMatch(/task 'c' has no entry in workflow\.execution\.tasks/);
    expect(importError(() => importWfCommons(trace([['a', 1, []], ['b', -0.5, ['a']]]), {}))).toMatch(/task 'b' has a negative runtime \(-0\.5 s\)/);
    const text = trace(DIAMOND) as { workflow: { execution: { tasks: Array<{ runtimeInSeconds: unknown }> } } };
    text.workflow.execution.tasks[1]!.runtimeInSeconds = '2';
    expect(importError(() => importWfCommons(text, {}))).toMatch(/workflow\.execution\.tasks\[1\]\.runtimeInSeconds/);
    const twice = trace(DIAMOND);
    twice.workflow.execution.tasks.push({ ...twice.workflow.execution.tasks[0]! });
    expect(importError(() => importWfCommons(twice, {}))).toMatch(/task 'a' is listed twice/);
    const stray = trace(DIAMOND);
    stray.workflow.execution.tasks.push({ ...stray.workflow.execution.tasks[0]!, id: 'ghost' });
    expect(importError(() => importWfCommons(stray, {}))).toMatch(/task 'ghost' is not defined in workflow\.specification\.tasks/);
    expect(importError(() => importWfCommons({ workflow: { tasks: [{ name: 'a' }] } }, {}))).toMatch(/workflow\.tasks\[0\]: task 'a' has no runtimeInSeconds/);
  });

  test('graph problems: unknown parent or child, duplicate id, self edge, cycle', () => {
    expect(importError(() => importWfCommons(trace([['a', 1, []], ['b', 1, ['nope']]]), {}))).toMatch(/task 'b' names unknown parent 'nope'/);
    expect(importError(() => importWfCommons(trace([['a', 1, []]], { children: { a: ['nope'] } }), {}))).toMatch(/task 'a' names unknown child 'nope'/);
    expect(importError(() => importWfCommons(trace([['a', 1, []], ['a', 1, []]]), {}))).toMatch(/duplicate task id 'a'/);
    expect(importError(() => importWfCommons(trace([['a', 1, ['a']]]), {}))).toMatch(/task 'a' depends on itself/);
    expect(importError(() => importWfCommons(trace([['a', 1, ['c']], ['b', 1, ['a']], ['c', 1, ['b']]]), {}))).toMatch(/cycle: .*→/);
    // 1.5 names parents by id only: a name is not a reference.
    expect(importError(() => importWfCommons(trace([['a', 1, []], ['b', 1, ['name of a']]]), {}))).toMatch(/unknown parent 'name of a'/);
  });

  test('bad options', () => {
    for (const timeScale of [Number.NaN, Number.POSITIVE_INFINITY, -1]) {
      expect(importError(() => importWfCommons(trace(DIAMOND), { timeScale }))).toMatch(/timeScale must be a finite number ≥ 0/);
    }
    expect(importError(() => importWfCommons(trace(DIAMOND), { driver: 'claude' as 'exec' }))).toMatch(/driver must be 'function' or 'exec'/);
    expect(importError(() => importWfCommons(trace(DIAMOND), { timeScale: 1e9 }))).toMatch(/more than the 2147483647 ms a timer allows/);
  });
});

/** Levels (longest path in tasks) and the widest level, to check against the README. */
function levels(plan: PlanInput): { levels: number; maxWidth: number } {
  const level = new Map<string, number>();
  const pending = [...plan.tasks];
  while (pending.length) {
    const t = pending.shift()!;
    const deps = (t.dependsOn ?? []).map((d) => level.get(d));
    if (deps.some((d) => d === undefined)) pending.push(t);
    else level.set(t.id, 1 + Math.max(0, ...(deps as number[])));
  }
  const width = new Map<number, number>();
  for (const l of level.values()) width.set(l, (width.get(l) ?? 0) + 1);
  return { levels: width.size, maxWidth: Math.max(...width.values()) };
}

/**
 * Exact figures of each trace, from an independent computation over the same files (Python over
 * the raw JSON). The README prints them rounded: srasearch's 2,894.512 s appears as 2,894.
 */
const EXACT: Record<string, { criticalPathSeconds: number; totalWorkSeconds: number }> = {
  'blast-chameleon-small-001': { criticalPathSeconds: 10.4132, totalWorkSeconds: 382.913 },
  'epigenomics-chameleon-ilmn-6seq-50k-001': { criticalPathSeconds: 1084.123, totalWorkSeconds: 26059.999 },
  'montage-chameleon-2mass-01d-001': { criticalPathSeconds: 21.122, totalWorkSeconds: 362.633 },
  'seismology-chameleon-1000p-001': { criticalPathSeconds: 5.437, totalWorkSeconds: 538.433 },
  'soykb-chameleon-10fastq-20ch-001': { criticalPathSeconds: 7869.049, totalWorkSeconds: 24451.265 },
  'srasearch-chameleon-10a-003': { criticalPathSeconds: 2894.512, totalWorkSeconds: 18985.646 },
};

describe.skipIf(!WFCOMMONS_AVAILABLE)(`real WfCommons traces (${WFCOMMONS_DIR}; skipped when missing)`, () => {
  const names = traceNames();
  const readme = WFCOMMONS_AVAILABLE ? readmeTable() : new Map();

  test('the folder holds the traces its README describes', () => {
    expect(names.length).toBeGreaterThan(0);
    expect(names).toEqual([...readme.keys()].sort());
    expect(names).toEqual(Object.keys(EXACT).sort());
  });

  for (const name of names) {
    test(name, () => {
      const row = readme.get(name)!;
      const exact = EXACT[name]!;
      const raw = loadTrace(name);
      const { plan, stats } = importWfCommons(raw, {});
      expect(stats.tasks).toBe(row.tasks);
      expect(stats.edges).toBe(row.edges);
      expect(plan.tasks).toHaveLength(row.tasks);
      expect(plan.tasks.reduce((n, t) => n + (t.dependsOn?.length ?? 0), 0)).toBe(row.edges);
      expect(levels(plan)).toEqual({ levels: row.levels, maxWidth: row.maxWidth });
      // Within 0.1 s of the exact value, and within one printed digit of the README.
      expect(Math.abs(stats.criticalPathSeconds - exact.criticalPathSeconds)).toBeLessThan(0.1);
      expect(Math.abs(stats.totalWorkSeconds - exact.totalWorkSeconds)).toBeLessThan(0.1);
      expect(Math.abs(stats.criticalPathSeconds - row.criticalPathSeconds.value)).toBeLessThan(row.criticalPathSeconds.unit);
      expect(Math.abs(stats.totalWorkSeconds - row.totalWorkSeconds.value)).toBeLessThan(row.totalWorkSeconds.unit);
      // The critical path is a chain of the plan, first task without dependencies.
      const byId = new Map(plan.tasks.map((t) => [t.id, t] as const));
      const cp = stats.criticalPathTasks;
      expect(byId.get(cp[0]!)!.dependsOn).toEqual([]);
      for (let i = 1; i < cp.length; i++) expect(byId.get(cp[i]!)!.dependsOn).toContain(cp[i - 1]);
      const cpMs = cp.reduce((s, id) => s + (byId.get(id)!.input as { ms: number }).ms, 0);
      expect(Math.abs(cpMs / 1000 - stats.criticalPathSeconds)).toBeLessThan(0.001 * cp.length);
      expect(plan.metadata).toMatchObject({ wfcommons: { schemaVersion: '1.5', tasks: row.tasks, edges: row.edges } });
      expectValidPlan(plan);
      const exec = importWfCommons(raw, { driver: 'exec', timeScale: 0.001 });
      expect(exec.stats).toEqual(stats);
      expect(exec.plan.tasks.every((t) => t.command?.[0] === 'sleep' && /^\d+\.\d{3}$/.test(String(t.command[1])))).toBe(true);
      expectValidPlan(exec.plan);
    });
  }
});
