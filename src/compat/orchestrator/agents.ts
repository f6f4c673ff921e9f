/** Seed agent definitions → tutti agent definitions. */
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
