import { describe, expect, it } from 'vitest';
import { criticalPath, structuralIssues, topologicalOrder, type GraphNode } from './graph.js';

const n = (id: string, ...dependsOn: string[]): GraphNode => ({ id, dependsOn });

describe('structuralIssues', () => {
  it('accepts a well-formed graph', () => {
    expect(structuralIssues([n('a'), n('b', 'a'), n('c', 'a', 'b')])).toEqual([]);
  });

  it('reports a duplicate id with the path of the second occurrence', () => {
    const issues = structuralIssues([n('a'), n('b'), n('a')]);
    expect(issues).toEqual([{ code: 'ERR_DUPLICATE_TASK', path: 'tasks[2].id', message: expect.stringContaining('tasks[0]'), tasks: ['a'] }]);
  });

  it('reports an unknown dependency at its index', () => {
    const issues = structuralIssues([n('a'), n('b', 'a', 'ghost')]);
    expect(issues).toEqual([{ code: 'ERR_UNKNOWN_DEPENDENCY', path: 'tasks[1].dependsOn[1]', message: expect.stringContaining("'ghost'"), tasks: ['b', 'ghost'] }]);
  });

  it('reports a self-dependency as a cycle', () => {
    expect(structuralIssues([n('a', 'a')])).toEqual([{ code: 'ERR_CYCLE', path: 'tasks[0].dependsOn[0]', message: "task 'a' depends on itself", tasks: ['a'] }]);
  });

  it('reports a dependency listed twice', () => {
    const issues = structuralIssues([n('a'), n('b', 'a', 'a')]);
    expect(issues.map((i) => [i.code, i.path])).toEqual([['ERR_INVALID_PLAN', 'tasks[1].dependsOn[1]']]);
  });

  it('collects every problem', () => {
    const issues = structuralIssues([n('a', 'a'), n('a'), n('b', 'x', 'y')]);
    expect(issues.map((i) => i.code).sort()).toEqual(['ERR_CYCLE', 'ERR_DUPLICATE_TASK', 'ERR_UNKNOWN_DEPENDENCY', 'ERR_UNKNOWN_DEPENDENCY']);
  });
});

describe('topologicalOrder', () => {
  it('puts every task after its dependencies', () => {
    const nodes = [n('d', 'b', 'c'), n('b', 'a'), n('c', 'a'), n('a'), n('e')];
    const { order } = topologicalOrder(nodes);
    expect(order).not.toBeNull();
    expect([...order!].sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    const at = (id: string) => order!.indexOf(id);
    for (const node of nodes) for (const d of node.dependsOn) expect(at(d)).toBeLessThan(at(node.id));
  });

  it('names exactly the tasks of a 3-node cycle, in execution order', () => {
    // x → y → z → x, with tasks before, after and beside the cycle; 'after' comes first so the
    // search for the cycle starts outside it.
    const result = topologicalOrder([n('after', 'z'), n('start'), n('x', 'start', 'z'), n('y', 'x'), n('z', 'y'), n('free')]);
    expect(result.order).toBeNull();
    const cycle = result.cycle!;
    expect([...cycle].sort()).toEqual(['x', 'y', 'z']);
    // Each task depends on the one before it (cyclically).
    const deps = new Map([['x', 'z'], ['y', 'x'], ['z', 'y']]);
    cycle.forEach((id, i) => expect(deps.get(id)).toBe(cycle[(i + cycle.length - 1) % cycle.length]));
  });

  it('orders a 100,000-task chain without overflowing the stack', () => {
    const nodes = Array.from({ length: 100_000 }, (_, i) => n(`t${i}`, ...(i ? [`t${i - 1}`] : [])));
    const { order } = topologicalOrder(nodes);
    expect(order).toHaveLength(100_000);
    expect(order![0]).toBe('t0');
    expect(order![99_999]).toBe('t99999');
  });

  it('finds a cycle at the end of a 100,000-task chain', () => {
    const nodes = Array.from({ length: 100_000 }, (_, i) => n(`t${i}`, ...(i ? [`t${i - 1}`] : ['t99999'])));
    const result = topologicalOrder(nodes);
    expect(result.cycle).toHaveLength(100_000);
  });
});

describe('criticalPath', () => {
  // a(2) → b(3) → d(1); a → c(10) → d; e(4) alone.
  const dag = [n('a'), n('b', 'a'), n('c', 'a'), n('d', 'b', 'c'), n('e')];
  const weights: Record<string, number> = { a: 2, b: 3, c: 10, d: 1, e: 4 };

  it('returns the longest weighted path and its length', () => {
    expect(criticalPath(dag, (id) => weights[id]!)).toEqual({ length: 13, path: ['a', 'c', 'd'] });
  });

  it('follows the weights: a heavier branch becomes critical', () => {
    expect(criticalPath(dag, (id) => ({ ...weights, b: 20 })[id]!)).toEqual({ length: 23, path: ['a', 'b', 'd'] });
  });

  it('is the heaviest single task when nothing depends on anything', () => {
    expect(criticalPath([n('a'), n('b'), n('c')], (id) => (id === 'b' ? 7 : 1))).toEqual({ length: 7, path: ['b'] });
  });

  it('handles a 100,000-task chain', () => {
    const nodes = Array.from({ length: 100_000 }, (_, i) => n(`t${i}`, ...(i ? [`t${i - 1}`] : [])));
    const result = criticalPath(nodes, () => 1);
    expect(result.length).toBe(100_000);
    expect(result.path).toHaveLength(100_000);
  });

  it('throws on a cycle', () => {
    expect(() => criticalPath([n('a', 'b'), n('b', 'a')], () => 1)).toThrow(/cycle/);
  });
});
