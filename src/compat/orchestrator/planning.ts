/**
 * Seed 003's goal → steps: given steps normalised, or the planner agent's draft through
 * `src/planner` (a durable planning run checked against the engine's agents), or — when no
 * planner agent can answer on the engine — the in-process keyword decomposition.
 */
import type { Engine } from '../../core/engine.js';
import { generatePlan } from '../../planner/index.js';
import { DETERMINISTIC_DRIVER, decomposeGoal } from './deterministic.js';
import type { OrchestrationLogger } from './logger.js';
import type { AgentInfo, PlanStep } from './types.js';

/** Steps as given (ids `step-<n>` by default, no agent type, no capabilities, no dependencies). */
export function normaliseSteps(steps: ReadonlyArray<Partial<PlanStep> & { title: string }>): PlanStep[] {
  return steps.map((s, i) => ({
    id: s.id ?? `step-${i + 1}`,
    title: s.title,
    agentType: s.agentType ?? null,
    requiredCapabilities: s.requiredCapabilities ?? [],
    dependencies: s.dependencies ?? [],
    ...(s.description ? { description: s.description } : {}),
    ...(s.agentId ? { agentId: s.agentId } : {}),
    ...(s.input !== undefined ? { input: s.input } : {}),
  }));
}

/**
 * The steps of a goal by the planner agent (a `planner` agent on the deterministic or llm
 * driver, on a running engine), else by {@link decomposeGoal} in process.
 * @param waitMs longest wait for the planning run, ms.
 * @throws PlannerError `ERR_PLANNER_FAILED`
 */
export async function planWithAgents(engine: Engine, logger: OrchestrationLogger, goal: string, sessionId: string, agents: readonly AgentInfo[], waitMs: number): Promise<PlanStep[]> {
  const planner = agents.find((a) => a.type === 'planner' && a.status !== 'disabled' && (a.driver === DETERMINISTIC_DRIVER || a.driver === 'llm'));
  if (!planner || engine.state !== 'running') {
    // No planning agent that can answer here (an adopted engine without the deterministic driver):
    // decompose in process, the same way the deterministic planner agent does.
    logger.debug('planner', 'Planning in process (no planner agent can answer on this engine)', { sessionId });
    return decomposeGoal(goal, agents.filter((a) => a.status === 'active').map((a) => ({ type: a.type, capabilities: a.capabilities.map((c) => c.name) })));
  }
  const generated = await generatePlan(engine, goal, { agent: { id: planner.id }, waitMs, maxCorrections: 2 });
  logger.info('planner', `Plan drafted by ${planner.id} (planning run ${generated.runId})`, { sessionId, agentId: planner.id, data: { planRunId: generated.runId, corrections: generated.corrections } });
  return generated.plan.tasks.map((t, i) => {
    const sel = typeof t.agent === 'string' ? { id: t.agent } : (t.agent ?? {});
    return {
      id: t.id ?? `step-${i + 1}`,
      title: t.title ?? t.id,
      agentType: sel.type ?? null,
      requiredCapabilities: sel.capabilities ?? [],
      dependencies: t.dependsOn ?? [],
      ...(t.prompt ? { description: t.prompt } : {}),
    };
  });
}
