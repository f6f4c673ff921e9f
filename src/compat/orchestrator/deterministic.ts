/**
 * The default planner and agents when no LLM is configured: deterministic, offline, documented in
 * docs/orchestrator.md. {@link decomposeGoal} turns a goal into seed-shaped steps by keywords
 * (plan → research → implement ∥ test → review, or plan → research → write → review; the
 * seed's trees); the
 * `deterministic` driver executes the seed agents' tasks: the planner agent answers the planning
 * run's draft with that plan (so goal → plan goes through `src/planner` and its check), and every
 * other step answers a structured result whose `context` enriches the session's shared context.
 */
import type { AgentDriver, AttemptResult } from '../../agents/types.js';
import type { PlanInput } from '../../core/plan/schema.js';
import type { Store } from '../../store/types.js';
import type { PlanStep } from './types.js';

/** Name of the driver. */
export const DETERMINISTIC_DRIVER = 'deterministic';

const RESEARCH = /\b(research|investigat|find|compar|explor|learn|stud|analy[sz]|survey|evaluat|best practice)/i;
const CODE = /\b(implement|build|code|coding|develop|fix|refactor|api|endpoint|function|app|application|script|program|feature|service|bug|authentication|database|server|cli)\b/i;
const DOC = /\b(blog|post|article|document|documentation|report|essay|email|presentation|summary|summari[sz]e|newsletter|guide|tutorial)\b/i;
const WRITE = /\b(write|draft|compose)\b/i;

/** The agent types and capabilities available, for choosing selectors that some agent satisfies. */
export interface AgentShape {
  type: string;
  capabilities: readonly string[];
}

/**
 * Splits a goal into steps (deterministic: the same goal and agents give the same plan).
 * Every step names an agent type and a capability that some given agent has, when one does.
 */
export function decomposeGoal(goal: string, agents: readonly AgentShape[] = []): PlanStep[] {
  const text = goal.trim();
  const subject = text.split('\n')[0]!.slice(0, 200);
  const code = CODE.test(text);
  const doc = DOC.test(text) || (WRITE.test(text) && !code);
  const steps: PlanStep[] = [];
  const add = (title: string, agentType: string, capability: string | null, dependencies: string[]): string => {
    const id = `step-${steps.length + 1}`;
    const fit = selectorFor(agents, agentType, capability);
    steps.push({ id, title, agentType: fit.agentType, requiredCapabilities: fit.capabilities, dependencies, description: `${title}.\n\nGoal: ${text}` });
    return id;
  };
  const plan = add(`Break down the goal: ${subject}`, 'planner', 'task_decomposition', []);
  // Research always comes before the work (the seed's "Build a REST API" tree researches best practices too).
  const before = [add(RESEARCH.test(text) ? `Research: ${subject}` : `Research best practices for ${subject}`, 'researcher', 'web_research', [plan])];
  let last: string[];
  if (code) {
    const impl = add('Implement the solution', 'coder', 'code_generation', before);
    const tests = add('Write the tests', 'coder', 'testing', before);
    last = [impl, tests];
    if (doc) last = [add('Write the documentation', 'coder', 'document_creation', last)];
  } else {
    last = [add(`Write ${/\b(blog post|article|report|email|presentation|guide|tutorial|summary)\b/i.exec(text)?.[1]?.toLowerCase() ?? 'the deliverable'}`, 'coder', 'document_creation', before)];
  }
  add('Review the result', 'reviewer', code ? 'code_review' : null, last);
  return steps;
}

/** The agent type and capabilities to ask for: what some agent has, else looser. */
function selectorFor(agents: readonly AgentShape[], type: string, capability: string | null): { agentType: string | null; capabilities: string[] } {
  const caps = capability ? [capability] : [];
  if (agents.length === 0) return { agentType: type, capabilities: caps };
  if (agents.some((a) => a.type === type && caps.every((c) => a.capabilities.includes(c)))) return { agentType: type, capabilities: caps };
  if (caps.length && agents.some((a) => caps.every((c) => a.capabilities.includes(c)))) return { agentType: null, capabilities: caps };
  if (agents.some((a) => a.type === type)) return { agentType: type, capabilities: [] };
  return { agentType: type, capabilities: caps };
}

