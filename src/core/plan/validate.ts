/**
 * Semantic validation of a parsed plan, and normalisation into the tasks the store keeps:
 * defaults applied, selectors normalised, graph checked (duplicates, unknown dependencies,
 * cycles), every task matched with at least one agent able to run it.
 */
import { PlanValidationError, type PlanIssue } from '../errors.js';
import { structuralIssues, topologicalOrder } from './graph.js';
import { CODING_TASK_FIELDS, DEFAULT_APPROVAL_TTL_MS, DEFAULT_RETRY, type AgentDefinition, type AgentSelector, type AgentSelectorInput, type Plan, type TaskSpec } from './schema.js';

/** A task ready for the store: id, edges, priority and the spec with defaults applied. */
export interface PlannedTask {
  id: string;
  dependsOn: string[];
  priority: number;
  spec: TaskSpec;
}

/** A plan that passed every check. */
export interface ValidatedPlan {
  name: string;
  goal: string | null;
  priority: number;
  concurrency: number | null;
  /** ms; see {@link DEFAULT_APPROVAL_TTL_MS}. */
  approvalTtlMs: number;
  agents: AgentDefinition[];
  metadata: Record<string, unknown>;
  /** In plan order. */
  tasks: PlannedTask[];
}

/**
 * Answers whether some agent can run a task: null when one can, otherwise why none can.
 * The engine builds it from the agent registry, the plan's own agents and the drivers.
 */
export type AgentMatcher = (task: PlannedTask) => string | null;

export function normaliseSelector(s: AgentSelectorInput | undefined): AgentSelector | undefined {
  if (s === undefined) return undefined;
  if (typeof s === 'string') return { id: s };
  const out: AgentSelector = {};
  if (s.id !== undefined) out.id = s.id;
  if (s.type !== undefined) out.type = s.type;
  if (s.capabilities !== undefined && s.capabilities.length > 0) out.capabilities = [...new Set(s.capabilities)];
  return Object.keys(out).length ? out : undefined;
}

/** Applies plan defaults to each task. Pure; does not validate the graph. */
export function normalisePlan(plan: Plan): ValidatedPlan {
  const d = plan.defaults ?? {};
  const tasks = plan.tasks.map((t): PlannedTask => {
    const spec: TaskSpec = {
      title: t.title ?? t.id,
      retry: t.retry ?? d.retry ?? DEFAULT_RETRY,
      timeoutMs: t.timeoutMs !== undefined ? t.timeoutMs : d.timeoutMs ?? null,
      continueOnFailure: t.continueOnFailure ?? d.continueOnFailure ?? false,
    };
    const agent = normaliseSelector(t.agent ?? d.agent);
    if (agent) spec.agent = agent;
    if (t.command) spec.command = t.command;
    if (t.prompt !== undefined) spec.prompt = t.prompt;
    if (t.function !== undefined) spec.function = t.function;
    if (t.input !== undefined) spec.input = t.input;
    const env = d.env || t.env ? { ...d.env, ...t.env } : undefined;
    if (env) spec.env = env;
    if (t.cwd !== undefined) spec.cwd = t.cwd;
    for (const k of CODING_TASK_FIELDS) if (t[k] !== undefined) (spec as unknown as Record<string, unknown>)[k] = t[k];
    if (t.approval !== undefined) spec.approval = { message: (t.approval === true ? undefined : t.approval.message) ?? t.title ?? t.id };
    if (t.loop !== undefined) spec.loop = t.loop;
    if (t.memory !== undefined) spec.memory = t.memory;
    return { id: t.id, dependsOn: t.dependsOn, priority: t.priority ?? d.priority ?? 0, spec };
  });
  return {
    name: plan.name ?? plan.goal?.split('\n')[0]?.slice(0, 200) ?? tasks[0]?.spec.title ?? 'run',
    goal: plan.goal ?? null,
    priority: plan.priority,
    concurrency: plan.concurrency ?? null,
    approvalTtlMs: plan.approvalTtlMs ?? DEFAULT_APPROVAL_TTL_MS,
    agents: plan.agents,
    metadata: plan.metadata,
    tasks,
  };
}

