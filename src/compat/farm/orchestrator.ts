/**
 * The seed 002 `Orchestrator`: queues farm tasks and executes them as runs of one tutti engine.
 * It keeps no scheduler of its own: priorities, parallelism, agent choice and capacity are the
 * engine's (see `batch.ts`); this class holds the queue, the results and the event handlers.
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FunctionContext } from '../../agents/types.js';
import { createEngine } from '../../create-engine.js';
import type { Engine } from '../../core/engine.js';
import { NonRetryableError, errorMessage } from '../../core/errors.js';
import { newRunId, randomToken } from '../../core/ids.js';
import { AgentDispatcher, selectorSpec, type FarmAgentInput } from './agents.js';
import { BatchRun, resolveBatchOptions } from './batch.js';
import { FarmEventBus } from './events.js';
import { parseFarmState, parseFarmTask, type FarmState } from './state.js';
import { notDispatched, toBatchResults } from './task.js';
import type { BatchOptions, FarmAgent, FarmBatchResults, FarmEventHandler, FarmExecutor, FarmExecutorOutcome, FarmResult, FarmTask } from './types.js';

/**
 * The executor used when none is given: deterministic, succeeds at once with a line describing
 * the task and the agent. It does no real work: real agent CLIs (Claude Code, Codex, Gemini…)
 * come with the engine's coding-agent drivers; pass an `executor` to do real work here.
 */
export const defaultFarmExecutor: FarmExecutor = (task, agent) => `${agent.id} completed ${task.type} task "${task.title}" (acceptance: ${task.acceptance})`;

/** Options of {@link Orchestrator}; all optional. */
export interface OrchestratorOptions {
  /**
   * The engine to execute on. A given engine is started if idle, and never stopped by `close()`.
   * @default a private engine: `createEngine({ dataDir, store: { sqlite: dbPath ?? ':memory:' }, runScope: 'own', builtinAgents: false })`, started on the first execution
   */
  engine?: Engine;
  /** Data dir of the private engine (attempt logs, large outputs). @default a fresh directory under the OS temp dir, removed by `close()` */
  dataDir?: string;
  /** SQLite file of the private engine, to keep the farm's runs after the process ends. @default ':memory:' */
  dbPath?: string;
  /** The agents: a dispatcher (shared, and mutable later), or a list replacing the seed's defaults. @default new AgentDispatcher(`<dataDir>/outputs`) */
  agents?: AgentDispatcher | FarmAgentInput[];
  /** Does the work of each task inside an engine attempt. @default defaultFarmExecutor */
  executor?: FarmExecutor;
}

function normaliseOutcome(outcome: FarmExecutorOutcome): { ok: boolean; output: string; error?: string } {
  if (outcome === undefined) return { ok: true, output: '' };
  if (typeof outcome === 'string') return { ok: true, output: outcome };
  const r: { ok: boolean; output: string; error?: string } = { ok: outcome.status === 'success', output: outcome.output ?? '' };
  if (outcome.error !== undefined) r.error = outcome.error;
  return r;
}

