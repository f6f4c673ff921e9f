/**
 * Seed 003's orchestrator facade over the one engine: `initialize()` registers the default agents
 * (and agents for tools found on the PATH), `orchestrate(goal)` plans the goal through
 * `src/planner` and runs the plan as one engine run (the session), with the session's shared
 * context propagated between steps (`context.ts`). Sessions, loads and statuses are read from the
 * engine's store; logs go to the orchestration logger, persisted in the same store.
 *
 * Constructing an orchestrator does no I/O: the engine is created (or adopted) and started on
 * `initialize()` or the first call that needs it.
 */
import { createEngine } from '../../create-engine.js';
import type { AgentRecord } from '../../agents/types.js';
import type { Engine } from '../../core/engine.js';
import { TuttiError, errorMessage, isTuttiError } from '../../core/errors.js';
import { randomToken } from '../../core/ids.js';
import { StateManager } from '../../memory/state.js';
import { createStateSessions, type StateSessions } from '../../memory/state-sessions.js';
import type { StateStore } from '../../store/state-types.js';
import type { Store } from '../../store/types.js';
import { DEFAULT_AGENTS } from './capabilities.js';
import { AGENT_KEYS, CAPABILITY_KEYS, NO_DRIVER_FUNCTION, ORCHESTRATE_KEYS, capObject, noDriver, toAgentInput, unknownKeys } from './agents.js';
import { SESSION_MARK, createContextHooks, mergeContext, readContext } from './context.js';
import { createEventLog } from './event-log.js';
import { DETERMINISTIC_DRIVER, createDeterministicDriver, stepsToTasks } from './deterministic.js';
import { normaliseSteps, planWithAgents } from './planning.js';
import { createOrchestrationLogger, type OrchestrationLogEntry, type OrchestrationLogger } from './logger.js';
import type { OrchestratorOptions } from './options.js';
import { defaultPolicy, hasCapacity, isEligible, type SchedulingPolicy } from './policy.js';
import { agentInfoOf, agentStatsOf, isParallelizable, seedSteps, sessionStatusOf, type AgentStats } from './shapes.js';
import { loadSeedAgents, removeSeedAgent, saveSeedAgent, type SeedAgentDetails } from './registry.js';
import { agentsForTools, detectInstalledTools } from './tools.js';
import type { AgentDefinition, AgentInfo, OrchestrateOptions, OrchestrationSession, OrchestrationStatus, PlanStep } from './types.js';

export type { OrchestratorOptions, GoalPlanner, LlmSettings } from './options.js';
export { NO_DRIVER_FUNCTION } from './agents.js';

/**
 * Seed 003's orchestrator.
 * @example
 * const orchestrator = createOrchestrator({ dataDir: './.tutti' });
 * await orchestrator.initialize();
 * const result = await orchestrator.orchestrate('Research and write a blog post about quantum computing', { userId: 'user-123' });
 * const status = await orchestrator.getOrchestrationStatus(result.sessionId);
 */
export class Orchestrator {
  readonly #options: OrchestratorOptions;
  #engine: Engine | null = null;
  #ownsEngine = false;
  #init: Promise<void> | null = null;
  #logger: OrchestrationLogger | null = null;
  #policy: SchedulingPolicy;
  #unsubscribe: (() => void) | null = null;
  #closed = false;
  /** Sessions created here (their events are logged whatever their id). */
  readonly #sessions = new Set<string>();
  /** Whether the engine has the deterministic driver (only engines made here do). */
  #deterministic = false;

  constructor(options: OrchestratorOptions = {}) {
    this.#options = { ...options };
    this.#policy = options.policy ?? defaultPolicy;
    if (options.logger && 'flush' in options.logger) this.#logger = options.logger;
  }