/**
 * Checks a normalised plan. All problems are collected, then thrown together.
 * @param matcher when given, every task must have an agent able to run it (`ERR_NO_CAPABLE_AGENT`).
 * @throws PlanValidationError with codes `ERR_DUPLICATE_TASK`, `ERR_UNKNOWN_DEPENDENCY`, `ERR_CYCLE`,
 *   `ERR_NO_CAPABLE_AGENT`, `ERR_INVALID_PLAN`.
 */
export function checkPlan(plan: ValidatedPlan, matcher?: AgentMatcher): void {
  const issues: PlanIssue[] = structuralIssues(plan.tasks);
  plan.tasks.forEach((t, i) => {
    const kinds = [t.spec.command, t.spec.function].filter((x) => x !== undefined).length;
    if (kinds > 1) issues.push({ code: 'ERR_INVALID_PLAN', path: `tasks[${i}]`, message: `task '${t.id}' sets both "command" and "function"; choose one`, tasks: [t.id] });
  });
  const agentIds = new Set<string>();
  plan.agents.forEach((a, i) => {
    if (agentIds.has(a.id)) issues.push({ code: 'ERR_INVALID_PLAN', path: `agents[${i}].id`, message: `duplicate agent id '${a.id}'` });
    agentIds.add(a.id);
  });
  plan.tasks.forEach((t, i) => {
    if (t.spec.approval && (t.spec.command || t.spec.function !== undefined)) {
      issues.push({ code: 'ERR_INVALID_PLAN', path: `tasks[${i}].approval`, message: `approval task '${t.id}' waits for a person: it cannot also have a command or function`, tasks: [t.id] });
    }
  });
  if (issues.length === 0) {
    for (const [i, t] of plan.tasks.entries()) {
      if (t.spec.loop && !ancestorsOf(plan.tasks, t.id).has(t.spec.loop.rewindTo)) {
        issues.push({ code: 'ERR_INVALID_PLAN', path: `tasks[${i}].loop.rewindTo`, message: `task '${t.id}' loops back to '${t.spec.loop.rewindTo}', which is not one of the tasks it depends on (directly or not)`, tasks: [t.id, t.spec.loop.rewindTo] });
      }
    }
  }
  if (issues.length === 0) {
    const topo = topologicalOrder(plan.tasks);
    if (topo.cycle) {
      issues.push({ code: 'ERR_CYCLE', path: 'tasks', message: `dependency cycle: ${[...topo.cycle, topo.cycle[0]].join(' → ')}`, tasks: topo.cycle });
    }
  }
  if (matcher) {
    plan.tasks.forEach((t, i) => {
      if (t.spec.approval) return; // a person decides; no agent needed
      const why = matcher(t);
      if (why !== null) issues.push({ code: 'ERR_NO_CAPABLE_AGENT', path: `tasks[${i}].agent`, message: `no agent can run task '${t.id}': ${why}`, tasks: [t.id] });
    });
  }
  if (issues.length) throw new PlanValidationError(issues);
}

/** `normalisePlan` then `checkPlan`. @throws PlanValidationError */
export function validatePlan(plan: Plan, matcher?: AgentMatcher): ValidatedPlan {
  const v = normalisePlan(plan);
  checkPlan(v, matcher);
  return v;
}

/** Every task `id` depends on, directly or not. Iterative. */
export function ancestorsOf(tasks: readonly PlannedTask[], id: string): Set<string> {
  const deps = new Map(tasks.map((t) => [t.id, t.dependsOn] as const));
  const seen = new Set<string>();
  const stack = [...(deps.get(id) ?? [])];
  while (stack.length) {
    const d = stack.pop()!;
    if (seen.has(d)) continue;
    seen.add(d);
    stack.push(...(deps.get(d) ?? []));
  }
  return seen;
}
