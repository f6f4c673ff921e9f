/**
 * Graph checks over task ids and their `dependsOn` edges: duplicates, unknown dependencies,
 * cycles (with the tasks of one cycle named), topological order, critical path.
 * Iterative throughout: a 100,000-task chain must not overflow the stack.
 */
import type { PlanIssue } from '../errors.js';

export interface GraphNode {
  id: string;
  dependsOn: readonly string[];
}

/** Duplicate ids and unknown or self dependencies. */
export function structuralIssues(nodes: readonly GraphNode[]): PlanIssue[] {
  const issues: PlanIssue[] = [];
  const seen = new Map<string, number>();
  nodes.forEach((n, i) => {
    const first = seen.get(n.id);
    if (first !== undefined) {
      issues.push({ code: 'ERR_DUPLICATE_TASK', path: `tasks[${i}].id`, message: `duplicate task id '${n.id}' (first at tasks[${first}])`, tasks: [n.id] });
    } else seen.set(n.id, i);
  });
  nodes.forEach((n, i) => {
    const local = new Set<string>();
    n.dependsOn.forEach((d, j) => {
      if (d === n.id) {
        issues.push({ code: 'ERR_CYCLE', path: `tasks[${i}].dependsOn[${j}]`, message: `task '${n.id}' depends on itself`, tasks: [n.id] });
      } else if (!seen.has(d)) {
        issues.push({ code: 'ERR_UNKNOWN_DEPENDENCY', path: `tasks[${i}].dependsOn[${j}]`, message: `task '${n.id}' depends on unknown task '${d}'`, tasks: [n.id, d] });
      } else if (local.has(d)) {
        issues.push({ code: 'ERR_INVALID_PLAN', path: `tasks[${i}].dependsOn[${j}]`, message: `task '${n.id}' lists dependency '${d}' twice`, tasks: [n.id, d] });
      }
      local.add(d);
    });
  });
  return issues;
}

/**
 * Kahn's algorithm. Returns the ids in a topological order, or the tasks of one cycle.
 * Assumes ids are unique and dependencies known (see {@link structuralIssues}).
 */
export function topologicalOrder(nodes: readonly GraphNode[]): { order: string[]; cycle: null } | { order: null; cycle: string[] } {
  const indegree = new Map<string, number>();
  const children = new Map<string, string[]>();
  for (const n of nodes) {
    indegree.set(n.id, n.dependsOn.length);
    for (const d of n.dependsOn) {
      let list = children.get(d);
      if (!list) children.set(d, (list = []));
      list.push(n.id);
    }
  }
  const queue: string[] = [];
  for (const n of nodes) if (n.dependsOn.length === 0) queue.push(n.id);
  const order: string[] = [];
  for (let head = 0; head < queue.length; head++) {
    const id = queue[head]!;
    order.push(id);
    for (const c of children.get(id) ?? []) {
      const left = indegree.get(c)! - 1;
      indegree.set(c, left);
      if (left === 0) queue.push(c);
    }
  }
  if (order.length === nodes.length) return { order, cycle: null };
  return { order: null, cycle: findCycle(nodes, new Set([...indegree].filter(([, d]) => d > 0).map(([id]) => id))) };
}

/** Walks dependencies from a node left over by Kahn's algorithm until a node repeats. */
function findCycle(nodes: readonly GraphNode[], remaining: Set<string>): string[] {
  const deps = new Map(nodes.map((n) => [n.id, n.dependsOn] as const));
  const start = remaining.values().next().value as string;
  const position = new Map<string, number>();
  const path: string[] = [];
  let current = start;
  while (!position.has(current)) {
    position.set(current, path.length);
    path.push(current);
    // Every remaining node has at least one remaining dependency.
    current = (deps.get(current) ?? []).find((d) => remaining.has(d))!;
  }
  // path[i] depends on path[i+1]; report the cycle in execution order (dependency first).
  return path.slice(position.get(current)).reverse();
}

/**
 * The longest weighted path through the DAG (the makespan lower bound with unlimited workers).
 * @param weight per-task duration, in any unit; the result is in that unit.
 */
export function criticalPath(nodes: readonly GraphNode[], weight: (id: string) => number): { length: number; path: string[] } {
  const result = topologicalOrder(nodes);
  if (!result.order) throw new Error(`cycle: ${result.cycle.join(' → ')}`);
  const byId = new Map(nodes.map((n) => [n.id, n] as const));
  const finish = new Map<string, number>();
  const via = new Map<string, string | null>();
  for (const id of result.order) {
    let best = 0;
    let from: string | null = null;
    for (const d of byId.get(id)!.dependsOn) {
      const f = finish.get(d)!;
      if (from === null || f > best) {
        best = f;
        from = d;
      }
    }
    finish.set(id, best + weight(id));
    via.set(id, from);
  }
  let end: string | null = null;
  let length = 0;
  for (const [id, f] of finish) {
    if (end === null || f > length) {
      end = id;
      length = f;
    }
  }
  const path: string[] = [];
  for (let id = end; id !== null; id = via.get(id) ?? null) path.push(id);
  return { length, path: path.reverse() };
}
