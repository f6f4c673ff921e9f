/**
 * Engine records → seed 003 shapes: a run is a session, its tasks are the plan's steps (jobs),
 * agents carry their load. Shared by the facade and the REST routes (`/api/orchestrator/*`).
 */
import type { AgentRecord } from '../../agents/types.js';
import { describeBlockedReason, type RunView, type TaskView } from '../../core/run-view.js';
import { CAPABILITY_CATALOGUE } from './capabilities.js';
import type { AgentInfo, BlockedStep, OrchestrationStatus, PlanStep, SessionStatus } from './types.js';

/** Seed session statuses for run statuses (`executing` is the seed's word for running). */
export const SESSION_STATUS: Readonly<Record<string, SessionStatus>> = {
  queued: 'planning',
  running: 'executing',
  awaiting_approval: 'awaiting_approval',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
  expired: 'expired',
};

/** Whether some steps may run at once (some dependency level holds more than one step). */
export function isParallelizable(steps: ReadonlyArray<{ id: string; dependencies?: readonly string[]; dependsOn?: readonly string[] }>): boolean {
  const byId = new Map(steps.map((s) => [s.id, s.dependencies ?? s.dependsOn ?? []]));
  const depth = new Map<string, number>();
  const depthOf = (id: string, seen: Set<string>): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (seen.has(id)) return 0;
    seen.add(id);
    const d = Math.max(-1, ...(byId.get(id) ?? []).map((p) => depthOf(p, seen))) + 1;
    depth.set(id, d);
    return d;
  };
  const perLevel = new Map<number, number>();
  for (const s of steps) {
    const d = depthOf(s.id, new Set());
    const n = (perLevel.get(d) ?? 0) + 1;
    if (n > 1) return true;
    perLevel.set(d, n);
  }
  return false;
}

/**
 * Why each unfinished step is not running. A pending step names the unfinished steps it waits on
 * and, for a pending one, the step at the root of the chain (`step-3 waits on step-2 (pending
 * behind step-1, which is blocked: no capable agent: …)`), so "stuck in pending" gets its cause.
 * Linear in the number of steps (roots are memoised).
 */
export function blockedSteps(tasks: readonly TaskView[]): BlockedStep[] {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const unfinished = (t: TaskView | undefined): t is TaskView => t !== undefined && ['pending', 'ready', 'blocked', 'running', 'awaiting_approval'].includes(t.status);
  const waits = (t: TaskView): TaskView[] =>
    t.blockedReason?.kind === 'dependencies' ? t.blockedReason.waitingOn.map((d) => byId.get(d)).filter(unfinished) : [];
  const stateOf = (t: TaskView): string => {
    if (t.status === 'running') return 'is running';
    const r = t.blockedReason;
    return r ? `is ${t.status}: ${describeBlockedReason(r)}` : `is ${t.status}`;
  };
  const roots = new Map<string, TaskView | 'cycle'>();
  const rootOf = (t: TaskView): TaskView | 'cycle' => {
    const path: TaskView[] = [];
    const onPath = new Set<string>();
    let cur: TaskView = t;
    let found: TaskView | 'cycle' | undefined;
    for (;;) {
      const known = roots.get(cur.id);
      if (known !== undefined) {
        found = known;
        break;
      }
      if (onPath.has(cur.id)) {
        found = 'cycle';
        break;
      }
      const next = waits(cur)[0];
      if (!next) {
        found = cur;
        break;
      }
      path.push(cur);
      onPath.add(cur.id);
      cur = next;
    }
    for (const p of path) roots.set(p.id, found);
    return found;
  };
  const out: BlockedStep[] = [];
  for (const t of tasks) {
    const r = t.blockedReason;
    if (!r || t.status === 'running') continue;
    if (r.kind !== 'dependencies') {
      out.push({ taskId: t.id, kind: r.kind, reason: `${t.id} ${stateOf(t)}` });
      continue;
    }
    const deps = waits(t);
    const described = deps.slice(0, 5).map((d) => {
      if (d.status !== 'pending') return `${d.id}, which ${stateOf(d)}`;
      const root = rootOf(d);
      return root === 'cycle' ? `${d.id} (pending in a dependency cycle)` : `${d.id} (pending behind ${root.id}, which ${stateOf(root)})`;
    });
    const more = deps.length > 5 ? ` and ${deps.length - 5} more` : '';
    out.push({ taskId: t.id, kind: r.kind, reason: deps.length ? `${t.id} waits on ${described.join('; ')}${more}` : `${t.id} waits on ${r.waitingOn.join(', ')}` });
  }
  return out;
}

