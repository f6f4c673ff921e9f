/**
 * WfCommons importer: a workflow execution trace (WfFormat 1.5, as in the WfInstances collection)
 * becomes a tutti plan whose tasks wait each task's recorded runtime × a time scale. This replays
 * real scientific DAGs against the engine (BENCHMARKS.md W4) without their programs.
 *
 * Pure: receives the parsed JSON; reading the file is the caller's business.
 */
import { z } from 'zod';
import { TuttiError } from '../errors.js';
import { criticalPath, topologicalOrder, type GraphNode } from './graph.js';
import { formatPath } from './parse.js';
import { ID_PATTERN, type PlanInput } from './schema.js';

/** How imported tasks wait: an in-process timer (`function` driver) or a `sleep` process (`exec` driver). */
export type WfCommonsDriver = 'function' | 'exec';

/** Options of {@link importWfCommons}. */
export interface WfCommonsImportOptions {
  /**
   * Each task waits `runtimeInSeconds × timeScale`. `0` measures the engine's pure overhead;
   * `1 / criticalPathSeconds` makes the ideal makespan one second.
   * @default 1
   */
  timeScale?: number;
  /**
   * `function`: each task runs the built-in `sleep` function with `{ ms }`.
   * `exec`: each task runs `['sleep', seconds]` as a process (seconds as a decimal string, ms precision).
   * @default 'function'
   */
  driver?: WfCommonsDriver;
  /** The plan's (and so the run's) name. @default the trace's `name` */
  name?: string;
}

/** Figures of the imported DAG, in trace seconds (before `timeScale`). */
export interface WfCommonsStats {
  /** Tasks in the plan. */
  tasks: number;
  /** Distinct dependency edges (listed as a parent, a child, or both). */
  edges: number;
  /** Longest runtime-weighted path, seconds: the makespan lower bound with unlimited workers. */
  criticalPathSeconds: number;
  /** Sum of every task's runtime, seconds. */
  totalWorkSeconds: number;
  /** Plan task ids along the critical path, first to last. */
  criticalPathTasks: string[];
}

/** What {@link importWfCommons} returns: a plan for `engine.run` and the DAG's figures. */
export interface WfCommonsImport {
  plan: PlanInput;
  stats: WfCommonsStats;
}

/** Agent ids the imported plans declare, one per driver. */
export const WFCOMMONS_AGENT_IDS: Readonly<Record<WfCommonsDriver, string>> = { function: 'wfcommons-function', exec: 'wfcommons-exec' };

/** Longest wait a task may get, ms: Node timers fire at once past 2^31 - 1 ms. */
const MAX_SLEEP_MS = 2 ** 31 - 1;
const MAX_TITLE = 500;
const MAX_NAME = 200;
const MAX_ID = 128;

// Lenient shapes: unknown fields (files, machines, command, avgCPU…) are ignored.
const refsSchema = z.array(z.string()).default([]);
const runtimeSchema = z.number().optional();

const specTaskSchema = z.object({ id: z.string().min(1), name: z.string().optional(), parents: refsSchema, children: refsSchema });
const execTaskSchema = z.object({ id: z.string().min(1), runtimeInSeconds: runtimeSchema });
/** Before WfFormat 1.5 a task carried its runtime inline (`runtimeInSeconds`, or `runtime` in 1.0–1.2 `jobs`). */
const legacyTaskSchema = z.object({
  id: z.string().min(1).optional(),
  name: z.string().min(1),
  parents: refsSchema,
  children: refsSchema,
  runtimeInSeconds: runtimeSchema,
  runtime: runtimeSchema,
});

const traceSchema = z.object({
  name: z.string().optional(),
  schemaVersion: z.union([z.string(), z.number()]).transform(String).optional(),
  workflow: z.object({
    specification: z.object({ tasks: z.array(specTaskSchema).optional() }).optional(),
    execution: z.object({ tasks: z.array(execTaskSchema).optional(), makespanInSeconds: z.number().optional() }).optional(),
    tasks: z.array(legacyTaskSchema).optional(),
    jobs: z.array(legacyTaskSchema).optional(),
    makespanInSeconds: z.number().optional(),
    makespan: z.number().optional(),
  }),
});
type Trace = z.output<typeof traceSchema>;

