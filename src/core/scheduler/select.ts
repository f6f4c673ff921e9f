/**
 * Agent selection (ARCHITECTURE.md §6): among active agents that match the task's selector and
 * whose driver accepts the task, those with free capacity; least loaded first, then highest
 * priority, then the most specialised (fewest capabilities). A retry prefers an agent that has not
 * failed the task. Pure functions: the store calls {@link chooseAssignments} inside its claim
 * transaction.
 */
import type { AgentRecord } from '../../agents/types.js';
import type { BlockedReason } from '../model.js';
import type { AgentSelector, TaskSpec } from '../plan/schema.js';

/** Whether an agent's driver accepts a task; null if yes, else the reason. */
export type AcceptsFn = (task: TaskSpec, agent: AgentRecord, explicit: boolean) => string | null;

/** An agent capability that stands for every capability (a generalist agent). */
export const ANY_CAPABILITY = '*';

/** Agents matching a selector (status aside). An agent with capability `*` has every capability. */
export function matchesSelector(agent: Pick<AgentRecord, 'id' | 'type' | 'capabilities'>, selector: AgentSelector | undefined): boolean {
  if (!selector) return true;
  if (selector.id !== undefined && agent.id !== selector.id) return false;
  if (selector.type !== undefined && agent.type !== selector.type) return false;
  if (selector.capabilities && !agent.capabilities.includes(ANY_CAPABILITY)) {
    for (const c of selector.capabilities) if (!agent.capabilities.includes(c)) return false;
  }
  return true;
}

/** True when the task names its agent by id or type (drivers like `test` only take such work). */
export function isExplicit(selector: AgentSelector | undefined): boolean {
  return selector?.id !== undefined || selector?.type !== undefined;
}

/**
 * The agents able to run a task at all (active, matching, accepted by the driver), or why none is.
 * @param runId the task's run: agents that belong to another run never qualify (undefined: no run-scoped agent does).
 */
export function capableAgents(task: TaskSpec, agents: readonly AgentRecord[], accepts: AcceptsFn, runId?: string): { agents: AgentRecord[]; reason: string | null } {
  const explicit = isExplicit(task.agent);
  const out: AgentRecord[] = [];
  let lastRefusal: string | null = null;
  let matched = 0;
  for (const a of agents) {
    if (a.runId && a.runId !== runId) continue;
    if (!matchesSelector(a, task.agent)) continue;
    matched++;
    if (a.status !== 'active') {
      lastRefusal = `agent '${a.id}' is ${a.status}`;
      continue;
    }
    const why = accepts(task, a, explicit);
    if (why !== null) {
      lastRefusal = `agent '${a.id}': ${why}`;
      continue;
    }
    out.push(a);
  }
  if (out.length) return { agents: out, reason: null };
  if (matched === 0) return { agents: out, reason: describeNoMatch(task.agent) };
  return { agents: out, reason: lastRefusal ?? 'no matching agent accepts it' };
}

function describeNoMatch(s: AgentSelector | undefined): string {
  if (!s) return 'no agent is registered';
  const parts: string[] = [];
  if (s.id !== undefined) parts.push(`id '${s.id}'`);
  if (s.type !== undefined) parts.push(`type '${s.type}'`);
  if (s.capabilities) parts.push(`capabilities [${s.capabilities.join(', ')}]`);
  return `no registered agent has ${parts.join(' and ')}`;
}

function hasRoom(a: AgentRecord): boolean {
  return a.maxConcurrency === null || a.running < a.maxConcurrency;
}

/** How specialised an agent is: its number of capabilities, a generalist (`*`) counting as the least specialised. */
function breadth(a: AgentRecord): number {
  return a.capabilities.includes(ANY_CAPABILITY) ? Number.MAX_SAFE_INTEGER : a.capabilities.length;
}

