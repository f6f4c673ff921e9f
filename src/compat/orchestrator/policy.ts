/**
 * Scheduling policies: a function that ranks the agents able to take a step, best first. The
 * seed's default ranks least loaded, then highest priority, then the most specialised (fewest
 * capabilities) — the engine's own order (`core/scheduler/select.ts`), so with the default policy
 * the engine picks the agent when the step becomes ready. A custom policy picks at orchestrate
 * time: the step is pinned to the agent it ranks first.
 */
import type { AgentInfo } from './types.js';

/** What a policy knows about the step being placed. */
export interface PolicyRequest {
  requiredCapabilities: readonly string[];
  agentType: string | null;
}

/** Ranks eligible agents best first (may drop some; an empty answer means none is acceptable). */
export type SchedulingPolicy = (candidates: readonly AgentInfo[], request: PolicyRequest) => AgentInfo[];

/** Seed 003's default: least loaded, then highest priority, then fewest capabilities (then id, for determinism). */
export const defaultPolicy: SchedulingPolicy = (candidates) =>
  [...candidates].sort(
    (a, b) =>
      a.currentLoad - b.currentLoad || b.priority - a.priority || a.capabilities.length - b.capabilities.length || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );

/** Prefers the highest priority, then the least loaded (a policy for "always use the best agent"). */
export const priorityFirstPolicy: SchedulingPolicy = (candidates) =>
  [...candidates].sort((a, b) => b.priority - a.priority || a.currentLoad - b.currentLoad || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

/** Whether an agent can take a step at all: active (or busy), of the type when one is asked, with every capability. */
export function isEligible(agent: AgentInfo, request: PolicyRequest): boolean {
  if (agent.status !== 'active' && agent.status !== 'busy') return false;
  if (request.agentType && agent.type !== request.agentType) return false;
  const names = new Set(agent.capabilities.map((c) => c.name));
  if (names.has('*')) return true;
  return request.requiredCapabilities.every((c) => names.has(c));
}

/** Whether an agent has room for one more task. */
export const hasCapacity = (a: AgentInfo): boolean => a.maxLoad === null || a.currentLoad < a.maxLoad;