  /**
   * Changes options before first use (for the shared `orchestrator` instance). Logger options
   * reconfigure the existing logger (the shared `orchestrationLogger` stays the same object).
   * @throws TuttiError `ERR_INVALID_TRANSITION` once the engine exists.
   */
  configure(options: OrchestratorOptions): this {
    if (this.#engine || this.#closed) throw new TuttiError('ERR_INVALID_TRANSITION', 'configure the orchestrator before its first use');
    Object.assign(this.#options, options);
    if (options.policy) this.#policy = options.policy;
    if (options.logger && 'flush' in options.logger) this.#logger = options.logger;
    else if (options.logger && this.#logger) this.#logger.configure(options.logger);
    return this;
  }

  /** The engine (created on first use). */
  get engine(): Engine {
    if (this.#closed) throw new TuttiError('ERR_ENGINE_STOPPED', 'this orchestrator is closed');
    if (!this.#engine) {
      const o = this.#options;
      if (o.engine) this.#engine = o.engine;
      else {
        // The driver and hooks need the engine's store, which exists once the engine does.
        let made: Engine | null = null;
        const store = (): Store => made!.store;
        made = createEngine({
          ...o.engineOptions,
          ...(o.dataDir ? { dataDir: o.dataDir } : {}),
          ...(o.store ? { store: o.store } : {}),
          drivers: [createDeterministicDriver(store)],
          attemptHooks: createContextHooks(store),
        });
        this.#engine = made;
        this.#ownsEngine = true;
        this.#deterministic = true;
      }
    }
    return this.#engine;
  }

  /** The orchestration logger of this orchestrator (persisted in the engine's store). */
  get logger(): OrchestrationLogger {
    if (!this.#logger) {
      const o = this.#options.logger && !('flush' in this.#options.logger) ? this.#options.logger : {};
      this.#logger = createOrchestrationLogger({ ...o, store: async () => this.engine.store });
    }
    return this.#logger;
  }

  #state: StateSessions | null = null;

  /**
   * Seed 003's state manager over the engine's store: a session's state is the state of its run,
   * and its shared entries are part of the context every later step receives.
   */
  get stateManager(): StateSessions {
    if (!this.#state) {
      const s = (): Store => this.engine.store;
      // The store is opened on the first state call, not here.
      const lazy: StateStore = {
        applyState: (...a) => s().applyState(...a),
        getState: (...a) => s().getState(...a),
        listState: (...a) => s().listState(...a),
        deleteExpiredState: (...a) => s().deleteExpiredState(...a),
        clearState: (...a) => s().clearState(...a),
        acquireStateLock: (...a) => s().acquireStateLock(...a),
        releaseStateLock: (...a) => s().releaseStateLock(...a),
        getStateLock: (...a) => s().getStateLock(...a),
      };
      this.#state = createStateSessions(new StateManager(lazy));
    }
    return this.#state;
  }

  /** The scheduling policy in use. */
  get policy(): SchedulingPolicy {
    return this.#policy;
  }

  /** Replaces the scheduling policy (seed: custom scheduling policies). */
  setPolicy(policy: SchedulingPolicy): void {
    this.#policy = policy;
  }

  /**
   * Opens and starts the engine (when the orchestrator made it), registers the default agents and
   * the agents of detected tools. Idempotent.
   * @throws TuttiError `ERR_STORE_MIGRATION`, `ERR_INVALID_INPUT` (a bad agent definition)
   */
  initialize(): Promise<void> {
    this.#init ??= this.#initialize().catch((e: unknown) => {
      this.#init = null;
      throw e;
    });
    return this.#init;
  }

  async #initialize(): Promise<void> {
    const engine = this.engine;
    if (this.#ownsEngine) await engine.start();
    else if (!this.#options.llm) engine.registerFunction(NO_DRIVER_FUNCTION, noDriver);
    if (this.#options.mirrorEvents !== false) {
      const log = createEventLog(this.logger, (runId) => runId.startsWith('orch-') || this.#sessions.has(runId));
      this.#unsubscribe ??= engine.on('event', log);
    }
    const defs: AgentDefinition[] = [];
    if (this.#options.toolLookup) {
      const found = detectInstalledTools(this.#options.toolLookup, this.#options.tools);
      this.logger.info('orchestrator', `Detected tools: ${found.length ? found.join(', ') : 'none'}`, { data: { tools: found } });
      defs.push(...agentsForTools(found, this.#options.tools));
    }
    for (const d of defs) await this.#register(d, false);
    let defaults = 0;
    if (this.#options.defaultAgents !== false) {
      // A default agent someone re-registered (another driver, other capabilities) is theirs: kept.
      const known = await loadSeedAgents(engine.store, Date.now());
      const existing = new Set((await engine.listAgents()).map((a) => a.id));
      for (const d of DEFAULT_AGENTS) {
        if (existing.has(d.id) && known.get(d.id)?.isDefault !== true) continue;
        await this.#register(structuredClone(d) as AgentDefinition, true);
        defaults++;
      }
    }
    this.logger.info('orchestrator', `Orchestrator initialized with ${defs.length + defaults} agents`, { data: { agents: [...defs.map((d) => d.id), ...(defaults ? DEFAULT_AGENTS.map((d) => d.id) : [])] } });
  }

  /** The driver agents use when they name none: `llm` when configured, `deterministic` on an engine made here, else one that fails with "no driver configured". */
  #defaultDriver(): { driver: string; config?: Record<string, unknown> } {
    if (this.#options.llm) return { driver: 'llm', config: { ...this.#options.llm } };
    if (this.#deterministic) return { driver: DETERMINISTIC_DRIVER };
    return { driver: 'function', config: { function: NO_DRIVER_FUNCTION } };
  }

  async #register(def: AgentDefinition, isDefault: boolean): Promise<AgentInfo> {
    if (!def || typeof def.id !== 'string' || typeof def.name !== 'string' || typeof def.type !== 'string' || !Array.isArray(def.capabilities)) {
      throw new TuttiError('ERR_INVALID_INPUT', 'an agent needs id, name, type and capabilities');
    }
    unknownKeys(def, AGENT_KEYS, `agent '${def.id}'`);
    for (const c of def.capabilities) if (c !== null && typeof c === 'object') unknownKeys(c, CAPABILITY_KEYS, `agent '${def.id}' capability '${String(c.name)}'`);
    const engine = this.engine;
    if (def.currentLoad !== undefined && def.currentLoad !== 0) {
      const actual = (await engine.listAgents()).find((a) => a.id === def.id)?.running ?? 0;
      if (def.currentLoad !== actual) throw new TuttiError('ERR_INVALID_INPUT', `currentLoad: tutti counts an agent's load from its running tasks (${actual} for '${def.id}'); give 0 or leave it out`, { details: { field: 'currentLoad' } });
    }
    const { driver, config } = this.#defaultDriver();
    // Tool agents (docker, git…) carry no driver: they take the default too.
    const [record] = await engine.registerAgents([toAgentInput(def, driver, config)]);
    const details: SeedAgentDetails = { description: def.description ?? '', capabilities: def.capabilities.map(capObject), metadata: def.metadata ?? {}, isDefault };
    await saveSeedAgent(engine.store, def.id, details, Date.now());
    return agentInfoOf(record!, details);
  }

  /**
   * Registers (or updates) an agent (seed 003). Tasks blocked for lack of a capable agent are
   * looked at again.
   * @throws TuttiError `ERR_INVALID_INPUT`, `ERR_UNKNOWN_DRIVER`
   */
  async registerAgent(agent: AgentDefinition): Promise<AgentInfo> {
    await this.initialize();
    const info = await this.#register(agent, false);
    this.logger.info('orchestrator', `Agent registered: ${agent.id}`, { agentId: agent.id, data: { type: agent.type, capabilities: info.capabilities.map((c) => c.name) } });
    return info;
  }

  /** Unregisters an agent. @throws TuttiError `ERR_AGENT_NOT_FOUND` */
  async unregisterAgent(agentId: string): Promise<void> {
    await this.initialize();
    await this.engine.removeAgent(agentId);
    await removeSeedAgent(this.engine.store, agentId, Date.now());
    this.logger.info('orchestrator', `Agent unregistered: ${agentId}`, { agentId });
  }

  /** The agents of the seed's registry (the defaults and those registered here or over REST), with their live load; tutti's own agents are not listed. */
  async listAgents(): Promise<AgentInfo[]> {
    await this.initialize();
    return (await this.#seedRecords()).map(([a, d]) => agentInfoOf(a, d));
  }

  async #seedRecords(): Promise<Array<[AgentRecord, SeedAgentDetails]>> {
    const known = await loadSeedAgents(this.engine.store, Date.now());
    return (await this.engine.listAgents()).flatMap((a) => {
      const d = known.get(a.id);
      return d ? [[a, d] as [AgentRecord, SeedAgentDetails]] : [];
    });
  }

  /**
   * The best agent for a step by the scheduling policy among active agents (of `type` when given)
   * with every capability and room for one more task; undefined when none (seed 003).
   */
  async selectAgent(capabilities: readonly string[], type?: string | null): Promise<AgentInfo | undefined> {
    const request = { requiredCapabilities: [...capabilities], agentType: type ?? null };
    const eligible = (await this.listAgents()).filter((a) => isEligible(a, request));
    return this.#policy(eligible.filter(hasCapacity), request)[0];
  }

  /** Seed 003's `/stats`, over the seed's registry. */
  async getStats(): Promise<AgentStats> {
    await this.initialize();
    return agentStatsOf((await this.#seedRecords()).map(([a]) => a));
  }

  /** Steps of a goal: the given ones, the custom planner's, or the planner run's. */
  async #plan(goal: string, sessionId: string, options: OrchestrateOptions): Promise<PlanStep[]> {
    if (options.steps) return normaliseSteps(options.steps);
    const agents = await this.listAgents();
    if (this.#options.planner) return normaliseSteps(await this.#options.planner(goal, { agents, initialContext: options.initialContext ?? {} }));
    return planWithAgents(this.engine, this.logger, goal, sessionId, agents, this.#options.planTimeoutMs ?? 120_000);
  }

  /**
   * Plans a goal and starts executing it (seed 003). The answer is the session at creation
   * (status `planning` or `executing`); poll {@link getOrchestrationStatus} for progress.
   * @throws TuttiError `ERR_INVALID_INPUT` (empty goal, a used or malformed `sessionId`), PlanValidationError (`ERR_CYCLE`,
   *   `ERR_NO_CAPABLE_AGENT`, `ERR_UNKNOWN_DEPENDENCY`, `ERR_DUPLICATE_TASK`), PlannerError
   *   `ERR_PLANNER_FAILED`. Each is logged (level error) under the session id first.
   */
  async orchestrate(goal: string, options: OrchestrateOptions = {}): Promise<OrchestrationSession> {
    if (typeof goal !== 'string' || goal.trim() === '') throw new TuttiError('ERR_INVALID_INPUT', 'orchestrate needs a goal');
    unknownKeys(options, ORCHESTRATE_KEYS, 'orchestrate options');
    await this.initialize();
    const engine = this.engine;
    const sessionId = options.sessionId ?? `orch-${Date.now()}-${randomToken(3)}`;
    this.#sessions.add(sessionId);
    const log = { sessionId };
    this.logger.info('orchestrator', 'Starting orchestration', { ...log, data: { goal, ...(options.userId ? { userId: options.userId } : {}), ...(options.chatId ? { chatId: options.chatId } : {}) } });
    try {
      if (options.sessionId !== undefined && (await engine.store.getRun(options.sessionId))) {
        throw new TuttiError('ERR_INVALID_INPUT', `session '${options.sessionId}' exists: a session id is used once`, { details: { sessionId: options.sessionId } });
      }
      const planned = await this.#plan(goal, sessionId, options);
      let steps = await this.#place(planned);
      if (!this.#ownsEngine && options.initialContext && Object.keys(options.initialContext).length) {
        // An adopted engine may lack the context hooks: its steps get the initial context in their prompt.
        const json = JSON.stringify(options.initialContext, null, 2);
        steps = steps.map((s) => ({ ...s, description: `${s.description ?? s.title}\n\nContext:\n${json}` }));
      }
      const parallelizable = isParallelizable(steps);
      this.logger.info('orchestrator', 'Task plan created', { ...log, data: { stepCount: steps.length, parallelizable } });
      // The shared context exists before the first step can start.
      if (options.initialContext && Object.keys(options.initialContext).length) {
        const initial = options.initialContext;
        await mergeContext(engine.store, sessionId, (current) => ({ ...current, ...initial }), Date.now);
      }
      const firstLine = goal.trim().split('\n')[0]!;
      await engine.createRun(
        {
          name: firstLine.slice(0, 200),
          goal,
          metadata: {
            ...options.metadata,
            orchestration: SESSION_MARK,
            source: 'orchestrator',
            ...(options.userId ? { userId: options.userId } : {}),
            ...(options.chatId ? { chatId: options.chatId } : {}),
            ...(options.initialContext ? { initialContext: options.initialContext } : {}),
            plan: { steps: seedSteps(steps), parallelizable },
          },
          tasks: stepsToTasks(steps, { maxAttempts: this.#options.retry?.maxAttempts ?? 2, initialBackoffMs: this.#options.retry?.initialBackoffMs ?? 1000 }),
        },
        { runId: sessionId },
      );
      const view = await engine.getRun(sessionId);
      return { ...sessionStatusOf(view!), plan: { goal, steps: seedSteps(steps), parallelizable } };
    } catch (e) {
      this.logger.error('orchestrator', `Orchestration failed: ${errorMessage(e)}`, e, { ...log, data: isTuttiError(e) ? { code: e.code } : {} });
      throw e;
    }
  }

  /** With a custom policy, pins each step to the agent the policy ranks first (the default policy leaves it to the engine). */
  async #place(steps: PlanStep[]): Promise<PlanStep[]> {
    if (this.#policy === defaultPolicy) return steps;
    const agents = await this.listAgents();
    return steps.map((s) => {
      if (s.agentId) return s;
      const request = { requiredCapabilities: s.requiredCapabilities, agentType: s.agentType };
      const best = this.#policy(agents.filter((a) => isEligible(a, request)), request)[0];
      return best ? { ...s, agentType: best.type, agentId: best.id } : s;
    });
  }

  /** The session's status (seed 003), or null for an unknown session. */
  async getOrchestrationStatus(sessionId: string): Promise<OrchestrationStatus | null> {
    await this.initialize();
    const view = await this.engine.getRun(sessionId);
    return view ? sessionStatusOf(view) : null;
  }

  /** The session with its plan, or null. */
  async getSession(sessionId: string): Promise<OrchestrationSession | null> {
    await this.initialize();
    const view = await this.engine.getRun(sessionId);
    if (!view) return null;
    const plan = view.metadata.plan as { steps?: PlanStep[]; parallelizable?: boolean } | undefined;
    const steps = plan?.steps ?? view.tasks.map((t) => ({ id: t.id, title: t.title, agentType: null, requiredCapabilities: [], dependencies: t.dependsOn }));
    return { ...sessionStatusOf(view), plan: { goal: view.goal ?? view.name, steps, parallelizable: plan?.parallelizable ?? isParallelizable(steps) } };
  }

  /** The session's shared context (initial context enriched by each finished step). */
  async getContext(sessionId: string): Promise<Record<string, unknown>> {
    await this.initialize();
    return readContext(this.engine.store, sessionId, Date.now());
  }

  /** Log entries of a session, oldest first (the newest `limit`, default 1000). */
  async getSessionLogs(sessionId: string, limit = 1000): Promise<OrchestrationLogEntry[]> {
    return this.logger.getSessionLogs(sessionId, limit);
  }

  /** Waits for a session to end and answers its final status. @throws TuttiError `ERR_RUN_NOT_FOUND`, `ERR_TIMEOUT` */
  async waitForSession(sessionId: string, options: { timeoutMs?: number } = {}): Promise<OrchestrationStatus> {
    await this.initialize();
    return sessionStatusOf(await this.engine.waitForRun(sessionId, options));
  }

  /** Cancels a session. @throws TuttiError `ERR_RUN_NOT_FOUND` */
  async cancelSession(sessionId: string, reason = 'cancelled by request'): Promise<OrchestrationStatus> {
    await this.initialize();
    await this.engine.cancelRun(sessionId, reason);
    this.logger.warn('orchestrator', `Session cancelled: ${reason}`, { sessionId });
    return sessionStatusOf((await this.engine.getRun(sessionId))!);
  }

  /** Flushes logs and, when the orchestrator made the engine, stops it. The orchestrator is unusable afterwards. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    if (this.#logger && this.#engine) await this.#logger.flush().catch(() => undefined);
    if (this.#engine && this.#ownsEngine) await this.#engine.stop();
    this.#closed = true;
  }
}

/** Creates an orchestrator (no I/O until `initialize()` or the first call). */
export function createOrchestrator(options: OrchestratorOptions = {}): Orchestrator {
  return new Orchestrator(options);
}
