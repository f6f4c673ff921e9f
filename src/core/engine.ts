/**
 * The engine: creates runs from plans, claims ready tasks from the store, executes them through
 * drivers, commits every transition, and recovers what a crashed process left (ARCHITECTURE.md §5–6).
 * Logic over interfaces: the store, the drivers and the host runtime are injected.
 */
import type { AgentRecord, AgentStatus, DriverRegistry, FunctionRegistry, TaskFunction } from '../agents/types.js';
import type { AgentUpsert, ApprovalDecision, AttemptFinish, AttemptProcess, ClaimResult, CreateResult, NewRun, RunFilter, Store } from '../store/types.js';
import { attemptCoordination } from './attempt-coordination.js';
import { AttemptRunner, type AbortReason, type AttemptHooks } from './attempt-runner.js';
import { TypedEmitter } from './emitter.js';
import { TuttiError, errorMessage, isTuttiError } from './errors.js';
import { RUN_TERMINAL_EVENTS, type EngineEventMap } from './events.js';
import { newRunId, RUN_ID_PATTERN } from './ids.js';
import { assertJsonDepth } from './limits.js';
import { isTerminalRunStatus, type AttemptRef, type EventRecord, type RunRecord, type RunStatus } from './model.js';
import { resolveEngineOptions, type EngineOptions, type ResolvedEngineOptions } from './options.js';
import { parsePlanObject } from './plan/parse.js';
import type { AgentInput, Plan, PlanInput, TaskSpec } from './plan/schema.js';
import { checkPlan, normalisePlan, type ValidatedPlan } from './plan/validate.js';
import { cancelStranded, recoverStranded } from './recovery.js';
import { interruptionOf } from './interrupted.js';
import { listRunSummaries } from './run-list.js';
import { buildRunView, runCounts, runSummary, type MergeView, type RunSummary, type RunView } from './run-view.js';
import type { MergeEntry, QuotaRecord } from './coordination.js';
import type { MergeFilter } from '../store/coordination-types.js';
import type { EngineRuntime } from './runtime.js';
import { capableAgents, createChooser, type AcceptsFn, type Chooser } from './scheduler/select.js';

/** Longest delay before a spawned process's id is recorded (for killing orphans after a crash), ms. */
const PID_RECORD_MS = 20;

export interface EngineDeps {
  store: Store;
  drivers: DriverRegistry;
  runtime: EngineRuntime;
  /** Converts agent definitions to records (driver defaults, config checks). */
  toAgent: (input: AgentInput) => AgentUpsert;
  /** Built-in agents registered on start when missing. */
  builtinAgents?: () => AgentUpsert[];
  /** The function driver's registry, for `registerFunction`. */
  functions?: FunctionRegistry;
  /** Close the store on `stop()`. @default false */
  ownsStore?: boolean;
  /** Hooks around every attempt (the memory plane's context propagation and learnings). */
  attemptHooks?: AttemptHooks;
}

export interface CreateRunOptions {
  /** Use this id instead of a generated one. */
  runId?: string;
  /** A second createRun with the same key returns the first run instead of creating one. */
  idempotencyKey?: string;
  /** Absolute directory the run's attempts work in. @default the engine's workDir */
  workDir?: string;
  /** Merged over the plan's metadata. */
  metadata?: Record<string, unknown>;
}

export interface StopOptions {
  /**
   * `interrupt` (default): abort running attempts and hand their tasks back (ready again, resumed by
   * the next engine). `drain`: stop claiming and wait for running attempts to finish.
   */
  mode?: 'interrupt' | 'drain';
}

type RunWaiter = { runId: string; resolve: (v: RunView) => void; reject: (e: unknown) => void };

export class Engine {
  readonly options: ResolvedEngineOptions;
  readonly events = new TypedEmitter<EngineEventMap>();
  readonly workerId: string;
  readonly #deps: EngineDeps;
  readonly #store: Store;
  readonly #runner: AttemptRunner;
  readonly #accepts: AcceptsFn;
  readonly #choose: Chooser;
  #pending: AttemptFinish[] = [];
  /** Runs waiting for the next scheduling transaction to create them. */
  #creates: Array<{ run: NewRun; resolve: (r: CreateResult) => void; reject: (e: unknown) => void }> = [];
  /** Process ids of running attempts not yet recorded. */
  readonly #pids = new Map<string, AttemptProcess>();
  #pidTimer: ReturnType<typeof setTimeout> | null = null;
  readonly #ownRuns = new Set<string>();
  readonly #waiters = new Set<RunWaiter>();
  /** Runs seen ending in this process whose waiters may be resolvable. */
  readonly #ended = new Set<string>();
  #state: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  #tickScheduled = false;
  #ticking = false;
  #tickAgain = false;
  /** Something changed that may have made tasks claimable. */
  #dirty = true;
  #timers: Array<ReturnType<typeof setInterval>> = [];
  #wake: { at: number; timer: ReturnType<typeof setTimeout> } | null = null;
  #polls = 0;
  /** The poll in flight, awaited by stop() so it never reads a closed store. */
  #polling: Promise<void> | null = null;

