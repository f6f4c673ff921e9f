/** `--self-check`: the DAG translations of shapes.js on small DAGs, checked with node:assert. */
import assert from 'node:assert/strict';
import { bullmqFlows, chainDag, criticalPathMs, fanDag, flowDepth, levelledMakespanMs, levels, makefile, queuePlan, topologicalNodes } from './shapes.js';

export function selfCheck() {
  const diamond = { name: 'diamond', nodes: [
    { id: 'a', deps: [], ms: 1 },
    { id: 'b', deps: ['a'], ms: 5 },
    { id: 'c', deps: ['a'], ms: 2 },
    { id: 'd', deps: ['b', 'c'], ms: 1 },
    { id: 'e', deps: ['c'], ms: 9 },
  ] };
  assert.equal(criticalPathMs(diamond), 12);
  assert.deepEqual(levels(diamond).map((l) => l.map((n) => n.id).sort()), [['a'], ['b', 'c'], ['d', 'e']], 'levels');
  assert.equal(levelledMakespanMs(diamond), 1 + 5 + 9);
  assert.throws(() => topologicalNodes([{ id: 'x', deps: ['y'], ms: 0 }, { id: 'y', deps: ['x'], ms: 0 }]), /cycle/);
  // Every edge of the DAG is held exactly once: as a flow child or as a gate.
  for (const [dag, maxDepth] of [[diamond, 500], [chainDag(25), 10], [fanDag(7), 500]]) {
    const f = bullmqFlows(dag, maxDepth);
    const held = new Set(f.gates.map((g) => `${g.after}>${g.parent}`));
    const walk = (t) => t.children.forEach((c) => (held.add(`${c.id}>${t.id}`), walk(c)));
    f.roots.forEach(walk);
    const edges = dag.nodes.flatMap((n) => n.deps.map((d) => `${d}>${n.id}`));
    assert.deepEqual([...held].sort(), edges.sort(), `${dag.name}: flow edges`);
    for (const r of f.roots) assert.ok(flowDepth(r) <= maxDepth, `${dag.name}: depth`);
  }
  assert.equal(bullmqFlows(chainDag(25), 10).roots.length, 3);
  const q = queuePlan(diamond);
  assert.deepEqual(q.roots, ['a']);
  assert.deepEqual(q.next.get('a'), { direct: ['b', 'c'], counted: [] });
  assert.deepEqual(q.next.get('c'), { direct: ['e'], counted: ['d'] });
  assert.equal(q.counters.get('d'), 2);
  const mk = makefile(diamond, () => 'true');
  assert.match(mk, /^all: t3 t4$/m);
  assert.match(mk, /^t3: t1 t2$/m);
}
