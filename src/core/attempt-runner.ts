/**
 * The attempts this engine process is executing: hands each to its driver with a context, enforces
 * the task timeout, aborts on cancel or shutdown, and turns every driver result into an
 * `AttemptFinish` for the next store transaction.
 */
import type { AgentDriver, AttemptContext, AttemptCoordination, AttemptResult, DriverRegistry } from '../agents/types.js';
import type { StartedAttempt, AttemptFinish } from '../store/types.js';
import type { TypedEmitter } from './emitter.js';
import { errorMessage } from './errors.js';
import type { EngineEventMap } from './events.js';
import { idempotencyKey, type AttemptError, type AttemptRef } from './model.js';
import type { ResolvedEngineOptions } from './options.js';
import type { EngineRuntime } from './runtime.js';

/** Why an attempt was aborted: decides how its end is recorded. */
export type AbortReason = { kind: 'timeout'; ms: number } | { kind: 'cancel' } | { kind: 'shutdown' };

interface InFlight {
  started: StartedAttempt;
  controller: AbortController;
  reason: AbortReason | null;
  timer: ReturnType<typeof setTimeout> | null;
}

/** What `prepareAttempt` may change in an attempt's context before its driver runs. */
export type AttemptPreparation = Partial<Pick<AttemptContext, 'task' | 'env' | 'feedback'>>;

/**
 * Narrow extension points around each attempt (the memory plane's context propagation and
 * learnings use them). A hook that throws fails the attempt (error kind `exception`, retryable).
 */
export interface AttemptHooks {
  /** Before the driver runs: returns fields to replace in its context (e.g. a prompt with retrieved memory). */
  prepareAttempt?(ctx: Readonly<AttemptContext>, signal: AbortSignal): Promise<AttemptPreparation | void>;
  /**
   * After the driver returned and before the attempt's end is committed (not for cancelled
   * attempts): what it writes is durable before anyone sees the attempt end.
   */
  onAttemptFinished?(ctx: Readonly<AttemptContext>, result: AttemptResult): Promise<void>;
}

export interface AttemptRunnerDeps {
  /** Optional hooks around every attempt. */
  hooks?: AttemptHooks;
  drivers: DriverRegistry;
  runtime: EngineRuntime;
  options: ResolvedEngineOptions;
  emitter: TypedEmitter<EngineEventMap>;
  /** Called once per attempt with its finish (not yet committed). */
  onFinish(finish: AttemptFinish): void;
  /** Records the attempt's process id in the store. */
  onProcess(ref: AttemptRef, token: number, pid: number): void;
  /** The merge queue and quota ledger for one attempt. */
  coordination?(ref: AttemptRef): AttemptCoordination;
}

/** Longest stretch of driver starts before the event loop gets a turn, ms. */
const LAUNCH_SLICE_MS = 5;

const refKey = (r: AttemptRef) => `${r.runId}\u0000${r.taskId}\u0000${r.n}`;

export class AttemptRunner {
  readonly #inFlight = new Map<string, InFlight>();
  readonly #perRun = new Map<string, number>();
  readonly #dirs = new Set<string>();
  #idleWaiters: Array<() => void> = [];

  constructor(private readonly deps: AttemptRunnerDeps) {}

  get size(): number {
    return this.#inFlight.size;
  }