/** A task as read from the trace, before ids are sanitised. */
interface RawTask {
  key: string;
  name: string | undefined;
  parents: string[];
  children: string[];
  runtime: number | undefined;
  /** JSON path of the task in the trace, for messages. */
  path: string;
}

function importError(message: string, details?: Record<string, unknown>): TuttiError {
  return new TuttiError('ERR_IMPORT', `cannot import the WfCommons trace: ${message}`, details ? { details } : undefined);
}

/**
 * Imports a WfCommons workflow execution trace as a plan.
 *
 * Dependencies are the union of the trace's `parents` and `children` lists (an edge written on one
 * side only still counts; how many were is kept in `metadata.wfcommons.oneSidedEdges`). Task ids keep
 * the trace's ids, with characters outside `[A-Za-z0-9._:-]` replaced by `_` (and a suffix where that
 * would collide); the renamed ones are listed in `metadata.wfcommons.renamedIds`. Titles are the task
 * names. Every task selects the plan's one agent (`wfcommons-function` or `wfcommons-exec`, unlimited
 * concurrency); the plan sets no run concurrency limit.
 *
 * Accepts WfFormat 1.5 (`workflow.specification.tasks` joined by id with `workflow.execution.tasks`)
 * and older traces whose `workflow.tasks` (or `workflow.jobs`) carry `runtimeInSeconds` (or `runtime`)
 * inline, where parents may be named by id or by name.
 *
 * @param trace the parsed JSON of the trace file.
 * @param options time scale, driver and name.
 * @returns the plan (pass it to `engine.run`) and the DAG's figures in trace seconds.
 * @throws TuttiError `ERR_IMPORT` naming the problem: a malformed trace, no tasks, a duplicate id, a
 *   task without runtime, a negative runtime, an unknown parent or child, a cycle, a bad time scale
 *   or driver, or a wait longer than a timer allows.
 * @example
 * const { plan, stats } = importWfCommons(JSON.parse(text), { timeScale: 1 / 60 });
 * const view = await engine.run(plan); // ideally lasts stats.criticalPathSeconds / 60 s
 */
