/**
 * The seed 002 `Orchestrator`: queues farm tasks and executes them as runs of one tutti engine.
 * It keeps no scheduler of its own: priorities, parallelism, agent choice and capacity are the
 * engine's (see `batch.ts`); this class holds the queue, the results and the event handlers.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FunctionContext } from '../../agents/types.js';
import { createEngine } from '../../create-engine.js';
import type { Engine } from '../../core/engine.js';
import { NonRetryableError, errorMessage } from '../../core/errors.js';
import { newRunId, randomToken } from '../../core/ids.js';
import { AgentRegistry, createAgentStatus, markAgentComplete, markAgentFailed, markAgentRunning } from './agent-status.js';
import { AgentDispatcher, selectorSpec } from './agents.js';
import { BatchRun, resolveBatchOptions } from './batch.js';
import { OrchestrationEventEmitter, createBatchCompletedEvent, createTaskFailedEvent, createTaskQueuedEvent } from './events.js';
import { toBatchResults } from './results.js';
import { JsonMap, parseFarmState, parseFarmTask, type FarmState } from './state.js';
import { checkOptions, defaultFarmExecutor, normaliseOutcome, type Outcome, type OrchestratorOptions } from './options.js';
import { notDispatched } from './task.js';
import type { AgentStatus, BatchOptions, FarmAgent, FarmBatchResults, FarmEvent, FarmEventHandler, FarmExecutor, FarmResult, FarmTask } from './types.js';

export { defaultFarmExecutor, type OrchestratorOptions } from './options.js';

/**
 * Queues and executes farm tasks (seed 002 `Orchestrator`).
 * @example
 * const orchestrator = new Orchestrator(); // or new Orchestrator('/tmp/outputs'), or new Orchestrator({ executor, dbPath })
 * const task = createFarmTask('implementation', 'Build authentication', 'Users can log in', { priority: 'high' });
 * orchestrator.queueTask(task);
 * const result = await orchestrator.executeTask(task.taskId); // result.status: 'success' | 'failure' | 'blocked'
 * await orchestrator.close();
 */
export class Orchestrator {
  /** The agents tasks are routed to (registered on the engine before each execution). */
  readonly dispatcher: AgentDispatcher;
  readonly #options: OrchestratorOptions;
  readonly #executor: FarmExecutor;
  readonly #dataDir: string;
  readonly #ownsDataDir: boolean;
  readonly #functionName = `farm.${randomToken(6)}`;
  readonly #bus = new OrchestrationEventEmitter();
  /** Every task known (queued, running or executed), by id. */
  readonly #tasks = new Map<string, FarmTask>();
  readonly #queue = new Set<string>();
  readonly #running = new Set<string>();
  /** The latest result of each task. */
  readonly #results = new Map<string, FarmResult>();
  /** Every result, oldest first (`getResults`). */
  #history: FarmResult[] = [];
  /** The latest status of each agent (the reference's registry) and of each task. */
  readonly #registry = new AgentRegistry();
  readonly #taskStatus = new Map<string, AgentStatus>();
  readonly #batches = new Map<string, BatchRun>();
  /** Executions in flight, awaited by `close()`. */
  readonly #inFlight = new Set<Promise<unknown>>();
  #engine: Promise<Engine> | null = null;
  #untrack: (() => void) | null = null;
  #closed = false;

