/**
 * A layered layout of the plan's DAG: a task's column is the length of the longest dependency
 * chain before it; rows are assigned within a column in plan order, then nudged toward the
 * average row of the task's parents so edges stay short.
 */
export interface LayoutInput {
  id: string;
  dependsOn: string[];
}

export const NODE_WIDTH = 190;
export const NODE_HEIGHT = 64;
const GAP_X = 70;
const GAP_Y = 22;

/**
 * Each task's level (the length of the longest dependency chain before it) and a topological
 * order (plan order when the graph has a cycle).
 */
export function levelsOf(tasks: readonly LayoutInput[]): { depth: Map<string, number>; order: string[] } {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const depth = new Map<string, number>();
  // Iterative longest path (plans can be deep: no recursion).
  const order: string[] = [];
  const indeg = new Map<string, number>();
  const children = new Map<string, string[]>();
  for (const t of tasks) {
    indeg.set(t.id, t.dependsOn.filter((d) => byId.has(d)).length);
    for (const d of t.dependsOn) if (byId.has(d)) children.set(d, [...(children.get(d) ?? []), t.id]);
  }
  const queue = tasks.filter((t) => indeg.get(t.id) === 0).map((t) => t.id);
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    order.push(id);
    for (const c of children.get(id) ?? []) {
      depth.set(c, Math.max(depth.get(c) ?? 0, (depth.get(id) ?? 0) + 1));
      const n = (indeg.get(c) ?? 1) - 1;
      indeg.set(c, n);
      if (n === 0) queue.push(c);
    }
  }
  for (const t of tasks) if (!depth.has(t.id)) depth.set(t.id, 0);
  return { depth, order: order.length === tasks.length ? order : tasks.map((t) => t.id) };
}

export function layeredLayout(tasks: readonly LayoutInput[]): Map<string, { x: number; y: number }> {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const { depth, order } = levelsOf(tasks);
  const columns = new Map<number, string[]>();
  for (const id of order) {
    const d = depth.get(id)!;
    columns.set(d, [...(columns.get(d) ?? []), id]);
  }
  const row = new Map<string, number>();
  const positions = new Map<string, { x: number; y: number }>();
  for (const [d, ids] of [...columns.entries()].sort((a, b) => a[0] - b[0])) {
    const wanted = ids.map((id, i) => {
      const parents = (byId.get(id)?.dependsOn ?? []).filter((p) => row.has(p));
      return { id, want: parents.length ? parents.reduce((s, p) => s + row.get(p)!, 0) / parents.length : i };
    });
    wanted.sort((a, b) => a.want - b.want);
    let next = 0;
    for (const w of wanted) {
      const r = Math.max(next, Math.round(w.want));
      row.set(w.id, r);
      next = r + 1;
      positions.set(w.id, { x: d * (NODE_WIDTH + GAP_X), y: r * (NODE_HEIGHT + GAP_Y) });
    }
  }
  return positions;
}
