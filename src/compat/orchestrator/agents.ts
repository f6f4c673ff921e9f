/** Seed agent definitions → tutti agent definitions; the fields seed 003 inputs may have; agents without a driver. */
import { NonRetryableError, TuttiError } from '../../core/errors.js';
import type { AgentInput } from '../../core/plan/schema.js';
import type { AgentCapability, AgentDefinition, AgentInfo } from './types.js';

/** The agent definition as a tutti agent. */
export function toAgentInput(def: AgentDefinition, driver: string, config: Record<string, unknown> | undefined): AgentInput {
  const status = def.status === undefined || def.status === 'active' || def.status === 'busy' ? 'active' : def.status === 'paused' ? 'paused' : 'disabled';
  return {
    id: def.id,
    name: def.name,
    type: def.type,
    driver: def.driver ?? driver,
    capabilities: def.capabilities.map((c) => (typeof c === 'string' ? c : c.name)),
    maxConcurrency: def.maxLoad === undefined ? 3 : def.maxLoad,
    priority: def.priority ?? 0,
    status,
    ...(def.config ? { config: def.config } : config ? { config } : {}),
  };
}

/** A capability as an object with every field. */
export const capObject = (c: AgentCapability | string): AgentInfo['capabilities'][number] =>
  typeof c === 'string' ? { name: c, description: '', domains: [], tools: [] } : { name: c.name, description: c.description ?? '', domains: c.domains ?? [], tools: c.tools ?? [] };

export const ORCHESTRATE_KEYS = new Set(['userId', 'chatId', 'initialContext', 'metadata', 'sessionId', 'steps']);
export const AGENT_KEYS = new Set(['id', 'name', 'type', 'description', 'capabilities', 'priority', 'status', 'currentLoad', 'maxLoad', 'metadata', 'driver', 'config']);
export const CAPABILITY_KEYS = new Set(['name', 'description', 'domains', 'tools']);

/** Seed 003 inputs name only known fields: a misspelt one is refused, never dropped. @throws TuttiError `ERR_INVALID_INPUT` */
export function unknownKeys(value: object, known: ReadonlySet<string>, where: string): void {
  const bad = Object.keys(value).filter((k) => !known.has(k));
  if (bad.length) throw new TuttiError('ERR_INVALID_INPUT', `${where}: unknown field${bad.length > 1 ? 's' : ''} ${bad.map((k) => `'${k}'`).join(', ')} (known: ${[...known].join(', ')})`, { details: { fields: bad } });
}

/** The function behind agents registered without a driver on an engine the orchestrator adopted and no LLM is configured for. */
export const NO_DRIVER_FUNCTION = 'tutti.orchestrator.no-driver';

/** Fails every task of an agent that has no driver: it never reports work it did not do. */
export function noDriver(ctx: { agent: { id: string } }): never {
  throw new NonRetryableError(
    `no driver configured for agent '${ctx.agent.id}': register it with a driver (POST /api/orchestrator/agents with "driver" and "config", e.g. "driver": "llm", "config": { "baseUrl", "model" }), or give tutti an LLM endpoint (tutti serve: TUTTI_LLM_URL and TUTTI_LLM_MODEL; the library: createOrchestrator({ llm }))`,
  );
}
