/**
 * Seed 003's agent registry, kept in the engine's store: which engine agents are the seed's
 * (registered through `registerAgent`, `POST /api/orchestrator/agents`, or as defaults) with
 * what the seed says about them beyond the engine record (description, capability objects,
 * metadata). It lives in the state store under one reserved scope, so every process on the store
 * (library, `tutti serve`, a restart) lists the same agents — and never tutti's internal
 * `shell`/`function`/`test` agents, farm agents or coding agents registered elsewhere.
 */
import type { StateStore } from '../../store/state-types.js';
import type { AgentInfo } from './types.js';

/** The state scope of the registry (a run id no run can have: it contains a space). */
export const REGISTRY_SCOPE = 'tutti orchestrator registry';
const PREFIX = 'agent:';

/** What the registry keeps of an agent. */
export interface SeedAgentDetails {
  description: string;
  capabilities: AgentInfo['capabilities'];
  metadata: Record<string, unknown>;
  /** Registered as one of the defaults (`initialize()` may replace it); false for an agent someone registered. */
  isDefault: boolean;
}

/** Records (or replaces) an agent's details. */
export async function saveSeedAgent(store: StateStore, id: string, details: SeedAgentDetails, now: number): Promise<void> {
  await store.applyState(REGISTRY_SCOPE, [{ op: 'set', key: `${PREFIX}${id}`, owner: '', type: 'shared', value: details, expiresAt: null }], now);
}

/** Forgets an agent. */
export async function removeSeedAgent(store: StateStore, id: string, now: number): Promise<void> {
  await store.applyState(REGISTRY_SCOPE, [{ op: 'delete', key: `${PREFIX}${id}`, owner: '' }], now);
}

/** Every registered agent's details, by agent id. */
export async function loadSeedAgents(store: StateStore, now: number): Promise<Map<string, SeedAgentDetails>> {
  const out = new Map<string, SeedAgentDetails>();
  const entries = await store.listState(REGISTRY_SCOPE, now, { prefix: PREFIX, owner: '', limit: 100_000 });
  for (const e of entries) out.set(e.key.slice(PREFIX.length), e.value as SeedAgentDetails);
  return out;
}