/**
 * Queues and executes farm tasks (seed 002 `Orchestrator`).
 * @example
 * const orchestrator = new Orchestrator();
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
  readonly #bus = new FarmEventBus();
  /** Every task known (queued, running or executed), by id. */
  readonly #tasks = new Map<string, FarmTask>();
  readonly #queue = new Set<string>();
  readonly #running = new Set<string>();
  readonly #results = new Map<string, FarmResult>();
  readonly #batches = new Map<string, BatchRun>();
  /** Executions in flight, awaited by `close()`. */
  readonly #inFlight = new Set<Promise<unknown>>();
  #engine: Promise<Engine> | null = null;
  #untrack: (() => void) | null = null;
  #closed = false;

  constructor(options: OrchestratorOptions = {}) {
    this.#options = options;
    this.#executor = options.executor ?? defaultFarmExecutor;
    this.#ownsDataDir = options.dataDir === undefined;
    // Only a path: nothing touches the disk before the first execution.
    this.#dataDir = resolve(options.dataDir ?? join(tmpdir(), `tutti-farm-${randomToken(6)}`));
    const agents = options.agents;
    this.dispatcher = agents instanceof AgentDispatcher ? agents : new AgentDispatcher(join(this.#dataDir, 'outputs'), agents ? { agents } : {});
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
    this.#bus.emit({ type: 'task_queued', timestamp: new Date().toISOString(), taskId: t.taskId, task: t });
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

  /** A known task (queued, running or executed), or null. */
  getTask(taskId: string): FarmTask | null {
    return this.#tasks.get(taskId) ?? null;
  }

  /** The latest result of a task, or null. */
  getResult(taskId: string): FarmResult | null {
    return this.#results.get(taskId) ?? null;
  }

  // --- execution ---------------------------------------------------------------------------

  /**
   * Executes one known task (queued, or executed before: it runs again). Never throws: an unknown
   * id, a task already executing or an engine error give a `failure` result.
   */
  async executeTask(taskId: string): Promise<FarmResult> {
    const results = await this.#execute([taskId], resolveBatchOptions({ parallel: 1 }));
    return results.get(taskId)!;
  }

  /**
   * Executes tasks as one engine run and emits `batch_completed`: high before normal before low
   * (then queue order), at most `parallel` at once; see {@link BatchOptions} for `failFast` and
   * `timeout`. Duplicate ids run once.
   * @returns one result per distinct id, in the order given, with a `summary`.
   * @throws RangeError for invalid options (nothing runs then); task problems are results, not throws.
   */
  async executeBatch(taskIds: readonly string[], options: BatchOptions = {}): Promise<FarmBatchResults> {
    const resolved = resolveBatchOptions(options);
    const ids = [...new Set(taskIds)];
    const byId = await this.#execute(ids, resolved);
    const results = toBatchResults(ids.map((id) => byId.get(id)!));
    this.#bus.emit({ type: 'batch_completed', timestamp: new Date().toISOString(), results });
    return results;
  }

  async #execute(ids: readonly string[], options: ReturnType<typeof resolveBatchOptions>): Promise<Map<string, FarmResult>> {
    const out = new Map<string, FarmResult>();
    const runnable: FarmTask[] = [];
    for (const id of ids) {
      const task = this.#tasks.get(id);
      if (this.#closed) out.set(id, notDispatched(id, 'the orchestrator is closed'));
      else if (!task) out.set(id, notDispatched(id, `task '${id}' not found: queue it first`));
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
      // Engine-run tasks had their events from the run; the others report here.
      if (r.runId === undefined) this.#bus.emit({ type: 'task_failed', timestamp: r.completedAt, taskId: id, result: r });
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
        if (reason) out.set(t.taskId, notDispatched(t.taskId, `no agent can run a '${t.type}' task: ${reason}`));
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

  /** The body of every farm attempt: the executor, with the task and the agent the engine chose. */
  async #executeAttempt(ctx: FunctionContext): Promise<string> {
    const batch = this.#batches.get(ctx.runId);
    const task = batch?.task(ctx.taskId);
    if (!batch || !task) throw new NonRetryableError(`run ${ctx.runId} is not a batch of this orchestrator`);
    const agentId = batch.agentOf(ctx.taskId) ?? 'unknown';
    const agent: FarmAgent = this.dispatcher.getAgent(agentId) ?? { id: agentId, name: agentId, capabilities: [task.type], maxConcurrent: 1, currentLoad: 1 };
    let outcome: ReturnType<typeof normaliseOutcome>;
    try {
      outcome = normaliseOutcome(await this.#executor(task, agent, { signal: ctx.signal, runId: ctx.runId, attempt: ctx.attempt, log: ctx.log }));
    } catch (e) {
      throw new NonRetryableError(errorMessage(e));
    }
    batch.recordOutput(ctx.taskId, ctx.attempt, outcome.output);
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

  // --- state ---------------------------------------------------------------------------------

  /** A JSON-serialisable snapshot: tasks without a result (queued or running), results, agents. */
  getState(): FarmState {
    const pending = [...this.#tasks.values()].filter((t) => this.#queue.has(t.taskId) || this.#running.has(t.taskId));
    return {
      version: 1,
      savedAt: new Date().toISOString(),
      queued: pending.map((t) => ({ ...t, context: [...t.context] })),
      results: [...this.#results.values()].map((r) => ({ ...r })),
      agents: this.dispatcher.getAgents(),
    };
  }

  /**
   * Brings back a snapshot (merged into this orchestrator): its tasks are queued again (no
   * `task_queued` events), its results kept, its agents registered with a load of 0 (the loads
   * of another process do not carry over).
   * @throws TuttiError `ERR_INVALID_INPUT` for a malformed snapshot (nothing is restored then).
   */
  restoreState(state: FarmState | unknown): void {
    const s = parseFarmState(state);
    for (const a of s.agents ?? []) this.dispatcher.registerAgent({ ...a, currentLoad: 0 });
    for (const r of s.results) this.#results.set(r.taskId, r);
    for (const t of s.queued) {
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