/** Orders agents best first: least loaded, highest priority, fewest capabilities, then id. */
export function compareAgents(a: AgentRecord, b: AgentRecord): number {
  return a.running - b.running || b.priority - a.priority || breadth(a) - breadth(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Picks the agent for a task, given current loads.
 * @returns the agent, or the reason the task cannot start now.
 */
export function chooseAgent(
  task: TaskSpec,
  failedAgents: readonly string[],
  agents: readonly AgentRecord[],
  accepts: AcceptsFn,
  runId?: string,
): { agent: AgentRecord; reason?: undefined } | { agent?: undefined; reason: BlockedReason } {
  const capable = capableAgents(task, agents, accepts, runId);
  if (capable.agents.length === 0) return { reason: { kind: 'no_capable_agent', message: capable.reason ?? 'no capable agent' } };
  let best: AgentRecord | undefined;
  let bestFresh = false;
  for (const a of capable.agents) {
    if (!hasRoom(a)) continue;
    const fresh = !failedAgents.includes(a.id);
    if (!best || (fresh && !bestFresh) || (fresh === bestFresh && compareAgents(a, best) < 0)) {
      best = a;
      bestFresh = fresh;
    }
  }
  if (!best) return { reason: { kind: 'agent_capacity', agents: capable.agents.map((a) => a.id) } };
  return { agent: best };
}

/** A ready task offered to the chooser, in dispatch order (run priority, task priority, age). */
export interface ClaimCandidate {
  runId: string;
  taskId: string;
  spec: TaskSpec;
  failedAgents: string[];
}

/** Running attempts and the limit of each run among the candidates. */
export interface RunLoad {
  running: number;
  maxConcurrency: number | null;
}

export interface ClaimInput {
  candidates: readonly ClaimCandidate[];
  /** All registered agents with their current loads; the chooser updates `running` on its copies. */
  agents: readonly AgentRecord[];
  runs: ReadonlyMap<string, RunLoad>;
  /** Attempts that may still start (global limit left). */
  slots: number;
}

export interface ClaimDecision {
  assignments: Array<{ runId: string; taskId: string; agentId: string }>;
  /** Tasks that no agent can run at all: the store marks them `blocked`. */
  blocked: Array<{ runId: string; taskId: string; reason: BlockedReason }>;
}

/** The function a store calls inside its claim transaction. */
export type Chooser = (input: ClaimInput) => ClaimDecision;

/** Builds the default chooser over the drivers' `accepts`. */
export function createChooser(accepts: AcceptsFn): Chooser {
  return (input) => chooseAssignments(input, accepts);
}

/**
 * What decides whether agents can take a task: its selector and the kind of input. Tasks of one
 * class compete for the same agents, so once one finds them all busy the others need not look.
 */
function capacityClass(spec: TaskSpec, runId: string): string {
  return JSON.stringify([spec.agent ?? null, spec.command ? 1 : 0, spec.function ?? null, spec.prompt !== undefined, runId]);
}

/** Assigns agents to candidates in order until slots run out; loads are updated as it goes. */
export function chooseAssignments(input: ClaimInput, accepts: AcceptsFn): ClaimDecision {
  const agents = input.agents.map((a) => ({ ...a }));
  const runs = new Map<string, RunLoad>([...input.runs].map(([k, v]) => [k, { ...v }]));
  const decision: ClaimDecision = { assignments: [], blocked: [] };
  // Loads only grow during one claim: a class found at capacity stays so.
  const full = new Set<string>();
  let slots = input.slots;
  for (const c of input.candidates) {
    if (slots <= 0) break;
    const run = runs.get(c.runId);
    if (run && run.maxConcurrency !== null && run.running >= run.maxConcurrency) continue;
    const cls = input.candidates.length > 1 ? capacityClass(c.spec, c.runId) : '';
    if (full.has(cls)) continue;
    const choice = chooseAgent(c.spec, c.failedAgents, agents, accepts, c.runId);
    if (choice.agent) {
      choice.agent.running++;
      if (run) run.running++;
      slots--;
      decision.assignments.push({ runId: c.runId, taskId: c.taskId, agentId: choice.agent.id });
    } else if (choice.reason.kind === 'no_capable_agent') {
      decision.blocked.push({ runId: c.runId, taskId: c.taskId, reason: choice.reason });
    } else if (choice.reason.kind === 'agent_capacity') {
      full.add(cls);
    }
  }
  return decision;
}
