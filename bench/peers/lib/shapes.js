/**
 * The DAGs every system runs, in one neutral form, and the pure translations of a DAG into what a
 * peer needs: a Makefile, BullMQ flow trees (with gates for the edges a tree cannot hold), the
 * topological levels Mastra runs one `.parallel()` at a time, the successor and join-counter
 * tables the queue peers use. No I/O here (`node bench/peers/run.js --self-check` checks them).
 */

/**
 * @typedef {{ id: string, deps: string[], ms: number }} DagNode  ms: how long the node's work
 *   waits (0 = no-op); deps: the ids it waits for.
 * @typedef {{ name: string, nodes: DagNode[] }} Dag  nodes in a topological order.
 */

/** A chain n0 → n1 → … → n(N-1). @param {number} n @returns {Dag} */
export function chainDag(n) {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`a chain needs n ≥ 1, got ${n}`);
  return { name: `chain ${n}`, nodes: Array.from({ length: n }, (_, i) => ({ id: `n${i}`, deps: i ? [`n${i - 1}`] : [], ms: 0 })) };
}

/** n independent nodes, then `join` waiting for all of them (n + 1 nodes). @param {number} n @returns {Dag} */
export function fanDag(n) {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`a fan needs n ≥ 1, got ${n}`);
  const fan = Array.from({ length: n }, (_, i) => ({ id: `f${i}`, deps: [], ms: 0 }));
  return { name: `fan ${n} + join`, nodes: [...fan, { id: 'join', deps: fan.map((f) => f.id), ms: 0 }] };
}

/**
 * The DAG of a tutti plan made by `importWfCommons` (function driver): each task waits its
 * `input.ms`, as the tutti run of the same plan does.
 * @param {string} name
 * @param {{ tasks: Array<{ id: string, dependsOn?: string[], input?: { ms?: number } }> }} plan
 * @returns {Dag}
 */
export function dagFromPlan(name, plan) {
  const nodes = plan.tasks.map((t) => ({ id: t.id, deps: [...(t.dependsOn ?? [])], ms: t.input?.ms ?? 0 }));
  return { name, nodes: topologicalNodes(nodes) };
}

/**
 * The nodes in a topological order (Kahn; ties keep the given order).
 * @param {DagNode[]} nodes
 * @returns {DagNode[]}
 * @throws {Error} on an unknown dependency or a cycle
 */
export function topologicalNodes(nodes) {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const indegree = new Map(nodes.map((n) => [n.id, n.deps.length]));
  const succ = successors({ name: '', nodes });
  for (const n of nodes) for (const d of n.deps) if (!byId.has(d)) throw new Error(`node '${n.id}' depends on unknown '${d}'`);
  const out = [];
  const queue = nodes.filter((n) => n.deps.length === 0);
  for (let i = 0; i < queue.length; i++) {
    const n = queue[i];
    out.push(n);
    for (const s of succ.get(n.id) ?? []) {
      const left = indegree.get(s) - 1;
      indegree.set(s, left);
      if (left === 0) queue.push(byId.get(s));
    }
  }
  if (out.length !== nodes.length) throw new Error(`the DAG has a cycle (${nodes.length - out.length} nodes unreachable)`);
  return out;
}

/** id → ids that depend on it. @param {Dag} dag @returns {Map<string, string[]>} */
export function successors(dag) {
  const out = new Map(dag.nodes.map((n) => [n.id, []]));
  for (const n of dag.nodes) for (const d of n.deps) out.get(d)?.push(n.id);
  return out;
}

/**
 * Longest ms-weighted path: the makespan of the DAG with unlimited workers and zero overhead.
 * @param {Dag} dag @returns {number} ms
 */
export function criticalPathMs(dag) {
  const finish = new Map();
  let best = 0;
  for (const n of topologicalNodes(dag.nodes)) {
    const start = Math.max(0, ...n.deps.map((d) => finish.get(d)));
    finish.set(n.id, start + n.ms);
    best = Math.max(best, start + n.ms);
  }
  return best;
}

/**
 * Topological levels: level k holds the nodes whose longest chain of predecessors has k nodes.
 * Running the levels one after the other respects every dependency (what Mastra's
 * `.parallel()`/`.then()` can express).
 * @param {Dag} dag @returns {DagNode[][]}
 */
export function levels(dag) {
  const depth = new Map();
  const out = [];
  for (const n of topologicalNodes(dag.nodes)) {
    const d = n.deps.length ? Math.max(...n.deps.map((p) => depth.get(p))) + 1 : 0;
    depth.set(n.id, d);
    (out[d] ??= []).push(n);
  }
  return out;
}

/** Makespan of running {@link levels} one after the other with zero overhead. @param {Dag} dag */
export function levelledMakespanMs(dag) {
  return levels(dag).reduce((sum, level) => sum + Math.max(...level.map((n) => n.ms)), 0);
}

/**
 * A Makefile for GNU make: one `.PHONY` target per node (named `t<index>`: node ids may hold `:`),
 * prerequisites = its deps, recipe from `recipe(node)`; `all` depends on every sink. A recipe
 * without shell metacharacters is exec'd by make without /bin/sh.
 * @param {Dag} dag
 * @param {(node: DagNode) => string} recipe e.g. `() => 'true'`, `(n) => \`sleep ${n.ms / 1000}\``
 * @returns {string}
 */