/** Retry of a step: attempts in all, and the delay before the second, ms. */
export interface StepRetry {
  maxAttempts: number;
  initialBackoffMs: number;
}

/** Seed steps as engine tasks (prompt tasks selecting by type and capabilities). */
export function stepsToTasks(steps: readonly PlanStep[], retry?: StepRetry): PlanInput['tasks'] {
  const r = retry && retry.maxAttempts > 1 ? { retry: { maxAttempts: retry.maxAttempts, backoff: { initialMs: retry.initialBackoffMs } } } : {};
  return steps.map((s) => {
    const agent = s.agentId
      ? { id: s.agentId }
      : { ...(s.agentType ? { type: s.agentType } : {}), ...(s.requiredCapabilities.length ? { capabilities: s.requiredCapabilities } : {}) };
    return { id: s.id, title: s.title, prompt: s.description ?? s.title, ...(s.input !== undefined ? { input: s.input } : {}), ...(Object.keys(agent).length ? { agent } : {}), dependsOn: s.dependencies, ...r };
  });
}

/** What each agent type adds to the shared context (seed: planner → taskPlan, researcher → findings…). */
function contribution(type: string, title: string, received: Record<string, unknown>, plan: string[]): Record<string, unknown> {
  const list = (k: string): unknown[] => (Array.isArray(received[k]) ? (received[k] as unknown[]) : []);
  switch (type) {
    case 'planner':
      return { taskPlan: plan };
    case 'researcher':
      return { findings: [...list('findings'), `notes: ${title}`] };
    case 'coder':
      return { artifacts: [...list('artifacts'), title] };
    case 'reviewer':
      return { review: { approved: true, reviewed: list('artifacts') } };
    default:
      return { [`${type}Results`]: [...list(`${type}Results`), title] };
  }
}

/**
 * The `deterministic` driver. Takes prompt tasks. A planning run's draft (run metadata `planner`)
 * is answered with {@link decomposeGoal} of the run's goal; other tasks with
 * `{ summary, agent, step, receivedContext, context }`, where `receivedContext` lists the keys
 * of the shared context the step received (`TUTTI_CONTEXT`) and `context` is its contribution.
 */
export function createDeterministicDriver(storeOf: () => Store): AgentDriver {
  return {
    name: DETERMINISTIC_DRIVER,
    defaultMaxConcurrency: 3,
    accepts(task) {
      return typeof task.prompt === 'string' ? null : 'the deterministic driver takes prompt tasks';
    },
    async execute(ctx, signal): Promise<AttemptResult> {
      if (signal.aborted) return { status: 'cancelled' };
      const store = storeOf();
      const run = await store.getRun(ctx.runId);
      if (run?.metadata.planner === true) {
        const agents = await store.listAgents();
        const steps = decomposeGoal(run.goal ?? ctx.task.prompt ?? '', agents.filter((a) => a.status === 'active'));
        const plan = { name: (run.goal ?? 'plan').split('\n')[0]!.slice(0, 200), goal: run.goal, tasks: stepsToTasks(steps) };
        return { status: 'succeeded', output: plan, summary: `planned ${steps.length} steps` };
      }
      let received: Record<string, unknown> = {};
      try {
        const parsed = JSON.parse(ctx.env.TUTTI_CONTEXT ?? '{}') as unknown;
        if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) received = parsed as Record<string, unknown>;
      } catch {
        received = {};
      }
      const plan = (await store.listTasks(ctx.runId)).map((t) => t.spec.title ?? t.id);
      const title = ctx.task.title ?? ctx.taskId;
      const summary = `${ctx.agent.name}: ${title}`;
      return {
        status: 'succeeded',
        summary,
        output: { summary, agent: ctx.agent.id, step: ctx.taskId, receivedContext: Object.keys(received).sort(), context: contribution(ctx.agent.type, title, received, plan) },
      };
    },
  };
}
