/**
 * Seed 000's generic orchestration client: a stable input/output shape (task description, memory
 * seed, acceptance criteria, paths, provenance → runId, status, cancel) over an orchestrator.
 */
import { TuttiError } from '../../core/errors.js';
import { createTracked } from './current.js';
import { z } from 'zod';
import { errorMessage } from '../../core/errors.js';
import { issuesText } from './input.js';
import type { ClientRunStatus, OrchestrationClient, Orchestrator, OrchestratorConfig, RunStatus, StartRunInput } from './types.js';

const startRunSchema = z.strictObject({
  taskDescription: z.string(),
  cwd: z.string().optional(),
  memorySeed: z.array(z.strictObject({ key: z.string().optional(), value: z.unknown(), namespace: z.string().optional(), metadata: z.record(z.string(), z.unknown()).optional() })).optional(),
  acceptanceCriteria: z.array(z.string()).optional(),
  allowedPaths: z.array(z.string()).optional(),
  forbiddenPaths: z.array(z.string()).optional(),
  provenance: z.record(z.string(), z.unknown()).optional(),
  loopPolicy: z.unknown().optional(),
});

/** Options of {@link createOrchestrationClient} (the reference's `CreateOrchestrationClientOptions`): the orchestrator's config (that orchestrator becomes the free functions' one), or an orchestrator to use. */
export interface OrchestrationClientOptions {
  config?: OrchestratorConfig;
  orchestrator?: Orchestrator;
}

/** The client status of an orchestrator status: `pending` reads as queued, `awaiting_approval` as running, `expired` as failed. */
export function toClientStatus(runId: string, s: RunStatus): ClientRunStatus {
  const status: ClientRunStatus['status'] = s.phase === 'pending' ? 'queued' : s.phase === 'awaiting_approval' ? 'running' : s.phase === 'expired' ? 'failed' : s.phase;
  const out: ClientRunStatus = { runId, status, progress: s.progress, finished: s.finished ?? false };
  if (s.error) out.error = s.error;
  else if (s.phase === 'expired') out.error = 'the run expired waiting for approval';
  return out;
}

/**
 * Creates the generic client.
 * @example
 * const client = createOrchestrationClient({ config: { backend: 'test' } });
 * const { runId } = await client.startRun({ taskDescription: 'Implement feature X', acceptanceCriteria: ['Tests pass'] });
 * const status = await client.getStatus(runId); // { runId, status: 'queued' | 'running' | 'completed' …, progress }
 * await client.cancel(runId); // best-effort: { success: true }
 */
export function createOrchestrationClient(options: OrchestrationClientOptions = {}): OrchestrationClient {
  const orchestrator = options.orchestrator ?? createTracked(options.config ?? {});
  return {
    async startRun(input: StartRunInput) {
      if (!input || typeof input !== 'object') throw new TuttiError('ERR_INVALID_INPUT', 'startRun needs a StartRunInput object');
      const checked = startRunSchema.safeParse(input);
      if (!checked.success) throw new TuttiError('ERR_INVALID_INPUT', `startRun: ${issuesText(checked.error)}`);
      return orchestrator.orchestrateTask({
        description: input.taskDescription,
        ...(input.memorySeed
          ? {
              initialMemoryEntries: input.memorySeed.map((m) => ({
                ...(m.key !== undefined ? { key: m.key } : {}),
                value: m.value,
                metadata: { ...m.metadata, ...(m.namespace !== undefined ? { namespace: m.namespace } : {}) },
              })),
            }
          : {}),
        ...(input.cwd !== undefined ? { cwd: input.cwd } : {}),
        ...(input.acceptanceCriteria ? { acceptanceCriteria: input.acceptanceCriteria } : {}),
        ...(input.allowedPaths ? { allowedPaths: input.allowedPaths } : {}),
        ...(input.forbiddenPaths ? { forbiddenPaths: input.forbiddenPaths } : {}),
        ...(input.provenance ? { provenance: input.provenance } : {}),
        ...(input.loopPolicy ? { loopPolicy: input.loopPolicy } : {}),
      });
    },
    async getStatus(runId: string) {
      const s = toClientStatus(runId, await orchestrator.getRunStatus(runId));
      if (s.status === 'unknown') return s;
      const [artifacts, summary] = await Promise.all([orchestrator.getRunArtifacts(runId), orchestrator.getRunSummary(runId)]);
      if (artifacts.commits.length) s.commits = artifacts.commits;
      if (summary) s.summary = summary;
      return s;
    },
    async cancel(runId: string) {
      try {
        await orchestrator.cancelRun(runId);
        return { success: true };
      } catch (e) {
        return { success: false, error: errorMessage(e) };
      }
    },
    seed: (runId, entries) => orchestrator.seedMemory(runId, entries),
    recordLearning: (runId, learning, score, provenance) => orchestrator.recordLearning(runId, learning, score, provenance),
    search(scope, query, topK = 5) {
      const s = typeof scope === 'object' && scope !== null && typeof scope.runId === 'string' ? { runId: scope.runId } : 'global';
      return orchestrator.searchMemory(s, query, topK);
    },
    harvest: (runId) => orchestrator.harvestMemory(runId),
    close: () => orchestrator.close(),
  };
}
