/**
 * The farm's agents (seed 002 `AgentDispatcher`) as engine agents: each farm agent is registered
 * on the engine as an agent of type `farm` whose capabilities are the task types it takes, so the
 * engine's own selection (least loaded, then priority, then most specialised) routes every task.
 *
 * The dispatcher keeps a synchronous view of the agents because the seed's `selectAgent` and
 * `getTotalCapacity` are synchronous while the engine's registry lives in its (async) store.
 * Selection over that view uses the engine's selection function; loads come from the engine's
 * attempt events once an orchestrator (or {@link AgentDispatcher.track}) connects it to an engine.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { AgentRecord } from '../../agents/types.js';
import type { Engine } from '../../core/engine.js';
import { TuttiError } from '../../core/errors.js';
import { DEFAULT_RETRY, ID_PATTERN, type AgentInput, type TaskSpec } from '../../core/plan/schema.js';
import { chooseAgent } from '../../core/scheduler/select.js';
import type { DispatchResult, FarmAgent, FarmCapacity, FarmTask, SeedTaskType } from './types.js';

/** The capability that means "every task type" (the seed's general-purpose agent has it). */
export const ALL_TASK_TYPES = '*';

/** The task types of the seed, in the order a wildcard agent lists them. */
export const SEED_TASK_TYPES: readonly SeedTaskType[] = ['implementation', 'test', 'review', 'research'];

/** Engine agent type of every farm agent: farm tasks select it, so no other engine agent takes them. */
export const FARM_AGENT_TYPE = 'farm';

/** Engine limit on an agent's capabilities: a wildcard agent covers at most this many task types. */
export const MAX_AGENT_CAPABILITIES = 64;

/**
 * The seed's default agents: general-purpose (the seed's four types, and every other type: `'*'`,
 * 5), bash (implementation, test, 3), explore (research, review, 5).
 */
export function defaultFarmAgents(): FarmAgent[] {
  return [
    { id: 'general-purpose', name: 'General Purpose Agent', capabilities: [...SEED_TASK_TYPES, ALL_TASK_TYPES], maxConcurrent: 5, currentLoad: 0 },
    { id: 'bash', name: 'Bash Agent', capabilities: ['implementation', 'test'], maxConcurrent: 3, currentLoad: 0 },
    { id: 'explore', name: 'Explore Agent', capabilities: ['research', 'review'], maxConcurrent: 5, currentLoad: 0 },
  ];
}

const farmAgentSchema = z.strictObject({
  id: z.string().regex(ID_PATTERN, 'agent ids start with a letter or digit and use only letters, digits, . _ : - (at most 128 characters)'),
  name: z.string().min(1).max(200),
  capabilities: z.array(z.string().min(1).max(64)).max(MAX_AGENT_CAPABILITIES),
  maxConcurrent: z.number().int().positive(),
  currentLoad: z.number().int().min(0).default(0),
});

/** An agent as given to `registerAgent` (`currentLoad` defaults to 0). */
export type FarmAgentInput = z.input<typeof farmAgentSchema>;

/**
 * Validates a farm agent.
 * @throws TuttiError `ERR_INVALID_INPUT` naming the bad fields.
 */
export function parseFarmAgent(input: unknown): FarmAgent {
  const r = farmAgentSchema.safeParse(input);
  if (r.success) return { ...r.data, capabilities: [...new Set(r.data.capabilities)] };
  const msg = r.error.issues.map((i) => `${i.path.join('.') || '(agent)'}: ${i.message}`).join('; ');
  throw new TuttiError('ERR_INVALID_INPUT', `invalid farm agent: ${msg}`);
}

/** The last agent registration of each engine (see `AgentDispatcher.syncTo`). */
const engineSyncs = new WeakMap<Engine, Promise<void>>();

/** Options of {@link AgentDispatcher}. */
export interface AgentDispatcherOptions {
  /** The agents to start with, instead of the seed's defaults. @default defaultFarmAgents() */
  agents?: FarmAgentInput[];
}

