/**
 * Seed 003's library face refuses what it would otherwise drop: a misspelt option of
 * `orchestrate`, agent field, capability field, state write or session option is an
 * `ERR_INVALID_INPUT` naming it, and the seed registry survives a new orchestrator on the store.
 */
import { describe, expect, it } from 'vitest';
import { createOrchestrator } from '../../src/compat/orchestrator/index.js';
import { makeOrchestrator } from './orchestrator-helpers.js';

describe('seed 003: nothing silently ignored', () => {
  it('orchestrate options, agent and capability fields, state writes and session options', async () => {
    const o = makeOrchestrator();
    await expect(o.orchestrate('Write a blog post', { userID: 'u1' } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT', message: expect.stringContaining("unknown field 'userID'") });
    await expect(o.registerAgent({ id: 'a1', name: 'A', type: 'specialist', capabilities: [], maxload: 2 } as never)).rejects.toThrow(/agent 'a1': unknown field 'maxload'/);
    await expect(o.registerAgent({ id: 'a1', name: 'A', type: 'specialist', capabilities: [{ name: 'x', domain: ['y'] }] } as never)).rejects.toThrow(/capability 'x': unknown field 'domain'/);
    await expect(o.registerAgent({ id: 'a1', name: 'A', type: 'specialist', capabilities: [], currentLoad: 3 })).rejects.toThrow(/currentLoad: tutti counts/);
    await expect(o.stateManager.setState('s1', { key: 'k', value: 1, ttlMs: 5 } as never)).rejects.toThrow(/state write: unknown field 'ttlMs'/);
    await expect(o.stateManager.createSession('s1', { initial_state: {} } as never)).rejects.toThrow(/unknown field 'initial_state'/);
  });

  it('the agents registered, with their descriptions and metadata, are the seed registry of the store', async () => {
    const o = makeOrchestrator();
    await o.registerAgent({ id: 'scanner-1', name: 'Scanner', type: 'specialist', description: 'Scans code', capabilities: [{ name: 'security_analysis', domains: ['security'] }], metadata: { languages: ['go'] } });
    await o.close();
    const again = createOrchestrator({ dataDir: o.dataDir, engineOptions: { workDir: o.dataDir, pollMs: 20 } });
    try {
      const agents = await again.listAgents();
      expect(agents.find((a) => a.id === 'scanner-1')).toMatchObject({ description: 'Scans code', metadata: { languages: ['go'] }, capabilities: [{ name: 'security_analysis', domains: ['security'] }] });
      // tutti's own agents (shell, function, test) are not the seed's.
      expect(agents.map((a) => a.id)).not.toContain('shell');
    } finally {
      await again.close();
    }
  });
});