export function importWfCommons(trace: unknown, options: WfCommonsImportOptions = {}): WfCommonsImport {
  const timeScale = options.timeScale ?? 1;
  if (typeof timeScale !== 'number' || !Number.isFinite(timeScale) || timeScale < 0) {
    throw importError(`timeScale must be a finite number ≥ 0, got ${String(timeScale)}`);
  }
  const driver = options.driver ?? 'function';
  if (driver !== 'function' && driver !== 'exec') throw importError(`driver must be 'function' or 'exec', got '${String(driver)}'`);

  const parsed = parseTrace(trace);
  const raw = readTasks(parsed);
  const { keys, parentsOf, edges, oneSided } = buildEdges(raw, parsed);

  const ids = sanitiseIds(keys);
  const idOf = (key: string) => ids.get(key)!;
  const nodes: GraphNode[] = raw.map((t) => ({ id: idOf(t.key), dependsOn: parentsOf.get(t.key)!.map(idOf) }));
  const topo = topologicalOrder(nodes);
  if (topo.cycle) throw importError(`the dependencies form a cycle: ${[...topo.cycle, topo.cycle[0]].join(' → ')}`, { cycle: topo.cycle });

  const runtimeById = new Map(raw.map((t) => [idOf(t.key), t.runtime!] as const));
  const cp = criticalPath(nodes, (id) => runtimeById.get(id)!);
  const totalWorkSeconds = raw.reduce((sum, t) => sum + t.runtime!, 0);

  const agentId = WFCOMMONS_AGENT_IDS[driver];
  const tasks: PlanInput['tasks'] = raw.map((t, i) => {
    const node = nodes[i]!;
    const ms = Math.round(t.runtime! * timeScale * 1000);
    if (ms > MAX_SLEEP_MS) throw importError(`task '${t.key}' would wait ${ms} ms at timeScale ${timeScale}, more than the ${MAX_SLEEP_MS} ms a timer allows`);
    const title = (t.name ?? t.key).slice(0, MAX_TITLE);
    const work = driver === 'function' ? { function: 'sleep', input: { ms } } : { command: ['sleep', (ms / 1000).toFixed(3)] };
    return { id: node.id, title, agent: agentId, ...work, dependsOn: [...node.dependsOn] };
  });

  const stats: WfCommonsStats = {
    tasks: tasks.length,
    edges,
    criticalPathSeconds: cp.length,
    totalWorkSeconds,
    criticalPathTasks: cp.path,
  };
  const renamed = [...ids].filter(([key, id]) => key !== id);
  const makespan = parsed.workflow.execution?.makespanInSeconds ?? parsed.workflow.makespanInSeconds ?? parsed.workflow.makespan;
  const plan: PlanInput = {
    name: (options.name ?? parsed.name ?? 'wfcommons').slice(0, MAX_NAME),
    agents: [
      {
        id: agentId,
        name: `WfCommons replay (${driver})`,
        driver,
        maxConcurrency: null,
      },
    ],
    metadata: {
      wfcommons: {
        source: parsed.name ?? null,
        schemaVersion: parsed.schemaVersion ?? null,
        timeScale,
        driver,
        tasks: stats.tasks,
        edges: stats.edges,
        criticalPathSeconds: stats.criticalPathSeconds,
        criticalPathTasks: stats.criticalPathTasks,
        totalWorkSeconds: stats.totalWorkSeconds,
        ...(makespan !== undefined ? { originalMakespanSeconds: makespan } : {}),
        ...(oneSided > 0 ? { oneSidedEdges: oneSided } : {}),
        ...(renamed.length > 0 ? { renamedIds: Object.fromEntries(renamed.map(([key, id]) => [id, key])) } : {}),
      },
    },
    tasks,
  };
  return { plan, stats };
}

function parseTrace(trace: unknown): Trace {
  if (trace === null || typeof trace !== 'object' || Array.isArray(trace)) throw importError('a trace is a JSON object with a "workflow" field');
  const r = traceSchema.safeParse(trace);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
  const first = issues[0]!;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  throw importError(`${first.path || '(root)'}: ${first.message}${more}`, { issues });
}

/** The trace's tasks with their runtimes, from whichever layout the trace uses. */
function readTasks(trace: Trace): RawTask[] {
  const wf = trace.workflow;
  let raw: RawTask[];
  if (wf.specification?.tasks) {
    raw = wf.specification.tasks.map((t, i) => ({
      key: t.id,
      name: t.name,
      parents: t.parents,
      children: t.children,
      runtime: undefined,
      path: `workflow.specification.tasks[${i}]`,
    }));
    const byKey = checkUnique(raw);
    const joined = new Set<string>();
    (wf.execution?.tasks ?? []).forEach((e, i) => {
      const t = byKey.get(e.id);
      if (!t) throw importError(`workflow.execution.tasks[${i}]: task '${e.id}' is not defined in workflow.specification.tasks`, { task: e.id });
      if (joined.has(e.id)) throw importError(`workflow.execution.tasks[${i}]: task '${e.id}' is listed twice`, { task: e.id });
      joined.add(e.id);
      t.runtime = e.runtimeInSeconds;
      if (t.runtime === undefined) throw importError(`workflow.execution.tasks[${i}]: task '${e.id}' has no runtimeInSeconds`, { task: e.id });
    });
    for (const t of raw) {
      if (!joined.has(t.key)) throw importError(`${t.path}: task '${t.key}' has no entry in workflow.execution.tasks, so no runtime`, { task: t.key });
    }
  } else {
    const legacy = wf.tasks ?? wf.jobs;
    const where = wf.tasks ? 'workflow.tasks' : 'workflow.jobs';
    if (!legacy) throw importError('no tasks found: expected workflow.specification.tasks (WfFormat 1.5) or workflow.tasks (older formats)');
    raw = legacy.map((t, i) => ({
      key: t.id ?? t.name,
      name: t.name,
      parents: t.parents,
      children: t.children,
      runtime: t.runtimeInSeconds ?? t.runtime,
      path: `${where}[${i}]`,
    }));
    checkUnique(raw);
  }
  if (raw.length === 0) throw importError('the trace has no tasks');
  for (const t of raw) {
    if (t.runtime === undefined) throw importError(`${t.path}: task '${t.key}' has no runtimeInSeconds`, { task: t.key });
    if (t.runtime < 0) throw importError(`${t.path}: task '${t.key}' has a negative runtime (${t.runtime} s)`, { task: t.key });
  }
  return raw;
}