  constructor(options: EngineOptions, deps: EngineDeps) {
    this.options = resolveEngineOptions(options);
    this.#deps = deps;
    this.#store = deps.store;
    this.workerId = this.options.workerId ?? `${deps.runtime.host}:${deps.runtime.pid}:${Math.floor(deps.runtime.random() * 1e9).toString(36)}`;
    this.#accepts = (task, agent, explicit) => {
      const driver = deps.drivers.get(agent.driver);
      return driver ? driver.accepts(task, agent, explicit) : `unknown driver '${agent.driver}'`;
    };
    this.#choose = createChooser(this.#accepts);
    this.#runner = new AttemptRunner({
      ...(deps.attemptHooks ? { hooks: deps.attemptHooks } : {}),
      drivers: deps.drivers,
      runtime: deps.runtime,
      options: this.options,
      emitter: this.events,
      onFinish: (f) => {
        this.#pids.delete(`${f.ref.runId}\u0000${f.ref.taskId}\u0000${f.ref.n}`);
        this.#pending.push(f);
        this.#scheduleTick();
      },
      coordination: (ref) => attemptCoordination(this.#store, ref, () => deps.runtime.now(), (events) => this.#publish(events)),
      onProcess: (ref, token, pid) => {
        // Recorded with the next transaction, or within PID_RECORD_MS: a process that ends sooner
        // never costs a write of its own.
        this.#pids.set(`${ref.runId}\u0000${ref.taskId}\u0000${ref.n}`, { ref: { runId: ref.runId, taskId: ref.taskId, n: ref.n }, token, pid });
        this.#pidTimer ??= setTimeout(() => {
          this.#pidTimer = null;
          this.#scheduleTick();
        }, PID_RECORD_MS);
      },
    });
  }

  get store(): Store {
    return this.#store;
  }

  /** Shorthand for `engine.events.on`. */
  on<K extends keyof EngineEventMap>(type: K, listener: (payload: EngineEventMap[K]) => void): () => void {
    return this.events.on(type, listener);
  }

  // --- lifecycle ----------------------------------------------------------------------------

  /** Registers this worker and its agents, recovers what crashed workers left, and starts executing. */
  async start(): Promise<void> {
    if (this.#state === 'running') return;
    if (this.#state !== 'idle') throw new TuttiError('ERR_ENGINE_STOPPED', 'this engine was stopped; create a new one');
    const { runtime } = this.#deps;
    const now = runtime.now();
    await this.#store.registerWorker({ id: this.workerId, host: runtime.host, pid: runtime.pid, leaseMs: this.options.leaseMs, startedAt: now, heartbeatAt: now });
    await this.#ensureAgents();
    this.#state = 'running';
    this.#pruneRunAgents();
    await this.#recover(true);
    const next = await this.#store.nextReadyAt(now, this.#scope());
    if (next !== null) this.#wakeAt(next);
    this.#timers.push(setInterval(() => void this.#heartbeat(), this.options.heartbeatMs));
    this.#timers.push(
      setInterval(() => {
        if (this.#polling) return;
        this.#polling = this.#poll().finally(() => (this.#polling = null));
      }, this.options.pollMs),
    );
    this.#scheduleTick();
  }

  /** Stops claiming; aborts (or drains) running attempts; commits their ends; unregisters the worker. */
  async stop(options: StopOptions = {}): Promise<void> {
    if (this.#state === 'stopped' || this.#state === 'stopping') return;
    const wasRunning = this.#state === 'running';
    this.#state = 'stopping';
    if (wasRunning) {
      if ((options.mode ?? 'interrupt') === 'interrupt') this.#runner.abortAll({ kind: 'shutdown' });
      await this.#runner.idle();
      await this.#drainTicks();
    }
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    if (this.#polling) await this.#polling;
    while (this.#pruning) await this.#pruning;
    if (this.#pidTimer) clearTimeout(this.#pidTimer);
    this.#pidTimer = null;
    if (this.#wake) clearTimeout(this.#wake.timer);
    this.#wake = null;
    this.#state = 'stopped';
    if (wasRunning) await this.#store.removeWorker(this.workerId).catch((e: unknown) => this.#reportError(e, 'removing the worker'));
    for (const w of this.#waiters) w.reject(new TuttiError('ERR_ENGINE_STOPPED', `the engine stopped before run ${w.runId} ended`));
    this.#waiters.clear();
    if (this.#deps.ownsStore) await this.#store.close();
  }

  async #drainTicks(): Promise<void> {
    while (this.#ticking || this.#pending.length > 0 || this.#creates.length > 0) {
      if (!this.#ticking) await this.#tick();
      else await new Promise((r) => setImmediate(r));
    }
  }

  // --- runs ---------------------------------------------------------------------------------

  /**
   * Validates a plan against the schema, the graph rules and the agents able to run each task.
   * @throws PlanValidationError (`ERR_INVALID_PLAN`, `ERR_DUPLICATE_TASK`, `ERR_UNKNOWN_DEPENDENCY`, `ERR_CYCLE`, `ERR_NO_CAPABLE_AGENT`)
   */
  async validatePlan(plan: PlanInput | Plan): Promise<ValidatedPlan> {
    const v = normalisePlan(parsePlanObject(plan));
    await this.#ensureAgents();
    const planAgents = v.agents.map((a) => this.#deps.toAgent(a));
    const registered = await this.#store.listAgents();
    const byId = new Map<string, AgentRecord>(registered.map((a) => [a.id, a]));
    for (const a of planAgents) byId.set(a.id, { ...a, running: 0, createdAt: 0, updatedAt: 0 });
    // Paused agents may resume: only disabled ones do not count as able.
    const agents = [...byId.values()].map((a) => (a.status === 'paused' ? { ...a, status: 'active' as const } : a));
    checkPlan(v, (t) => capableAgents(t.spec, agents, this.#accepts).reason);
    return v;
  }

  /**
   * Validates a plan and creates its run (queued; executed by a started engine).
   * @throws PlanValidationError for invalid plans; TuttiError `ERR_INVALID_INPUT` for a bad run id or work dir.
   */
  async createRun(plan: PlanInput | Plan, options: CreateRunOptions = {}): Promise<RunSummary> {
    if (options.runId !== undefined && !RUN_ID_PATTERN.test(options.runId)) {
      throw new TuttiError('ERR_INVALID_INPUT', `invalid run id '${options.runId}': use letters, digits, . _ : - (at most 128)`);
    }
    if (options.metadata !== undefined) assertJsonDepth(options.metadata, { what: 'run metadata', path: 'metadata' });
    const v = await this.validatePlan(plan);
    const now = this.#deps.runtime.now();
    const runId = options.runId ?? newRunId(now);
    const scoped = scopeRunAgents(v, runId);
    if (v.agents.length) {
      await this.#store.upsertAgents(v.agents.map((a) => ({ ...this.#deps.toAgent(a), ...(scoped.has(a.id) ? { id: scoped.get(a.id)!, runId } : {}) })), now);
      await this.#store.unblockTasks(now);
    }
    const newRun: NewRun = {
      id: runId,
      name: v.name,
      goal: v.goal,
      priority: v.priority,
      maxConcurrency: v.concurrency,
      approvalTtlMs: v.approvalTtlMs,
      metadata: { ...v.metadata, ...options.metadata },
      idempotencyKey: options.idempotencyKey ?? null,
      workDir: options.workDir ?? this.options.workDir,
      createdAt: now,
      tasks: scoped.size ? v.tasks.map((t) => (t.spec.agent?.id !== undefined && scoped.has(t.spec.agent.id) ? { ...t, spec: { ...t.spec, agent: { ...t.spec.agent, id: scoped.get(t.spec.agent.id)! } } } : t)) : v.tasks,
    };
    if (this.#state !== 'running') {
      const { run, created, events } = await this.#store.createRun(newRun);
      if (created) this.#publish(events);
      if (!isTerminalRunStatus(run.status)) this.#ownRuns.add(run.id);
      return this.#summary(run);
    }
    // A running engine creates the run in its next scheduling transaction: concurrent creates
    // share one commit, and the run's first tasks start in the same transaction.
    this.#ownRuns.add(newRun.id);
    const result = await new Promise<CreateResult>((resolve, reject) => {
      this.#creates.push({ run: newRun, resolve, reject });
      this.#dirty = true;
      void this.#tick();
    }).catch((e: unknown) => {
      this.#ownRuns.delete(newRun.id);
      throw e;
    });
    if ('error' in result) {
      this.#ownRuns.delete(newRun.id);
      throw result.error;
    }
    if (result.run.id !== newRun.id) {
      this.#ownRuns.delete(newRun.id);
      if (!isTerminalRunStatus(result.run.status)) this.#ownRuns.add(result.run.id);
    }
    return this.#summary(result.run);
  }

  /**
   * Adds tasks to an unfinished run: a plan growing while it runs (a planner's output, a loop's
   * new work). New tasks may depend on the run's tasks and on each other.
   * @throws PlanValidationError for invalid tasks; TuttiError `ERR_RUN_NOT_FOUND`, `ERR_INVALID_TRANSITION`,
   *   `ERR_DUPLICATE_TASK`, `ERR_UNKNOWN_DEPENDENCY`
   */
  async extendRun(runId: string, tasks: PlanInput['tasks']): Promise<RunSummary> {
    const existing = new Set((await this.#store.listTasks(runId)).map((t) => t.id));
    const v = normalisePlan(parsePlanObject({ tasks }));
    // Dependencies on the run's own tasks are known; check the new tasks among themselves.
    const local = v.tasks.map((t) => ({ ...t, dependsOn: t.dependsOn.filter((d) => !existing.has(d)) }));
    await this.#ensureAgents();
    const agents = await this.#store.listAgents();
    checkPlan({ ...v, tasks: local }, (t) => (t.spec.approval ? null : capableAgents(t.spec, agents, this.#accepts, runId).reason));
    const { run, events } = await this.#store.addTasks(runId, v.tasks, this.#deps.runtime.now());
    this.#publish(events);
    this.#dirty = true;
    this.#scheduleTick();
    return this.#summary(run);
  }

  /** Creates a run and waits for it to end. */
  async run(plan: PlanInput | Plan, options: CreateRunOptions = {}): Promise<RunView> {
    const run = await this.createRun(plan, options);
    return this.waitForRun(run.id);
  }

  /**
   * Makes this engine execute an existing unfinished run (for `runScope: 'own'` engines).
   * @throws TuttiError `ERR_RUN_NOT_FOUND`
   */
  async resumeRun(id: string): Promise<RunSummary> {
    const run = await this.#store.getRun(id);
    if (!run) throw new TuttiError('ERR_RUN_NOT_FOUND', `no run '${id}'`, { details: { runId: id } });
    if (!isTerminalRunStatus(run.status)) this.#ownRuns.add(id);
    this.#dirty = true;
    this.#scheduleTick();
    return this.#summary(run);
  }

  /**
   * Claims now instead of at the next poll: for a process told of new work from outside (a
   * PostgreSQL `NOTIFY` to `tutti worker`). Idempotent and cheap; ignored unless the engine runs.
   * Unlike {@link resumeRun} it adopts no run, so a long-lived `runScope: 'all'` worker keeps no
   * per-run state for the runs it is told about.
   */
  wake(): void {
    if (this.#state !== 'running') return;
    this.#dirty = true;
    this.#scheduleTick();
  }

  /** Adopts every unfinished run of the store. @returns their ids, oldest first. */
  async resumeAll(): Promise<string[]> {
    const ids: string[] = [];
    let before: string | undefined;
    for (;;) {
      const page = await this.#store.listRuns({ status: ['queued', 'running', 'awaiting_approval'], limit: 1000, ...(before ? { before } : {}) });
      for (const r of page) ids.push(r.id);
      if (page.length < 1000) break;
      before = page[page.length - 1]!.id;
    }
    ids.reverse();
    for (const id of ids) this.#ownRuns.add(id);
    this.#dirty = true;
    this.#scheduleTick();
    return ids;
  }

  /**
   * Cancels a run: no more dispatch; running attempts get SIGTERM, then SIGKILL of everything
   * they started, and end `cancelled` once nothing of theirs remains (the `attempt:cancelled`
   * event says how many processes were ended). Attempts executing here are stopped here, those
   * of another live engine by it (through its poll), and those whose engine is gone (a stale
   * heartbeat, a dead pid) by this call: their processes on this host are ended and they finish
   * `cancelled`. A finished run is returned unchanged (its orphaned attempts are still ended).
   * @throws TuttiError `ERR_RUN_NOT_FOUND`
   */
  async cancelRun(id: string, reason = 'cancelled by request'): Promise<RunSummary> {
    const res = await this.#store.cancelRun(id, this.#deps.runtime.now(), reason);
    if (!res.run) throw new TuttiError('ERR_RUN_NOT_FOUND', `no run '${id}'`, { details: { runId: id } });
    this.#publish(res.events);
    this.#runner.abortRun(id, { kind: 'cancel' });
    if (res.run.status === 'cancelled') {
      const stranded = await cancelStranded(this.#store, this.#deps.runtime, this.workerId, id, this.options.killGraceMs);
      this.#publish(stranded.events);
    }
    this.#checkWaiters();
    return this.#summary(res.run);
  }

  /**
   * Approves what the run waits for (an approval gate, or a loop that ran out of iterations):
   * the task succeeds and the run goes on. Seed 001's `approveAndContinue`.
   * @param options.taskId needed only when the run waits on several approvals.
   * @throws TuttiError `ERR_RUN_NOT_FOUND`, `ERR_NOT_AWAITING_APPROVAL`, `ERR_INVALID_INPUT`
   */
  async approveRun(runId: string, options: { taskId?: string; by?: string; comment?: string } = {}): Promise<RunSummary> {
    return this.#decide({ runId, approve: true, by: options.by ?? 'anonymous', ...(options.taskId ? { taskId: options.taskId } : {}), ...(options.comment ? { comment: options.comment } : {}) });
  }

  /**
   * Rejects what the run waits for: `rewindTo` (an upstream task; default the gate's first
   * dependency) runs again with `feedback` in its prompt, every task downstream of it is reset,
   * and earlier attempts stay queryable. Seed 001's `rejectAndIterate`.
   * @throws TuttiError `ERR_RUN_NOT_FOUND`, `ERR_NOT_AWAITING_APPROVAL`, `ERR_TASK_NOT_FOUND`, `ERR_INVALID_INPUT`
   */
  async rejectRun(runId: string, options: { feedback: string; rewindTo?: string; taskId?: string; by?: string }): Promise<RunSummary> {
    if (typeof options.feedback !== 'string' || options.feedback.trim() === '') throw new TuttiError('ERR_INVALID_INPUT', 'a rejection needs feedback for the task that runs again');
    return this.#decide({
      runId,
      approve: false,
      by: options.by ?? 'anonymous',
      feedback: options.feedback,
      ...(options.rewindTo ? { rewindTo: options.rewindTo } : {}),
      ...(options.taskId ? { taskId: options.taskId } : {}),
    });
  }

  async #decide(decision: Omit<ApprovalDecision, 'now'>): Promise<RunSummary> {
    const out = await this.#store.decideApproval({ ...decision, now: this.#deps.runtime.now() });
    this.#publish(out.events);
    if (out.stopAttempts.length) this.#runner.abortAttempts(out.stopAttempts, { kind: 'cancel' });
    if (!isTerminalRunStatus(out.run.status)) this.#ownRuns.add(out.run.id);
    this.#dirty = true;
    this.#scheduleTick();
    return this.#summary(out.run);
  }

  /** The run with its tasks, attempts, blocked reasons and whether a live engine holds it; null when unknown. */
  async getRun(id: string): Promise<RunView | null> {
    const run = await this.#store.getRun(id);
    if (!run) return null;
    const [tasks, attempts, agents, workers, merges] = await Promise.all([
      this.#store.listTasks(id),
      this.#store.listAttempts(id),
      this.#store.listAgents(),
      this.#store.listWorkers(),
      this.#store.listMerges({ runId: id }),
    ]);
    const now = this.#deps.runtime.now();
    const interrupted = interruptionOf(run, attempts.filter((a) => a.status === 'running'), workers, now);
    const view = buildRunView(run, tasks, attempts, { agents, accepts: this.#accepts, now, interrupted });
    return merges.length ? { ...view, merges: await mergeViews(this.#store, merges) } : view;
  }

  /**
   * What the quota ledger knows of the coding-agent CLIs: per CLI and account, limited until when
   * (records whose time has passed included; `until` says).
   */
  async listQuotas(): Promise<QuotaRecord[]> {
    return this.#store.listQuotas();
  }

  /** Merge queue entries, oldest first (e.g. `{ open: true }`: what is waiting or merging now, across runs). */
  async listMerges(filter: MergeFilter = {}): Promise<MergeEntry[]> {
    return this.#store.listMerges(filter);
  }

  /**
   * Runs, newest first (creation time, then id), without tasks: counts from the tasks' statuses,
   * `interrupted` from the workers' heartbeats.
   */
  async listRuns(filter: RunFilter = {}): Promise<RunSummary[]> {
    return listRunSummaries(this.#store, filter, this.#deps.runtime.now());
  }

  /** The summary of one run (its counts from its tasks; a run this call returns from is held or ended). */
  async #summary(run: RunRecord): Promise<RunSummary> {
    return runSummary(run, runCounts(await this.#store.countTasks(run.id)));
  }

  /** Events of a run after `afterSeq`. */
  async listEvents(runId: string, options: { afterSeq?: number; limit?: number } = {}): Promise<EventRecord[]> {
    return this.#store.listEvents(runId, options);
  }

  /**
   * Resolves with the run's final view once it has ended and none of its attempts still executes here.
   * @throws TuttiError `ERR_RUN_NOT_FOUND`, `ERR_ENGINE_STOPPED`, `ERR_TIMEOUT`
   */
  async waitForRun(id: string, options: { timeoutMs?: number } = {}): Promise<RunView> {
    const run = await this.#store.getRun(id);
    if (!run) throw new TuttiError('ERR_RUN_NOT_FOUND', `no run '${id}'`, { details: { runId: id } });
    if (isTerminalRunStatus(run.status) && this.#runner.countForRun(id) === 0 && !this.#pending.some((f) => f.ref.runId === id)) {
      return (await this.getRun(id))!;
    }
    if (this.#state === 'stopped') throw new TuttiError('ERR_ENGINE_STOPPED', 'the engine is stopped');
    return new Promise<RunView>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waiter: RunWaiter = {
        runId: id,
        resolve: (v) => {
          if (timer) clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          if (timer) clearTimeout(timer);
          reject(e);
        },
      };
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.#waiters.delete(waiter);
          reject(new TuttiError('ERR_TIMEOUT', `run ${id} did not end within ${options.timeoutMs} ms`));
        }, options.timeoutMs);
      }
      this.#waiters.add(waiter);
      this.#checkWaiters();
    });
  }

  // --- agents -------------------------------------------------------------------------------

  /**
   * Registers (or updates, by id) agents. Tasks blocked for lack of a capable agent are re-examined.
   * @throws TuttiError `ERR_INVALID_INPUT`, `ERR_UNKNOWN_DRIVER`
   */
  async registerAgents(inputs: readonly AgentInput[]): Promise<AgentRecord[]> {
    const upserts = inputs.map((a) => this.#deps.toAgent(a));
    await this.#store.upsertAgents(upserts, this.#deps.runtime.now());
    await this.#agentsChanged();
    const all = await this.#store.listAgents();
    return all.filter((a) => upserts.some((u) => u.id === a.id));
  }

  /** Registered agents with their loads (the built-in and configured ones included). */
  async listAgents(): Promise<AgentRecord[]> {
    await this.#ensureAgents();
    return this.#store.listAgents();
  }

  /** @throws TuttiError `ERR_AGENT_NOT_FOUND` */
  async setAgentStatus(id: string, status: AgentStatus): Promise<AgentRecord> {
    const a = await this.#store.setAgentStatus(id, status, this.#deps.runtime.now());
    if (!a) throw new TuttiError('ERR_AGENT_NOT_FOUND', `no agent '${id}'`, { details: { agentId: id } });
    await this.#agentsChanged();
    return a;
  }

  /** @throws TuttiError `ERR_AGENT_NOT_FOUND` */
  async removeAgent(id: string): Promise<void> {
    if (!(await this.#store.removeAgent(id))) throw new TuttiError('ERR_AGENT_NOT_FOUND', `no agent '${id}'`, { details: { agentId: id } });
  }

  /**
   * Registers an in-process function for the `function` driver (tasks name it in `function`).
   * @throws TuttiError `ERR_UNKNOWN_DRIVER` when this engine has no function driver.
   */
  registerFunction(name: string, fn: TaskFunction): void {
    if (!this.#deps.functions) throw new TuttiError('ERR_UNKNOWN_DRIVER', 'this engine has no function driver');
    this.#deps.functions.set(name, fn);
    void this.#agentsChanged();
  }

  /** Whether some registered agent can run this task spec now (null) or why not. @param runId the task's run (its run-scoped agents count). */
  async explainNoAgent(spec: TaskSpec, runId?: string): Promise<string | null> {
    return capableAgents(spec, await this.#store.listAgents(), this.#accepts, runId).reason;
  }

  async #agentsChanged(): Promise<void> {
    this.#publish(await this.#store.unblockTasks(this.#deps.runtime.now()));
    this.#dirty = true;
    this.#scheduleTick();
  }

  #agentsEnsured: Promise<void> | null = null;

  /** Registers the built-in agents (when missing) and the configured ones, once per engine. */
  #ensureAgents(): Promise<void> {
    this.#agentsEnsured ??= this.#registerConfiguredAgents();
    return this.#agentsEnsured;
  }

  async #registerConfiguredAgents(): Promise<void> {
    const existing = new Set((await this.#store.listAgents()).map((a) => a.id));
    const upserts: AgentUpsert[] = [];
    if (this.options.builtinAgents && this.#deps.builtinAgents) for (const a of this.#deps.builtinAgents()) if (!existing.has(a.id)) upserts.push(a);
    for (const a of this.options.agents) upserts.push(this.#deps.toAgent(a));
    if (upserts.length) await this.#store.upsertAgents(upserts, this.#deps.runtime.now());
    if (upserts.length) this.#publish(await this.#store.unblockTasks(this.#deps.runtime.now()));
  }

  // --- the loop -----------------------------------------------------------------------------

  #scope(): string[] | undefined {
    return this.options.runScope === 'own' ? [...this.#ownRuns] : undefined;
  }

  #scheduleTick(): void {
    if (this.#tickScheduled || this.#state === 'stopped') return;
    this.#tickScheduled = true;
    setImmediate(() => {
      this.#tickScheduled = false;
      void this.#tick();
    });
  }

  /** One store transaction: commit finished attempts, claim ready tasks, launch them. Repeats while work remains. */
  async #tick(): Promise<void> {
    if (this.#ticking) {
      this.#tickAgain = true;
      return;
    }
    this.#ticking = true;
    try {
      do {
        this.#tickAgain = false;
        const finishes = this.#pending;
        this.#pending = [];
        const processes = [...this.#pids.values()];
        this.#pids.clear();
        const creates = this.#creates;
        this.#creates = [];
        const scope = this.#scope();
        const wantClaim = this.#state === 'running' && (this.#dirty || finishes.length > 0 || creates.length > 0) && (scope === undefined || scope.length > 0);
        const free = this.options.concurrency === null ? Infinity : this.options.concurrency - this.#runner.size;
        const limit = wantClaim ? Math.max(0, Math.min(free, this.options.maxClaimBatch)) : 0;
        if (finishes.length === 0 && limit === 0 && processes.length === 0 && creates.length === 0) break;
        let result: ClaimResult;
        try {
          result = await this.#store.claim({
            workerId: this.workerId,
            now: this.#deps.runtime.now(),
            ...(creates.length ? { newRuns: creates.map((c) => c.run) } : {}),
            processes,
            finishes,
            limit,
            ...(scope ? { runIds: scope } : {}),
            choose: this.#choose,
            random: this.#deps.runtime.random,
          });
        } catch (e) {
          this.#pending = finishes.concat(this.#pending);
          for (const p of processes) this.#pids.set(`${p.ref.runId}\u0000${p.ref.taskId}\u0000${p.ref.n}`, p);
          for (const c of creates) c.reject(e);
          this.#reportError(e, 'committing a scheduling transaction');
          break;
        }
        // More may be claimable only if a full batch started; at capacity, stay dirty until a slot frees.
        const full = limit > 0 && result.started.length === limit;
        this.#dirty = wantClaim && (limit === 0 || full);
        for (const f of result.finished) {
          if (f.stopAttempts) this.#runner.abortAttempts(f.stopAttempts, { kind: 'cancel' });
          if (!f.applied) this.#reportError(new TuttiError('ERR_STALE_LEASE', `attempt ${f.ref.runId}/${f.ref.taskId}/${f.ref.n} lost its lease; its result was discarded`), 'finishing an attempt');
        }
        this.#publish(result.events);
        creates.forEach((c, i) => c.resolve(result.created![i]!));
        if (result.started.length) this.#runner.launchAll(result.started.map((s) => ({ started: s, workDir: s.workDir ?? this.options.workDir })));
        if (full || this.#pending.length > 0) this.#tickAgain = true;
      } while (this.#tickAgain);
    } finally {
      this.#ticking = false;
    }
    if (this.#ended.size > 0) this.#checkWaiters(true);
  }

  /** Emits committed events and reacts to those that matter to this process. */
  #publish(events: readonly EventRecord[]): void {
    for (const e of events) {
      if (e.type === 'task:retrying') {
        this.#wakeAt((e.data as { at: number }).at);
      } else if (e.type === 'task:blocked') {
        const reason = (e.data as { reason?: { kind: string; until?: number } } | null)?.reason;
        if (reason?.kind === 'rate_limited' && reason.until !== undefined) this.#wakeAt(reason.until);
      } else if (RUN_TERMINAL_EVENTS.has(e.type)) {
        this.#pruneRunAgents();
        this.#ownRuns.delete(e.runId);
        this.#ended.add(e.runId);
        this.#runner.abortRun(e.runId, { kind: 'cancel' } satisfies AbortReason);
      }
      this.events.emit('event', e);
      this.events.emit(e.type as keyof EngineEventMap, e as never);
    }
  }

  #pruning: Promise<void> | null = null;
  #pruneAgain = false;

  /** Removes the agents of runs that ended (one store call at a time; coalesced). */
  #pruneRunAgents(): void {
    if (this.#pruning) {
      this.#pruneAgain = true;
      return;
    }
    this.#pruning = this.#store
      .pruneRunAgents()
      .then(() => undefined)
      .catch((e: unknown) => this.#reportError(e, 'removing the agents of ended runs'))
      .finally(() => {
        this.#pruning = null;
        if (this.#pruneAgain && this.#state !== 'stopped') {
          this.#pruneAgain = false;
          this.#pruneRunAgents();
        }
      });
  }

  #wakeAt(at: number): void {
    if (this.#state !== 'running') return;
    if (this.#wake && this.#wake.at <= at) return;
    if (this.#wake) clearTimeout(this.#wake.timer);
    const delay = Math.max(0, at - this.#deps.runtime.now());
    this.#wake = {
      at,
      timer: setTimeout(() => {
        this.#wake = null;
        this.#dirty = true;
        this.#scheduleTick();
        void this.#store
          .nextReadyAt(this.#deps.runtime.now(), this.#scope())
          .then((next) => next !== null && this.#wakeAt(next))
          .catch((err: unknown) => this.#reportError(err, 'looking for retries'));
      }, delay),
    };
  }

  async #heartbeat(): Promise<void> {
    try {
      const { runtime } = this.#deps;
      const now = runtime.now();
      if (await this.#store.heartbeat(this.workerId, now)) return;
      // Declared dead by another worker (we stalled past our lease): our attempts were re-claimed.
      this.#reportError(new TuttiError('ERR_STALE_LEASE', `worker ${this.workerId} lost its lease; its running attempts were handed to other workers`), 'renewing leases');
      this.#runner.abortAll({ kind: 'shutdown' });
      await this.#store.registerWorker({ id: this.workerId, host: runtime.host, pid: runtime.pid, leaseMs: this.options.leaseMs, startedAt: now, heartbeatAt: now });
    } catch (e) {
      this.#reportError(e, 'renewing leases');
    }
  }

  async #poll(): Promise<void> {
    if (this.#state !== 'running') return;
    try {
      this.#polls++;
      // Runs ended by another process (a `tutti cancel`): stop their attempts here.
      const watched = new Set([...this.#runner.runIds(), ...[...this.#waiters].map((w) => w.runId)]);
      if (watched.size) {
        const statuses = await this.#store.runStatuses([...watched]);
        for (const [id, status] of statuses) if (isTerminalRunStatus(status)) this.#runner.abortRun(id, { kind: 'cancel' });
      }
      if (this.#polls % Math.max(1, Math.round(this.options.heartbeatMs / this.options.pollMs)) === 0) await this.#recover();
      // Runs left waiting for an approval past their TTL.
      this.#publish(await this.#store.expireRuns(this.#deps.runtime.now()));
      this.#dirty = true;
      this.#scheduleTick();
      this.#checkWaiters();
    } catch (e) {
      this.#reportError(e, 'polling the store');
    }
  }

  async #recover(full = false): Promise<void> {
    const events = await recoverStranded(this.#store, this.#deps.runtime, this.workerId, { full });
    if (events.length) {
      this.#publish(events);
      this.#dirty = true;
      this.#scheduleTick();
    }
  }

  /**
   * Resolves waiters of ended runs whose attempts no longer execute here.
   * @param endedOnly only runs this process saw end (cheap: no store read for runs still going).
   */
  #checkWaiters(endedOnly = false): void {
    if (this.#waiters.size === 0) {
      this.#ended.clear();
      return;
    }
    const byRun = new Map<string, RunWaiter[]>();
    for (const w of this.#waiters) {
      if (endedOnly && !this.#ended.has(w.runId)) continue;
      if (this.#runner.countForRun(w.runId) > 0 || this.#pending.some((f) => f.ref.runId === w.runId)) continue;
      const list = byRun.get(w.runId) ?? [];
      list.push(w);
      byRun.set(w.runId, list);
    }
    for (const [runId, waiters] of byRun) {
      void this.#store
        .getRun(runId)
        .then(async (run) => {
          if (!run || !isTerminalRunStatus(run.status)) return;
          const view = await this.getRun(runId);
          this.#ended.delete(runId);
          for (const w of waiters) {
            if (!this.#waiters.delete(w)) continue;
            w.resolve(view!);
          }
        })
        .catch((e: unknown) => this.#reportError(e, 'reading a finished run'));
    }
  }

  #reportError(error: unknown, context: string): void {
    if (this.events.has('engine:error')) this.events.emit('engine:error', { error, context });
    else if (!isTuttiError(error, 'ERR_STALE_LEASE')) process.emitWarning(`tutti: ${context}: ${errorMessage(error)}`);
  }

  /** Status of this engine. */
  get state(): 'idle' | 'running' | 'stopping' | 'stopped' {
    return this.#state;
  }

  /** Attempts executing in this process. */
  get inFlight(): number {
    return this.#runner.size;
  }

  /** @internal for tests: the refs executing here. */
  runningRunIds(): string[] {
    return this.#runner.runIds();
  }
}

export type { RunStatus, AttemptRef };

/** Merge queue entries as the run view shows them, with the position of open ones in their queue. */
async function mergeViews(store: Store, merges: readonly MergeEntry[]): Promise<MergeView[]> {
  const queues = new Map<string, MergeEntry[]>();
  for (const m of merges) {
    if (m.status !== 'queued') continue;
    const key = `${m.repo}\n${m.target}`;
    if (!queues.has(key)) queues.set(key, await store.listMerges({ repo: m.repo, target: m.target, open: true }));
  }
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  return merges.map((m) => {
    const open = queues.get(`${m.repo}\n${m.target}`);
    const position = m.status === 'queued' && open ? open.findIndex((o) => o.id === m.id) : -1;
    return {
      id: m.id,
      taskId: m.taskId,
      target: m.target,
      branch: m.branch,
      status: m.status,
      ...(position >= 0 ? { position } : {}),
      enqueuedAt: new Date(m.enqueuedAt).toISOString(),
      startedAt: iso(m.startedAt),
      finishedAt: iso(m.finishedAt),
      mergedSha: m.mergedSha,
      message: m.message,
    };
  });
}

/**
 * Ids of the plan's run-scoped agents (`scope: run`) in the store: `<id>@<runId>`, so every run has
 * its own and a later run never picks up an earlier run's agent.
 */
function scopeRunAgents(plan: ValidatedPlan, runId: string): Map<string, string> {
  return new Map(plan.agents.filter((a) => a.scope === 'run').map((a) => [a.id, `${a.id}@${runId}`]));
}
