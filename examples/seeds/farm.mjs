// Seed 002 (mai-orchestration-framework) as its README shows it, with only the import changed.
// Runs under Node and Bun: `node examples/seeds/farm.mjs`, `bun examples/seeds/farm.mjs` (after npm run build).
import { AgentDispatcher, LoggingEventHandler, Orchestrator, createFarmTask, isOverallSuccess } from 'tutti/farm';

const check = (ok, what) => {
  if (!ok) {
    console.error(`FAILED: ${what}`);
    process.exit(1);
  }
};

// Basic task execution
const orchestrator = new Orchestrator();
const task = createFarmTask('implementation', 'Build authentication', 'Users can log in', {
  context: ['/src/auth.ts'],
  priority: 'high',
});
orchestrator.queueTask(task);
const result = await orchestrator.executeTask(task.taskId);
console.log(result.status); // 'success' or 'failure'
check(result.status === 'success', 'executeTask succeeds');

// Batch execution
const tasks = [
  createFarmTask('test', 'Unit tests', 'All pass'),
  createFarmTask('test', 'Integration tests', 'All pass'),
  createFarmTask('review', 'Code review', 'Approved'),
];
const taskIds = orchestrator.queueBatch(tasks);

// Event monitoring
const seen = [];
orchestrator.on(new LoggingEventHandler());
orchestrator.on({
  onEvent: (event) => {
    switch (event.type) {
      case 'task_started':
        seen.push(`Task ${event.taskId} started by ${event.agentId}`);
        break;
      case 'task_completed':
        seen.push(`Task ${event.result.taskId} completed: ${event.result.status}`);
        break;
      case 'batch_completed':
        seen.push(`Batch done: ${event.results.summary}`);
        break;
    }
  },
});

const results = await orchestrator.executeBatch(taskIds, { parallel: 3, failFast: false, timeout: 60000 });
if (isOverallSuccess(results)) console.log('All tasks succeeded!');
check(isOverallSuccess(results) && results.successCount === 3 && results.failureCount === 0, 'the batch succeeds');
check(seen.at(-1) === 'Batch done: All 3 tasks completed successfully', 'batch_completed carries the summary');

// Agent dispatcher
const dispatcher = new AgentDispatcher('/tmp/outputs');
const agent = dispatcher.selectAgent('implementation');
const { total, used, available } = dispatcher.getTotalCapacity();
dispatcher.registerAgent({ id: 'specialized', name: 'Specialized Agent', capabilities: ['review'], maxConcurrent: 5, currentLoad: 0 });
check(agent?.capabilities.includes('implementation') && total === 13 && used === 0 && available === 13, 'the dispatcher');
const slot = dispatcher.dispatch(createFarmTask('review', 'Review', 'Approved'));
check(slot?.outputFile.endsWith('.output'), 'dispatch gives an output file');
dispatcher.release(slot.agentId);

// State persistence: save before compaction, restore after
orchestrator.queueTask(createFarmTask('test', 'Pending', 'Pass'));
const state = orchestrator.getState();
const saved = JSON.stringify(state); // state can be serialized to CLAUDE.local.md
const newOrchestrator = new Orchestrator();
newOrchestrator.restoreState(JSON.parse(saved));
check(newOrchestrator.getPendingTasks().length === 1, 'restoreState brings back the pending task');

await orchestrator.close();
await newOrchestrator.close();
console.log(`farm example: ok (${typeof Bun !== 'undefined' ? 'bun' : 'node'})`);
