/**
 * Agent definitions → registry records: defaults filled from the driver, config checked by the
 * driver, and the built-in agents every engine offers (`shell`, `function`, `test`).
 */
import { TuttiError } from '../core/errors.js';
import { parseAgentDefinition } from '../core/plan/agents.js';
import type { AgentInput } from '../core/plan/schema.js';
import type { AgentUpsert } from '../store/types.js';
import type { DriverRegistry } from './types.js';

/**
 * Validates an agent definition against its driver.
 * @throws TuttiError `ERR_INVALID_INPUT` (bad fields or driver config), `ERR_UNKNOWN_DRIVER`.
 */
export function toAgentUpsert(input: AgentInput, drivers: DriverRegistry): AgentUpsert {
  const def = parseAgentDefinition(input);
  const driver = drivers.get(def.driver);
  if (!driver) {
    throw new TuttiError('ERR_UNKNOWN_DRIVER', `agent '${def.id}' uses unknown driver '${def.driver}' (known: ${drivers.names().join(', ')})`, {
      details: { agentId: def.id, driver: def.driver },
    });
  }
  try {
    driver.validateConfig?.(def.config);
  } catch (e) {
    throw new TuttiError('ERR_INVALID_INPUT', `agent '${def.id}': ${(e as Error).message}`, { details: { agentId: def.id } });
  }
  return {
    id: def.id,
    name: def.name ?? def.id,
    type: def.type ?? def.driver,
    driver: def.driver,
    capabilities: [...new Set(def.capabilities)],
    maxConcurrency: def.maxConcurrency === undefined ? driver.defaultMaxConcurrency : def.maxConcurrency,
    priority: def.priority,
    status: def.status,
    config: def.config,
  };
}

/**
 * The agents every engine registers unless told not to:
 * `shell` (exec driver, runs task commands), `function` (in-process functions), `test` (scripted, explicit only).
 */
export function builtinAgents(drivers: DriverRegistry, options: { shellConcurrency?: number | null } = {}): AgentUpsert[] {
  const defs: AgentInput[] = [
    { id: 'shell', name: 'Shell', driver: 'exec', capabilities: ['shell'], ...(options.shellConcurrency !== undefined ? { maxConcurrency: options.shellConcurrency } : {}) },
    { id: 'function', name: 'In-process functions', driver: 'function', capabilities: ['function'] },
    { id: 'test', name: 'Scripted test agent', driver: 'test', capabilities: ['test'] },
  ];
  return defs.filter((d) => drivers.get(d.driver)).map((d) => toAgentUpsert(d, drivers));
}