/** Tasks by id. @throws TuttiError `ERR_IMPORT` on a duplicate id. */
function checkUnique(raw: readonly RawTask[]): Map<string, RawTask> {
  const byKey = new Map<string, RawTask>();
  for (const t of raw) {
    const first = byKey.get(t.key);
    if (first) throw importError(`${t.path}: duplicate task id '${t.key}' (first at ${first.path})`, { task: t.key });
    byKey.set(t.key, t);
  }
  return byKey;
}

/** Resolves parents and children into one parent list per task (parents first, in trace order). */
function buildEdges(raw: readonly RawTask[], trace: Trace): { keys: string[]; parentsOf: Map<string, string[]>; edges: number; oneSided: number } {
  const keys = raw.map((t) => t.key);
  const byKey = new Set(keys);
  // Older formats name parents by task name; 1.5 by id only.
  const byName = new Map<string, string | null>();
  if (!trace.workflow.specification?.tasks) {
    for (const t of raw) if (t.name !== undefined && !byKey.has(t.name)) byName.set(t.name, byName.has(t.name) ? null : t.key);
  }
  const resolve = (ref: string, t: RawTask, side: 'parents' | 'children'): string => {
    if (byKey.has(ref)) return ref;
    const named = byName.get(ref);
    if (named) return named;
    const what = side === 'parents' ? 'parent' : 'child';
    throw importError(`${t.path}.${side}: task '${t.key}' names unknown ${what} '${ref}'`, { task: t.key, [what]: ref });
  };
  const fromParents = new Map<string, Set<string>>(keys.map((k) => [k, new Set()]));
  const fromChildren = new Map<string, Set<string>>(keys.map((k) => [k, new Set()]));
  for (const t of raw) {
    for (const p of t.parents) fromParents.get(t.key)!.add(resolve(p, t, 'parents'));
    for (const c of t.children) fromChildren.get(resolve(c, t, 'children'))!.add(t.key);
  }
  const parentsOf = new Map<string, string[]>();
  let edges = 0;
  let oneSided = 0;
  for (const t of raw) {
    const a = fromParents.get(t.key)!;
    const b = fromChildren.get(t.key)!;
    if (a.has(t.key) || b.has(t.key)) throw importError(`${t.path}: task '${t.key}' depends on itself`, { task: t.key });
    const all = new Set([...a, ...b]);
    for (const p of all) if (!a.has(p) || !b.has(p)) oneSided++;
    edges += all.size;
    parentsOf.set(t.key, [...all]);
  }
  return { keys, parentsOf, edges, oneSided };
}

/** Trace ids → plan ids: valid ids stay as they are; others get `_` for bad characters and a suffix if taken. */
function sanitiseIds(keys: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const k of keys) {
    if (ID_PATTERN.test(k)) {
      out.set(k, k);
      used.add(k);
    }
  }
  for (const k of keys) {
    if (out.has(k)) continue;
    let base = k.replace(/[^A-Za-z0-9._:-]/g, '_');
    if (!/^[A-Za-z0-9]/.test(base)) base = `t${base}`;
    base = base.slice(0, MAX_ID - 8);
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
    out.set(k, id);
    used.add(id);
  }
  return out;
}