  /** Runs with attempts executing here. */
  runIds(): string[] {
    return [...this.#perRun.keys()];
  }

  countForRun(runId: string): number {
    return this.#perRun.get(runId) ?? 0;
  }

  /**
   * Starts executing claimed attempts. Driver calls can block (spawning a process takes ~1-2 ms),
   * so a large batch is started in slices of at most {@link LAUNCH_SLICE_MS}, yielding between
   * slices: attempts that end meanwhile are committed without waiting for the whole batch.
   */
  launchAll(batch: ReadonlyArray<{ started: StartedAttempt; workDir: string }>): void {
    // Registered at once, so limits, waits and aborts see the whole batch; started in slices.
    const entries = batch.map(({ started, workDir }) => ({ entry: this.#register(started), workDir }));
    let i = 0;
    const slice = () => {
      const deadline = performance.now() + LAUNCH_SLICE_MS;
      while (i < entries.length) {
        const { entry, workDir } = entries[i++]!;
        this.#start(entry, workDir);
        if (i < entries.length && performance.now() >= deadline) {
          setImmediate(slice);
          return;
        }
      }
    };
    slice();
  }

  /** Starts executing a claimed attempt. Never throws: failures become finishes. */
  launch(started: StartedAttempt, workDir: string): void {
    this.#start(this.#register(started), workDir);
  }

  #register(started: StartedAttempt): InFlight {
    const { attempt } = started;
    const entry: InFlight = { started, controller: new AbortController(), reason: null, timer: null };
    this.#inFlight.set(refKey(attempt), entry);
    this.#perRun.set(attempt.runId, (this.#perRun.get(attempt.runId) ?? 0) + 1);
    return entry;
  }

  #start(entry: InFlight, workDir: string): void {
    const { task, agent } = entry.started;
    if (entry.reason) {
      // Aborted before its driver was called: nothing ran.
      this.#finish(entry, { status: 'cancelled' }, undefined);
      return;
    }
    const driver = this.deps.drivers.get(agent.driver);
    if (!driver) {
      this.#finish(entry, { status: 'failed', error: { kind: 'non_retryable', message: `agent '${agent.id}' uses unknown driver '${agent.driver}'`, retryable: false } }, undefined);
      return;
    }
    if (task.spec.timeoutMs !== null) {
      const ms = task.spec.timeoutMs;
      entry.timer = setTimeout(() => this.#abort(entry, { kind: 'timeout', ms }), ms);
    }
    void this.#execute(entry, driver, workDir);
  }

  async #execute(entry: InFlight, driver: AgentDriver, workDir: string): Promise<void> {
    const { attempt, task, agent } = entry.started;
    const { runtime, options, emitter } = this.deps;
    const key = idempotencyKey(attempt);
    const log = runtime.attemptLogPath(attempt);
    let result;
    try {
      if (!this.#dirs.has(workDir)) {
        runtime.ensureDir(workDir);
        this.#dirs.add(workDir);
      }
      const streamOutput = emitter.has('attempt:output');
      const ctx: AttemptContext = {
        runId: attempt.runId,
        taskId: attempt.taskId,
        attempt: attempt.n,
        idempotencyKey: key,
        task: task.spec,
        feedback: task.feedback ?? null,
        agent,
        workDir,
        logPath: log.absolute,
        attemptLogPath: (n) => runtime.attemptLogPath({ runId: attempt.runId, taskId: attempt.taskId, n }).absolute,
        maxLogBytes: options.maxLogBytes,
        env: {
          TUTTI_RUN_ID: attempt.runId,
          TUTTI_TASK_ID: attempt.taskId,
          TUTTI_ATTEMPT: String(attempt.n),
          TUTTI_IDEMPOTENCY_KEY: key,
        },
        streamOutput,
        emit: streamOutput
          ? (line) => emitter.emit('attempt:output', { runId: attempt.runId, taskId: attempt.taskId, attempt: attempt.n, ...line })
          : () => undefined,
        onProcess: ({ pid }) => this.deps.onProcess(attempt, attempt.token, pid),
        ...(this.deps.coordination ? { coordination: this.deps.coordination({ runId: attempt.runId, taskId: attempt.taskId, n: attempt.n }) } : {}),
      };
      const hooks = this.deps.hooks;
      let stage = `driver '${driver.name}' threw`;
      try {
        if (hooks?.prepareAttempt) {
          stage = 'preparing the attempt failed';
          Object.assign(ctx, await hooks.prepareAttempt(ctx, entry.controller.signal));
          stage = `driver '${driver.name}' threw`;
        }
        result = await driver.execute(ctx, entry.controller.signal);
        if (hooks?.onAttemptFinished && result.status !== 'cancelled') {
          stage = 'recording the attempt output failed';
          await hooks.onAttemptFinished(ctx, result);
        }
      } catch (e) {
        result = { status: 'failed' as const, error: { kind: 'exception' as const, message: `${stage}: ${errorMessage(e)}` } };
      }
    } catch (e) {
      result = { status: 'failed' as const, error: { kind: 'exception' as const, message: `driver '${driver.name}' threw: ${errorMessage(e)}` } };
    }
    this.#finish(entry, result, result.logBytes ? log.stored : undefined);
  }

  #finish(
    entry: InFlight,
    result: { status: 'succeeded' | 'failed' | 'cancelled'; output?: unknown; summary?: string; exitCode?: number | null; error?: AttemptError; usage?: AttemptFinish['usage'] },
    logPath: string | undefined,
  ): void {
    const { attempt } = entry.started;
    const k = refKey(attempt);
    if (!this.#inFlight.delete(k)) return;
    if (entry.timer) clearTimeout(entry.timer);
    const left = (this.#perRun.get(attempt.runId) ?? 1) - 1;
    if (left > 0) this.#perRun.set(attempt.runId, left);
    else this.#perRun.delete(attempt.runId);

    let status: AttemptFinish['status'] = result.status;
    let error = result.error ?? null;
    const reason = entry.reason;
    if (reason && result.status !== 'succeeded') {
      if (reason.kind === 'timeout') {
        status = 'failed';
        error = { kind: 'timeout', message: `timed out after ${reason.ms} ms` };
      } else if (reason.kind === 'shutdown') {
        status = 'interrupted';
        error = { kind: 'cancelled', message: 'engine stopped' };
      } else status = 'cancelled';
    } else if (result.status === 'cancelled' && !reason) {
      status = 'failed';
      error = error ?? { kind: 'crashed', message: 'the driver reported a cancel nobody asked for' };
    }

    const finish: AttemptFinish = { ref: { runId: attempt.runId, taskId: attempt.taskId, n: attempt.n }, token: attempt.token, status, finishedAt: this.deps.runtime.now() };
    if (result.exitCode !== undefined) finish.exitCode = result.exitCode;
    if (error) finish.error = error;
    if (result.summary) finish.summary = result.summary.slice(0, 1000);
    if (result.usage) finish.usage = result.usage;
    if (logPath) finish.logPath = logPath;
    if (result.output !== undefined) {
      const json = JSON.stringify(result.output);
      if (json !== undefined && json.length > this.deps.options.maxInlineOutputBytes) finish.outputRef = this.deps.runtime.writeBlob(json);
      else finish.output = result.output;
    }
    this.deps.onFinish(finish);
    if (this.#inFlight.size === 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  #abort(entry: InFlight, reason: AbortReason): void {
    if (entry.reason) return;
    entry.reason = reason;
    entry.controller.abort(reason);
  }

  /** Aborts the attempts of a run executing here. */
  abortRun(runId: string, reason: AbortReason): void {
    for (const e of this.#inFlight.values()) if (e.started.attempt.runId === runId) this.#abort(e, reason);
  }

  /** Aborts these attempts if they execute here. */
  abortAttempts(refs: readonly AttemptRef[], reason: AbortReason): void {
    for (const r of refs) {
      const e = this.#inFlight.get(refKey(r));
      if (e) this.#abort(e, reason);
    }
  }

  abortAll(reason: AbortReason): void {
    for (const e of this.#inFlight.values()) this.#abort(e, reason);
  }

  /** Resolves when no attempt executes here. */
  idle(): Promise<void> {
    if (this.#inFlight.size === 0) return Promise.resolve();
    return new Promise((r) => this.#idleWaiters.push(r));
  }
}