/** Kinds of blocking that will not clear by waiting: reported in `errors` as well. */
const STUCK = /no capable agent|budget exhausted|dependency cycle/;


/** The session status of a run (seed 003's GET /sessions/:id). */
export function sessionStatusOf(view: RunView): OrchestrationStatus {
  const results: Record<string, unknown> = {};
  const errors: string[] = [];
  for (const t of view.tasks) {
    const last = t.attempts[t.attempts.length - 1];
    if (t.status === 'succeeded' && last) results[t.id] = last.output ?? last.summary ?? null;
    if (t.status === 'failed' && last?.error) errors.push(`${t.id}: ${last.error.message}`);
  }
  if (view.error && !errors.length) errors.push(view.error);
  const blocked = blockedSteps(view.tasks);
  for (const b of blocked) if (STUCK.test(b.reason)) errors.push(`${b.taskId}: blocked: ${b.reason}`);
  return {
    sessionId: view.id,
    status: SESSION_STATUS[view.status] ?? (view.status as SessionStatus),
    jobIds: view.tasks.map((t) => t.id),
    completedTasks: view.counts.succeeded,
    totalTasks: view.counts.total,
    results,
    errors,
    startTime: view.startedAt ?? view.createdAt,
    blocked,
  };
}

/** The seed's agent view of an engine agent (descriptions from the registration or the catalogue). */
export function agentInfoOf(a: AgentRecord, extra?: { description?: string; capabilities?: AgentInfo['capabilities']; metadata?: Record<string, unknown> }): AgentInfo {
  const known = new Map((extra?.capabilities ?? []).map((c) => [c.name, c]));
  return {
    id: a.id,
    name: a.name,
    type: a.type,
    description: extra?.description ?? '',
    capabilities: a.capabilities.map((name) => known.get(name) ?? { name, description: CAPABILITY_CATALOGUE[name]?.description ?? '', domains: [...(CAPABILITY_CATALOGUE[name]?.domains ?? [])], tools: [] }),
    priority: a.priority,
    status: a.status === 'active' ? (a.maxConcurrency !== null && a.running >= a.maxConcurrency ? 'busy' : 'active') : a.status === 'paused' ? 'paused' : 'disabled',
    currentLoad: a.running,
    maxLoad: a.maxConcurrency,
    metadata: extra?.metadata ?? {},
    driver: a.driver,
  };
}

/** Seed 003's `/stats`. */
export interface AgentStats {
  totalAgents: number;
  activeAgents: number;
  busyAgents: number;
  totalCapacity: number;
  usedCapacity: number;
  agentsByType: Record<string, number>;
}

export function agentStatsOf(agents: readonly AgentRecord[]): AgentStats {
  const agentsByType: Record<string, number> = {};
  for (const a of agents) agentsByType[a.type] = (agentsByType[a.type] ?? 0) + 1;
  return {
    totalAgents: agents.length,
    activeAgents: agents.filter((a) => a.status === 'active').length,
    busyAgents: agents.filter((a) => a.running > 0).length,
    totalCapacity: agents.reduce((n, a) => n + (a.status === 'disabled' ? 0 : (a.maxConcurrency ?? 0)), 0),
    usedCapacity: agents.reduce((n, a) => n + a.running, 0),
    agentsByType,
  };
}

/** Steps of a plan as the seed shows them. */
export function seedSteps(steps: readonly PlanStep[]): Array<Omit<PlanStep, 'description' | 'agentId' | 'input'>> {
  return steps.map((s) => ({ id: s.id, title: s.title, agentType: s.agentType, requiredCapabilities: s.requiredCapabilities, dependencies: s.dependencies }));
}