  /**
   * @param options the output directory (as the reference takes it), or tutti's options.
   * @throws TuttiError `ERR_INVALID_OPTIONS` for an unknown or mistyped option.
   */
  constructor(options: string | OrchestratorOptions = {}) {
    const o = typeof options === 'string' ? { outputDir: options } : checkOptions(options);
    this.#options = o;
    this.#executor = o.executor ?? defaultFarmExecutor;
    this.#ownsDataDir = o.dataDir === undefined;
    // Only a path: nothing touches the disk before the first execution.
    this.#dataDir = resolve(o.dataDir ?? join(tmpdir(), `tutti-farm-${randomToken(6)}`));
    const agents = o.agents;
    this.dispatcher = agents instanceof AgentDispatcher ? agents : new AgentDispatcher(o.outputDir ?? join(this.#dataDir, 'outputs'), agents ? { agents } : {});
    this.#bus.on({ onEvent: (e) => this.#track(e) });
  }

  // --- queue -------------------------------------------------------------------------------

  /**
   * Queues a task (queueing a queued id again replaces it). Emits `task_queued`.
   * @returns the task id.
   * @throws TuttiError `ERR_INVALID_INPUT` for a malformed task.
   */
  queueTask(task: FarmTask): string {
    const t = parseFarmTask(task);
    this.#tasks.set(t.taskId, t);
    this.#queue.add(t.taskId);
    this.#bus.emit(createTaskQueuedEvent(t));
    return t.taskId;
  }

  /** Queues tasks in order. @returns their ids. @throws TuttiError `ERR_INVALID_INPUT` (nothing is queued then). */
  queueBatch(tasks: readonly FarmTask[]): string[] {
    const parsed = tasks.map((t) => parseFarmTask(t));
    return parsed.map((t) => this.queueTask(t));
  }

  /** Tasks waiting to be executed, in queue order. */
  getQueuedTasks(): FarmTask[] {
    return [...this.#queue].map((id) => this.#tasks.get(id)!);
  }

  /** Tasks without a result yet (seed 002 `getPendingTasks`): queued ones, then those executing now. */
  getPendingTasks(): FarmTask[] {
    return [...this.getQueuedTasks(), ...[...this.#running].map((id) => this.#tasks.get(id)!)];
  }

  /** A known task (queued, running or executed), or null. */
  getTask(taskId: string): FarmTask | null {
    return this.#tasks.get(taskId) ?? null;
  }

  /** The latest result of a task, or null. */
  getResult(taskId: string): FarmResult | null {
    return this.#results.get(taskId) ?? null;
  }

  /** Every result so far, oldest first (seed 002 `getResults`). */
  getResults(): FarmResult[] {
    return [...this.#history];
  }

  /** What the agent of a task is doing (seed 002 `getStatus`); undefined before it started. */
  getStatus(taskId: string): AgentStatus | undefined {
    const s = this.#taskStatus.get(taskId);
    return s ? { ...s } : undefined;
  }

  /** The latest status of every agent that worked (seed 002 `getAllStatus`). */
  getAllStatus(): AgentStatus[] {
    return this.#registry.getAll().map((s) => ({ ...s }));
  }

  /** Forgets queued tasks, results and statuses (seed 002 `clear`); tasks executing now finish and report. */
  clear(): void {
    for (const id of this.#queue) this.#tasks.delete(id);
    this.#queue.clear();
    this.#results.clear();
    this.#history = [];
    this.#registry.clear();
    this.#taskStatus.clear();
  }

  // --- execution ---------------------------------------------------------------------------

  /**
   * Executes one known task (queued, or executed before: it runs again). Never throws: an unknown
   * id or an engine error give a `failure` result, no available agent a `blocked` one, each
   * saying why in `output` (and `error`).
   */
  async executeTask(taskId: string): Promise<FarmResult> {
    const results = await this.#execute([taskId], resolveBatchOptions({ parallel: 1 }));
    return results.get(taskId)!;
  }

  /**
   * Executes tasks as one engine run and emits `batch_completed`: high before normal before low
   * (then queue order), at most `parallel` at once; see {@link BatchOptions} for `failFast` and
   * `timeout`. Duplicate ids run once.
   * @returns the totals (`successCount`, `failureCount`, `blockedCount`, `summary`, …) and one
   *   result per distinct id, in the order given (`results`).
   * @throws RangeError for invalid options (nothing runs then); task problems are results, not throws.
   */
  async executeBatch(taskIds: readonly string[], options: BatchOptions = {}): Promise<FarmBatchResults> {
    const resolved = resolveBatchOptions(options);
    const ids = [...new Set(taskIds)];
    const byId = await this.#execute(ids, resolved);
    const results = toBatchResults(ids.map((id) => byId.get(id)!));
    this.#bus.emit(createBatchCompletedEvent(results));
    return results;
  }

  async #execute(ids: readonly string[], options: ReturnType<typeof resolveBatchOptions>): Promise<Map<string, FarmResult>> {
    const out = new Map<string, FarmResult>();
    const runnable: FarmTask[] = [];
    for (const id of ids) {
      const task = this.#tasks.get(id);
      if (this.#closed) out.set(id, notDispatched(id, 'the orchestrator is closed'));
      else if (!task) out.set(id, notDispatched(id, `Task not found: '${id}' (queue it first)`));
      else if (this.#running.has(id)) out.set(id, notDispatched(id, `task '${id}' is already executing`));
      else runnable.push(task);
    }
    for (const t of runnable) {
      this.#queue.delete(t.taskId);
      this.#running.add(t.taskId);
    }
    if (runnable.length) {
      const running = this.#runOnEngine(runnable, options);
      this.#inFlight.add(running);
      try {
        for (const [id, r] of await running) out.set(id, r);
      } finally {
        this.#inFlight.delete(running);
        for (const t of runnable) this.#running.delete(t.taskId);
      }
    }
    for (const [id, r] of out) {
      if (this.#tasks.has(id)) this.#results.set(id, r);
      this.#history.push(r);
      // A task that did not succeed stays pending, as in the reference: it can be executed again.
      if (r.status !== 'success' && this.#tasks.has(id) && !this.#running.has(id)) this.#queue.add(id);
      // Engine-run tasks had their events from the run; the others report here.
      if (r.runId === undefined) this.#bus.emit(createTaskFailedEvent(r));
    }
    return out;
  }

  async #runOnEngine(tasks: FarmTask[], options: ReturnType<typeof resolveBatchOptions>): Promise<Map<string, FarmResult>> {
    const out = new Map<string, FarmResult>();
    let engine: Engine;
    const dispatchable: FarmTask[] = [];
    try {
      engine = await this.#ensureEngine();
      // Wildcard agents take every type met so far; the engine then routes by capability.
      this.dispatcher.coverTypes([...this.#tasks.values()].map((t) => t.type));
      await this.dispatcher.syncTo(engine);
      const why = new Map<string, string | null>();
      for (const t of tasks) {
        if (!why.has(t.type)) why.set(t.type, await engine.explainNoAgent({ ...selectorSpec(t.type), function: this.#functionName }));
        const reason = why.get(t.type);
        if (reason) out.set(t.taskId, notDispatched(t.taskId, `No agent available for a '${t.type}' task: ${reason}`, 'blocked'));
        else dispatchable.push(t);
      }
    } catch (e) {
      for (const t of tasks) out.set(t.taskId, notDispatched(t.taskId, `the engine could not execute the task: ${errorMessage(e)}`));
      return out;
    }
    if (dispatchable.length === 0) return out;
    const batch = new BatchRun({ engine, bus: this.#bus, functionName: this.#functionName, workDir: resolve(this.dispatcher.outputDir) }, newRunId(), dispatchable, options);
    this.#batches.set(batch.runId, batch);
    try {
      for (const [id, r] of await batch.execute()) out.set(id, r);
    } finally {
      this.#batches.delete(batch.runId);
    }
    return out;
  }

  /** The engine, created and started on first use; the farm function registered on it. */
  #ensureEngine(): Promise<Engine> {
    this.#engine ??= (async () => {
      mkdirSync(resolve(this.dispatcher.outputDir), { recursive: true });
      const engine =
        this.#options.engine ??
        createEngine({
          dataDir: this.#dataDir,
          store: { sqlite: this.#options.dbPath ?? ':memory:' },
          workDir: resolve(this.dispatcher.outputDir),
          runScope: 'own',
          builtinAgents: false,
        });
      engine.registerFunction(this.#functionName, (ctx) => this.#executeAttempt(ctx));
      this.#untrack = this.dispatcher.track(engine);
      if (engine.state === 'idle') await engine.start();
      return engine;
    })();
    return this.#engine;
  }

  /** The body of every farm attempt: the executor, with the task and the agent the engine chose; its output also goes to the task's output file. */
  async #executeAttempt(ctx: FunctionContext): Promise<string> {
    const batch = this.#batches.get(ctx.runId);
    const task = batch?.task(ctx.taskId);
    if (!batch || !task) throw new NonRetryableError(`run ${ctx.runId} is not a batch of this orchestrator`);
    const agentId = batch.agentOf(ctx.taskId) ?? 'unknown';
    const agent: FarmAgent = this.dispatcher.getAgent(agentId) ?? { id: agentId, name: agentId, capabilities: [task.type], maxConcurrent: 1, currentLoad: 1 };
    const outputFile = this.dispatcher.outputFileOf(task.taskId);
    let outcome: Outcome;
    try {
      outcome = normaliseOutcome(await this.#executor(task, agent, { signal: ctx.signal, runId: ctx.runId, attempt: ctx.attempt, outputFile, log: ctx.log }));
    } catch (e) {
      outcome = { ok: false, output: '', error: errorMessage(e), artifacts: [] };
    }
    batch.recordOutput(ctx.taskId, ctx.attempt, outcome.output, outcome.artifacts);
    try {
      writeFileSync(outputFile, outcome.ok ? outcome.output : [outcome.output, outcome.error ?? 'failed'].filter(Boolean).join('\n'));
    } catch (e) {
      ctx.log(`could not write ${outputFile}: ${errorMessage(e)}`);
    }
    if (!outcome.ok) throw new NonRetryableError(outcome.error ?? 'the executor reported a failure');
    return outcome.output;
  }

  /**
   * The engine executing this orchestrator's tasks (created and started if needed), to look at
   * its runs (`engine.getRun(result.runId)`) or events.
   */
  getEngine(): Promise<Engine> {
    return this.#ensureEngine();
  }

  // --- events --------------------------------------------------------------------------------

  /** Adds an event handler (seed 002 `on`). */
  on(handler: FarmEventHandler): void {
    this.#bus.on(handler);
  }

  /** Removes an event handler. */
  off(handler: FarmEventHandler): void {
    this.#bus.off(handler);
  }

  /** Keeps the agent statuses (`getStatus`, `getAllStatus`, `getState().agentStatus`) from the farm's own events. */
  #track(e: FarmEvent): void {
    if (e.type === 'task_started') {
      const s = markAgentRunning(createAgentStatus(e.agentId, e.taskId, this.dispatcher.outputFileOf(e.taskId)), new Date(e.timestamp));
      this.#taskStatus.set(e.taskId, s);
      this.#registry.set(e.agentId, s);
    } else if (e.type === 'task_completed' || e.type === 'task_failed') {
      const s = this.#taskStatus.get(e.taskId);
      if (!s || s.status !== 'running') return;
      const at = new Date(e.timestamp);
      const done = e.type === 'task_completed' ? markAgentComplete(s, at) : markAgentFailed(s, at);
      this.#taskStatus.set(e.taskId, done);
      if (this.#registry.get(done.agentId)?.taskId === e.taskId) this.#registry.set(done.agentId, done);
    }
  }

  // --- state ---------------------------------------------------------------------------------

  /**
   * A snapshot for persistence (seed 002 `getState`): `activeTasks` (tasks without a result:
   * queued or executing), `agentStatus`, `pendingResults` (every result so far), and the agents.
   * Its maps serialise with `JSON.stringify` (as objects), so it can be saved to a text file.
   */
  getState(): FarmState {
    const pending = [...this.#tasks.values()].filter((t) => this.#queue.has(t.taskId) || this.#running.has(t.taskId));
    const batch = [...this.#batches.keys()][0];
    return {
      activeTasks: new JsonMap(pending.map((t) => [t.taskId, { ...t, context: [...t.context], constraints: [...t.constraints] }] as const)),
      agentStatus: new JsonMap(this.#registry.getAll().map((s) => [s.agentId, { ...s }] as const)),
      pendingResults: this.#history.map((r) => ({ ...r })),
      ...(batch ? { batchId: batch } : {}),
      version: 2,
      savedAt: new Date().toISOString(),
      agents: this.dispatcher.getAgents(),
    };
  }

  /**
   * Brings back a snapshot (seed 002 `restoreState`), merged into this orchestrator: the object
   * `getState()` returned, or its JSON form parsed back. Its tasks are queued again (no
   * `task_queued` events), its results and agent statuses kept, its agents registered with a
   * load of 0 (the loads of another process do not carry over).
   * @throws TuttiError `ERR_INVALID_INPUT` for a malformed snapshot (nothing is restored then).
   */
  restoreState(state: FarmState | unknown): void {
    const s = parseFarmState(state);
    for (const a of s.agents ?? []) this.dispatcher.registerAgent({ ...a, currentLoad: 0 });
    for (const r of s.results) {
      this.#results.set(r.taskId, r);
      this.#history.push(r);
    }
    for (const [agentId, status] of s.agentStatus) {
      this.#registry.set(agentId, status);
      this.#taskStatus.set(status.taskId, status);
    }
    for (const t of s.tasks) {
      this.#tasks.set(t.taskId, t);
      this.#queue.add(t.taskId);
    }
  }

  /**
   * Cancels the batches in flight (their unfinished tasks end `failure`), stops the private
   * engine and removes the private data dir. Later executions give `failure` results.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#engine) return;
    const engine = await this.#engine.catch(() => null);
    if (engine) await Promise.all([...this.#batches.keys()].map((id) => engine.cancelRun(id, 'the farm orchestrator closed').catch(() => undefined)));
    // Cancelled batches end promptly (attempts are aborted); let them report before the engine stops.
    await Promise.allSettled([...this.#inFlight]);
    this.#untrack?.();
    if (engine && !this.#options.engine) await engine.stop();
    if (this.#ownsDataDir) rmSync(this.#dataDir, { recursive: true, force: true });
  }
}
