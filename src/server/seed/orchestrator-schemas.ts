/** Request bodies of seed 003's routes, as documented, plus tutti's optional extensions (marked). */
import { z } from 'zod';
import { idSchema } from '../schemas/requests.js';

const capabilityName = z.string().min(1).max(64);
const record = z.record(z.string(), z.unknown());

export const orchestrateBody = z.strictObject({
  goal: z.string().trim().min(1, 'goal must not be empty').max(100_000),
  userId: z.string().max(200).optional(),
  chatId: z.string().max(200).optional(),
  initialContext: record.optional().describe('Added to every step’s prompt as JSON and kept in the run’s metadata.'),
  metadata: record.optional(),
  agent: z
    .strictObject({ id: idSchema.optional(), type: capabilityName.optional(), capabilities: z.array(capabilityName).max(64).optional() })
    .optional()
    .describe('tutti extension: run the goal as one step on this agent (no planning).'),
  steps: z
    .array(
      z.strictObject({
        id: idSchema.optional().describe('Default: step-<n>.'),
        title: z.string().min(1).max(500),
        prompt: z.string().max(1_000_000).optional().describe('Default: the title.'),
        agentType: capabilityName.optional(),
        requiredCapabilities: z.array(capabilityName).max(64).optional(),
        dependencies: z.array(idSchema).max(1000).optional(),
        input: z.unknown().optional(),
      }),
    )
    .min(1)
    .max(10_000)
    .optional()
    .describe('tutti extension: the plan’s steps. Default: the orchestrator’s planner splits the goal into steps (planner, researcher, coder, reviewer agents).'),
});
export type OrchestrateRequest = z.output<typeof orchestrateBody>;

const capability = z.union([
  capabilityName,
  z.object({ name: capabilityName, description: z.string().max(2000).optional(), domains: z.array(z.string().max(64)).max(64).optional(), tools: z.array(z.string().max(128)).max(128).optional() }),
]);

export const seedAgentBody = z.strictObject({
  id: idSchema,
  name: z.string().min(1).max(200),
  type: capabilityName,
  description: z.string().max(2000).optional(),
  capabilities: z.array(capability).max(64).default([]),
  priority: z.number().int().min(-1_000_000).max(1_000_000).optional(),
  status: z.enum(['active', 'busy', 'paused', 'offline', 'disabled']).optional(),
  currentLoad: z.number().int().min(0).optional().describe('tutti counts the load from running tasks: 0 (or the agent’s actual load) is accepted, anything else is refused.'),
  maxLoad: z.number().int().positive().max(1_000_000).nullable().optional().describe('Attempts at once (maxConcurrency).'),
  metadata: record.optional(),
  driver: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .describe('tutti extension: how the agent executes (llm, exec, claude, codex, gemini…). Default: `llm` with the server’s LLM endpoint (TUTTI_LLM_URL, TUTTI_LLM_MODEL); without one, its tasks fail with `no driver configured`.'),
  config: record.optional().describe('tutti extension: driver settings.'),
});
export type SeedAgentRequest = z.output<typeof seedAgentBody>;
