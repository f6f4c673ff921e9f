// Seed 000 (agentic-flow/orchestration) as its document shows it, with only the import changed.
// Runs under Node and Bun: `node examples/seeds/orchestration.mjs`, `bun examples/seeds/orchestration.mjs`.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOrchestrationClient, createOrchestrator, getRunArtifacts, getRunStatus, searchMemory } from 'tutti/orchestration';

const check = (ok, what) => {
  if (!ok) {
    console.error(`FAILED: ${what}`);
    process.exit(1);
  }
};
// A data dir of its own (the default is ~/.tutti).
const dataDir = mkdtempSync(join(tmpdir(), 'tutti-seed000-'));

const orchestrator = createOrchestrator({ backend: 'test', dataDir, workDir: dataDir });
const { runId } = await orchestrator.orchestrateTask({
  description: 'Your task description',
  initialMemoryEntries: [{ key: 'ctx', value: 'some context', metadata: {} }],
  loopPolicy: { maxIterations: 2, retryPolicy: { maxAttempts: 2, backoffMs: 100, onFailureClass: 'transient' }, budgetLimits: { timeMs: 60000 } },
});
const status = await getRunStatus(runId);
console.log(status);
check(status.phase === 'completed' && status.finished === true, 'the test backend is done when orchestrateTask resolves');
check((await getRunArtifacts(runId)).memoryWrites[0]?.key === 'ctx', 'the memory was seeded');
check((await searchMemory({ runId }, 'context', 3))[0]?.value === 'some context', 'searchMemory finds it');

const client = createOrchestrationClient({ config: { backend: 'test', dataDir } });
const started = await client.startRun({
  taskDescription: 'Implement feature X',
  cwd: dataDir,
  memorySeed: [{ key: 'ctx', value: 'ref-123', namespace: 'app' }],
  acceptanceCriteria: ['Tests pass', 'Lint clean'],
  allowedPaths: ['src/'],
  forbiddenPaths: ['dist/'],
  provenance: { runId: 'build-1', cardId: 'card-42' },
});
const clientStatus = await client.getStatus(started.runId);
const cancelled = await client.cancel(started.runId); // best-effort
check(clientStatus.status === 'completed' && cancelled.success === true, 'the client');
check((await client.harvest(started.runId)).entries[0]?.value === 'ref-123', 'harvest');

await client.close();
await orchestrator.close();
console.log(`orchestration example: ok (${typeof Bun !== 'undefined' ? 'bun' : 'node'})`);