/** The engine task spec a farm task of this type gets its agent by. */
export function selectorSpec(type: string): TaskSpec {
  return { title: type, retry: DEFAULT_RETRY, timeoutMs: null, continueOnFailure: false, agent: { type: FARM_AGENT_TYPE, capabilities: [type] } };
}

/** An agent with its two kinds of load. */
interface AgentEntry {
  agent: Omit<FarmAgent, 'currentLoad'>;
  /** Slots taken by `dispatch()` (or a `currentLoad` given at registration) and not released. */
  reserved: number;
  /** Attempts running on a tracked engine. */
  running: number;
}

/** Where outputs go when no directory is given. */
export function defaultOutputDir(): string {
  return join(tmpdir(), 'tutti-farm-outputs');
}

/**
 * Routes task types to agents (seed 002 `AgentDispatcher`).
 *
 * An agent's `currentLoad` is what runs on it on the engine plus the slots taken by
 * {@link dispatch} and not yet {@link release}d; those reservations lower the capacity the engine
 * may use on the agent (an agent fully reserved is paused on the engine until a release).
 * @example
 * const dispatcher = new AgentDispatcher('/tmp/outputs');
 * const agent = dispatcher.selectAgent('implementation'); // bash: the most specialised free agent
 * const { total, used, available } = dispatcher.getTotalCapacity();
 * dispatcher.registerAgent({ id: 'specialized', name: 'Specialized Agent', capabilities: ['review'], maxConcurrent: 5, currentLoad: 0 });
 */
export class AgentDispatcher {
  /** Where agents write their outputs (`<outputDir>/<taskId>.output`): an orchestrator runs its tasks with this as the work dir. */
  readonly outputDir: string;
  readonly #agents = new Map<string, AgentEntry>();
  /** Agents unregistered since the last engine sync (removed from the engine then). */
  readonly #removed = new Set<string>();
  /** Task types a wildcard agent expands to: the seed's, then every type met, in order. */
  readonly #types = new Set<string>(SEED_TASK_TYPES);
  /** Attempts this dispatcher counts in `currentLoad`, by `runId/taskId/attempt`. */
  readonly #running = new Map<string, string>();
  readonly #tracked = new Map<Engine, { users: number; off: () => void }>();

  /** @param outputDir where agents write outputs (absolute or relative to the process's cwd). @default `<os tmp>/tutti-farm-outputs` */
  constructor(outputDir: string = defaultOutputDir(), options: AgentDispatcherOptions = {}) {
    this.outputDir = outputDir;
    for (const a of options.agents ?? defaultFarmAgents()) this.registerAgent(a);
  }