export function makefile(dag, recipe) {
  const name = new Map(dag.nodes.map((n, i) => [n.id, `t${i}`]));
  const succ = successors(dag);
  const sinks = dag.nodes.filter((n) => succ.get(n.id).length === 0).map((n) => name.get(n.id));
  const lines = [`.PHONY: all ${[...name.values()].join(' ')}`, `all: ${sinks.join(' ')}`];
  for (const n of dag.nodes) {
    lines.push(`${name.get(n.id)}:${n.deps.map((d) => ` ${name.get(d)}`).join('')}`, `\t${recipe(n)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `sleep` seconds for a node's ms (make's recipe), ms precision. @param {DagNode} n */
export const sleepRecipe = (n) => (n.ms > 0 ? `sleep ${(n.ms / 1000).toFixed(3)}` : 'true');

/**
 * @typedef {{ id: string, gates: string[], children: FlowTree[] }} FlowTree  a BullMQ flow node:
 *   runs after its children (its DAG deps held by the tree) and its gates complete.
 * @typedef {{ id: string, node: string, parent: string, after: string }} Gate  a job under
 *   `parent` (a DAG node) that `after`'s worker promotes when `after` completes: the edge
 *   after → parent that the tree could not hold.
 * @typedef {{ roots: FlowTree[], gates: Gate[], gatesAfter: Map<string, string[]> }} Flows
 */

/**
 * BullMQ flows are trees: a parent job runs when its children have completed, and a job has at
 * most one parent. A DAG becomes a forest of flows: each node is the flow child of one of its
 * successors (the first whose tree is not yet `maxDepth` deep), so fan-in, chains and joins are
 * plain flows; every other edge u → v is a gate, a delayed child job of v that u's worker
 * promotes when it completes (BullMQ's "the processor adds what must follow" pattern, set up
 * front so v cannot start early). The roots are the sinks and the nodes cut off by `maxDepth`:
 * BullMQ adds a flow recursively and overflows the stack on a chain of 10,000 in one tree, so a
 * chain of N is ⌈N / maxDepth⌉ nested flows linked by gates; a fan + join is one parent with N
 * children.
 * @param {Dag} dag nodes in a topological order
 * @param {number} [maxDepth] deepest tree allowed (a chain of maxDepth is one flow)
 * @returns {Flows}
 */
export function bullmqFlows(dag, maxDepth = 500) {
  const succ = successors(dag);
  /** @type {Map<string, FlowTree>} */
  const trees = new Map(dag.nodes.map((n) => [n.id, { id: n.id, gates: [], children: [] }]));
  /** @type {Map<string, number>} depth of each node in its tree (a root: 1) */
  const depth = new Map();
  /** @type {Gate[]} */
  const gates = [];
  const gatesAfter = new Map();
  const roots = [];
  for (let i = dag.nodes.length - 1; i >= 0; i--) {
    const n = dag.nodes[i];
    const out = succ.get(n.id);
    const treeParent = out.find((s) => depth.get(s) < maxDepth);
    if (treeParent === undefined) {
      depth.set(n.id, 1);
      roots.push(trees.get(n.id));
    } else {
      depth.set(n.id, depth.get(treeParent) + 1);
      trees.get(treeParent).children.push(trees.get(n.id));
    }
    for (const v of out) {
      if (v === treeParent) continue;
      const gate = { id: `g${gates.length}`, node: n.id, parent: v, after: n.id };
      gates.push(gate);
      trees.get(v).gates.push(gate.id);
      gatesAfter.set(n.id, [...(gatesAfter.get(n.id) ?? []), gate.id]);
    }
  }
  return { roots: roots.reverse(), gates, gatesAfter };
}

/** Depth of a flow tree (a chain of N: N). Iterative: chains are 10,000 deep. @param {FlowTree} root */
export function flowDepth(root) {
  let max = 0;
  const stack = [[root, 1]];
  while (stack.length) {
    const [t, d] = stack.pop();
    max = Math.max(max, d);
    for (const c of t.children) stack.push([c, d + 1]);
  }
  return max;
}

/**
 * What the queue peers (graphile-worker, pg-boss) do when a node completes: enqueue each successor
 * with one dependency directly, and decrement the join counter of each successor with several
 * (enqueued by whoever brings it to 0).
 * @param {Dag} dag
 * @returns {{ roots: string[], next: Map<string, { direct: string[], counted: string[] }>, counters: Map<string, number> }}
 */
export function queuePlan(dag) {
  const byId = new Map(dag.nodes.map((n) => [n.id, n]));
  const next = new Map();
  for (const [id, succ] of successors(dag)) {
    next.set(id, { direct: succ.filter((s) => byId.get(s).deps.length === 1), counted: succ.filter((s) => byId.get(s).deps.length > 1) });
  }
  const counters = new Map(dag.nodes.filter((n) => n.deps.length > 1).map((n) => [n.id, n.deps.length]));
  return { roots: dag.nodes.filter((n) => n.deps.length === 0).map((n) => n.id), next, counters };
}