  #view(e: AgentEntry): FarmAgent {
    return { ...e.agent, capabilities: [...e.agent.capabilities], currentLoad: e.reserved + e.running };
  }

  /**
   * Adds an agent, or replaces the one with the same id (its running attempts still count). A
   * `currentLoad` given here is taken as slots in use elsewhere (reserved, see {@link release}).
   * Orchestrators using this dispatcher register it on their engine before their next batch.
   * @throws TuttiError `ERR_INVALID_INPUT` naming the bad field.
   */
  registerAgent(agent: FarmAgentInput): FarmAgent {
    const { currentLoad, ...parsed } = parseFarmAgent(agent);
    const entry: AgentEntry = { agent: parsed, reserved: currentLoad, running: this.#agents.get(parsed.id)?.running ?? 0 };
    this.#agents.set(parsed.id, entry);
    this.#removed.delete(parsed.id);
    return this.#view(entry);
  }

  /** Removes an agent (from the engine too, at the next batch). @returns false when there was none. */
  unregisterAgent(agentId: string): boolean {
    if (!this.#agents.delete(agentId)) return false;
    this.#removed.add(agentId);
    return true;
  }

  /** The agent with this id (a copy), or null. */
  getAgent(id: string): FarmAgent | null {
    const e = this.#agents.get(id);
    return e ? this.#view(e) : null;
  }

  /** All agents (copies), in registration order. */
  getAgents(): FarmAgent[] {
    return [...this.#agents.values()].map((e) => this.#view(e));
  }

  /** All agents (seed 002 `getAllAgents`). */
  getAllAgents(): FarmAgent[] {
    return this.getAgents();
  }

  /** Agents with a free slot. */
  getAvailableAgents(): FarmAgent[] {
    return this.getAgents().filter((a) => a.currentLoad < a.maxConcurrent);
  }

  /** Whether the agent exists and has a free slot. */
  isAgentAvailable(agentId: string): boolean {
    const a = this.getAgent(agentId);
    return a !== null && a.currentLoad < a.maxConcurrent;
  }

  /**
   * The agent the engine would pick for a task of this type now: among agents taking the type
   * (a wildcard agent takes every type) with a free slot, the least loaded, then the one with the
   * fewest capabilities (the specialist). Does not take a slot (see {@link dispatch}).
   * @returns undefined when no agent takes the type, or every one that does is full.
   */
  selectAgent(taskType: string): FarmAgent | undefined {
    const records = this.#records([taskType]);
    const choice = chooseAgent(selectorSpec(taskType), [], records, () => null);
    return choice.agent ? (this.getAgent(choice.agent.id) ?? undefined) : undefined;
  }

  /**
   * Takes a slot of the agent {@link selectAgent} picks for the task's type (seed 002 `dispatch`),
   * for work done outside the engine; the engine may use one slot less on that agent until
   * {@link release}.
   * @returns the agent and the task's output file, or undefined when no agent is free for the type.
   */
  dispatch(task: Pick<FarmTask, 'taskId' | 'type'>): DispatchResult | undefined {
    const agent = this.selectAgent(task.type);
    if (!agent) return undefined;
    this.#agents.get(agent.id)!.reserved++;
    return { agentId: agent.id, outputFile: this.outputFileOf(task.taskId) };
  }

  /** Gives back a slot taken by {@link dispatch} (seed 002 `release`); nothing when the agent holds none. */
  release(agentId: string): void {
    const e = this.#agents.get(agentId);
    if (e && e.reserved > 0) e.reserved--;
  }

  /** Where the output of a task goes: `<outputDir>/<taskId>.output`. */
  outputFileOf(taskId: string): string {
    return join(this.outputDir, `${taskId}.output`);
  }

  /** Slots over every agent: `total` = Σ maxConcurrent, `used` = Σ currentLoad, `available` = total − used. */
  getTotalCapacity(): FarmCapacity {
    let total = 0;
    let used = 0;
    for (const a of this.getAgents()) {
      total += a.maxConcurrent;
      used += a.currentLoad;
    }
    return { total, used, available: total - used };
  }

  /**
   * Makes wildcard agents take these task types on the engine too (they are added to their
   * engine capabilities, at most {@link MAX_AGENT_CAPABILITIES} types in all).
   */
  coverTypes(types: Iterable<string>): void {
    for (const t of types) if (t !== ALL_TASK_TYPES) this.#types.add(t);
  }

  /** The agents as engine agent definitions (function driver, type `farm`, wildcards expanded, reservations taken off their capacity). */
  toEngineAgents(): AgentInput[] {
    return this.#engineAgents();
  }

  /**
   * Registers the agents on an engine and removes the ones unregistered since. A wildcard agent
   * keeps the task types it already takes there (another orchestrator on the same engine may have
   * added some), so a registration never takes a type away from tasks already queued on the
   * engine. Registrations on one engine are serialised for that reason.
   */
  syncTo(engine: Engine): Promise<void> {
    const previous = engineSyncs.get(engine) ?? Promise.resolve();
    const removed = [...this.#removed];
    const next = previous.then(async () => {
      const current = new Map((await engine.listAgents()).map((a) => [a.id, a] as const));
      for (const id of removed) if (current.get(id)?.type === FARM_AGENT_TYPE) await engine.removeAgent(id).catch(() => undefined);
      const defs = this.#engineAgents().map((def) => {
        const mine = this.#agents.get(def.id)!.agent;
        const there = current.get(def.id);
        if (!mine.capabilities.includes(ALL_TASK_TYPES) || !there || there.type !== FARM_AGENT_TYPE) return def;
        const caps = new Set(def.capabilities);
        for (const c of there.capabilities) if (caps.size < MAX_AGENT_CAPABILITIES) caps.add(c);
        return { ...def, capabilities: [...caps] };
      });
      await engine.registerAgents(defs);
    });
    for (const id of removed) this.#removed.delete(id);
    engineSyncs.set(engine, next.catch(() => undefined));
    return next;
  }

  #engineAgents(): AgentInput[] {
    return [...this.#agents.values()].map(({ agent: a, reserved }) => {
      const free = a.maxConcurrent - reserved;
      return {
        id: a.id,
        name: a.name,
        type: FARM_AGENT_TYPE,
        driver: 'function',
        capabilities: this.#expand(a.capabilities, []),
        maxConcurrency: free > 0 ? free : a.maxConcurrent,
        ...(free > 0 ? {} : { status: 'paused' as const }),
      };
    });
  }

  /**
   * Mirrors an engine's load into `currentLoad`: +1 when an attempt starts on one of these agents,
   * −1 when it ends. Attempts started before the call are not counted. Tracking the same engine
   * again (two orchestrators sharing this dispatcher and an engine) does not count twice.
   * @returns a function that stops this tracking.
   */
  track(engine: Engine): () => void {
    const existing = this.#tracked.get(engine);
    if (existing) existing.users++;
    else this.#tracked.set(engine, { users: 1, off: this.#listen(engine) });
    let done = false;
    return () => {
      const t = this.#tracked.get(engine);
      if (done || !t) return;
      done = true;
      if (--t.users > 0) return;
      t.off();
      this.#tracked.delete(engine);
    };
  }

  #listen(engine: Engine): () => void {
    const key = (e: { runId: string; taskId: string | null; attempt: number | null }) => `${e.runId}/${e.taskId ?? ''}/${e.attempt ?? 0}`;
    const offs = [
      engine.on('attempt:started', (e) => {
        const a = this.#agents.get(e.data.agentId);
        if (!a) return;
        this.#running.set(key(e), e.data.agentId);
        a.running++;
      }),
    ];
    for (const type of ['attempt:succeeded', 'attempt:failed', 'attempt:cancelled', 'attempt:interrupted'] as const) {
      offs.push(
        engine.on(type, (e) => {
          const id = this.#running.get(key(e));
          if (id === undefined) return;
          this.#running.delete(key(e));
          const a = this.#agents.get(id);
          if (a) a.running = Math.max(0, a.running - 1);
        }),
      );
    }
    return () => {
      for (const off of offs) off();
    };
  }

  #expand(capabilities: readonly string[], extra: readonly string[]): string[] {
    if (!capabilities.includes(ALL_TASK_TYPES)) return [...capabilities];
    const all = new Set(capabilities.filter((c) => c !== ALL_TASK_TYPES));
    for (const t of [...this.#types, ...extra]) {
      if (all.size >= MAX_AGENT_CAPABILITIES) break;
      all.add(t);
    }
    return [...all];
  }

  #records(extraTypes: readonly string[]): AgentRecord[] {
    return [...this.#agents.values()].map(({ agent: a, reserved, running }) => ({
      id: a.id,
      name: a.name,
      type: FARM_AGENT_TYPE,
      driver: 'function',
      capabilities: this.#expand(a.capabilities, extraTypes),
      maxConcurrency: a.maxConcurrent,
      priority: 0,
      status: 'active',
      config: {},
      running: reserved + running,
      createdAt: 0,
      updatedAt: 0,
    }));
  }
}
