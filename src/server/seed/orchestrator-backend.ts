/**
 * Seed 003's REST surface (`/api/orchestrator/*`) over the `tutti/orchestrator` facade: sessions
 * are runs, statuses, agents and stats come from the facade, so the library and the API answer
 * alike. The routes depend on the {@link OrchestratorBackend} interface only.
 */
import { createOrchestrator, type AgentDefinition, type AgentInfo, type BlockedStep, type LlmSettings, type OrchestrateOptions, type Orchestrator } from '../../compat/orchestrator/index.js';
import type { Engine } from '../../core/engine.js';
import { TuttiError } from '../../core/errors.js';
import type { EventRecord } from '../../core/model.js';
import type { OrchestrateRequest, SeedAgentRequest } from './orchestrator-schemas.js';

/** What the seed routes call. Every method resolves JSON in the seed's documented shapes. */
export interface OrchestratorBackend {
  /** Prepares the backend when the server starts (the seed's default agents); the routes call it too, so a failure here is retried on use. */
  initialize?(): Promise<void>;
  orchestrate(request: OrchestrateRequest): Promise<SeedSession>;
  /** @throws TuttiError `ERR_RUN_NOT_FOUND` */
  getSession(sessionId: string): Promise<SeedSessionStatus>;
  /** @throws TuttiError `ERR_RUN_NOT_FOUND` */
  getSessionLogs(sessionId: string): Promise<{ sessionId: string; logs: SeedLog[] }>;
  listAgents(): Promise<{ agents: SeedAgent[]; count: number }>;
  registerAgent(request: SeedAgentRequest): Promise<SeedAgent>;
  stats(): Promise<SeedStats>;
}

export interface SeedStep {
  id: string;
  title: string;
  agentType: string | null;
  requiredCapabilities: string[];
  dependencies: string[];
}

export interface SeedSessionStatus {
  sessionId: string;
  status: string;
  jobIds: string[];
  completedTasks: number;
  totalTasks: number;
  results: Record<string, unknown>;
  errors: string[];
  startTime: string;
  /** tutti extension: steps not running and why (the troubleshooting answer to "stuck in pending"). */
  blocked: BlockedStep[];
}

export interface SeedSession extends SeedSessionStatus {
  plan: { goal: string; steps: SeedStep[]; parallelizable: boolean };
}

export interface SeedLog {
  id: string;
  timestamp: string;
  level: 'debug' | 'info' | 'warn' | 'error' | 'critical';
  source: string;
  message: string;
  sessionId: string;
  taskId?: string;
  data?: Record<string, unknown>;
}

export interface SeedAgent {
  id: string;
  name: string;
  type: string;
  status: string;
  currentLoad: number;
  maxLoad: number | null;
  priority: number;
  capabilities: Array<{ name: string; description: string; domains: string[] }>;
}

export interface SeedStats {
  totalAgents: number;
  activeAgents: number;
  busyAgents: number;
  totalCapacity: number;
  usedCapacity: number;
  agentsByType: Record<string, number>;
}

/**
 * The steps of an orchestrate request: its steps; with `agent`, one step doing the whole goal on
 * that agent; else undefined (the orchestrator's planner splits the goal, as in seed 003).
 */
export function stepsOfRequest(req: OrchestrateRequest): OrchestrateOptions['steps'] {
  if (req.steps) {
    return req.steps.map((s, i) => ({
      id: s.id ?? `step-${i + 1}`,
      title: s.title,
      ...(s.prompt !== undefined ? { description: s.prompt } : {}),
      ...(s.agentType ? { agentType: s.agentType } : {}),
      ...(s.requiredCapabilities ? { requiredCapabilities: s.requiredCapabilities } : {}),
      dependencies: s.dependencies ?? [],
      ...(s.input !== undefined ? { input: s.input } : {}),
    }));
  }
  if (!req.agent) return undefined;
  const firstLine = req.goal.split('\n')[0]!;
  return [
    {
      id: 'step-1',
      title: firstLine.slice(0, 500),
      description: req.goal,
      ...(req.agent?.type ? { agentType: req.agent.type } : {}),
      ...(req.agent?.capabilities ? { requiredCapabilities: req.agent.capabilities } : {}),
      ...(req.agent?.id ? { agentId: req.agent.id } : {}),
    },
  ];
}

function levelOf(e: EventRecord): SeedLog['level'] {
  if (e.type === 'run:failed') return 'critical';
  if (e.type.endsWith(':failed')) return 'error';
  if (e.type === 'task:retrying' || e.type === 'task:blocked' || e.type.endsWith(':cancelled') || e.type.endsWith(':interrupted')) return 'warn';
  return 'info';
}

function messageOf(e: EventRecord): string {
  const d = e.data ?? {};
  const subject = e.taskId ? `task ${e.taskId}${e.attempt ? ` attempt ${e.attempt}` : ''}` : 'run';
  const detail = typeof d.error === 'string' ? `: ${d.error}` : typeof d.message === 'string' ? `: ${d.message}` : typeof d.reason === 'string' ? `: ${d.reason}` : '';
  return `${subject} ${e.type.split(':')[1] ?? e.type}${detail}`;
}

/** A seed log line for an event. */
export function logOf(e: EventRecord): SeedLog {
  return {
    id: `log-${e.id}`,
    timestamp: new Date(e.ts).toISOString(),
    level: levelOf(e),
    source: e.type.startsWith('attempt:') ? 'agent' : e.type.startsWith('task:') ? 'task' : 'orchestrator',
    message: messageOf(e),
    sessionId: e.runId,
    ...(e.taskId ? { taskId: e.taskId } : {}),
    ...(e.data && Object.keys(e.data).length ? { data: e.data } : {}),
  };
}

/** The REST shape of an agent. */
function seedAgentOf(a: AgentInfo): SeedAgent {
  return {
    id: a.id,
    name: a.name,
    type: a.type,
    status: a.status,
    currentLoad: a.currentLoad,
    maxLoad: a.maxLoad,
    priority: a.priority,
    capabilities: a.capabilities.map((c) => ({ name: c.name, description: c.description, domains: c.domains })),
  };
}

/** The seed agent body as the facade's agent definition. */
function agentDefinitionOf(req: SeedAgentRequest): AgentDefinition {
  return {
    id: req.id,
    name: req.name,
    type: req.type,
    ...(req.description !== undefined ? { description: req.description } : {}),
    capabilities: req.capabilities,
    ...(req.priority !== undefined ? { priority: req.priority } : {}),
    ...(req.status ? { status: req.status } : {}),
    ...(req.maxLoad !== undefined ? { maxLoad: req.maxLoad } : { maxLoad: null }),
    ...(req.currentLoad !== undefined ? { currentLoad: req.currentLoad } : {}),
    ...(req.metadata ? { metadata: req.metadata } : {}),
    ...(req.driver ? { driver: req.driver } : {}),
    ...(req.config ? { config: req.config } : {}),
  };
}

/** Log lines of one session returned at most (the newest). */
const MAX_LOGS = 1000;

/** Options of {@link createEngineOrchestratorBackend}. */
export interface EngineOrchestratorBackendOptions {
  /** The facade to use. @default one adopting the engine (see below) */
  orchestrator?: Orchestrator;
  /**
   * An OpenAI-compatible endpoint: the seed's four default agents, and agents registered without
   * a driver, use the `llm` driver with these settings (the planner drafts plans with it). Without
   * it their tasks fail with `no driver configured` (the goal is still planned, by keywords).
   */
  llm?: LlmSettings;
}

/**
 * The seed routes over an engine, through the `tutti/orchestrator` facade adopting the engine:
 * the seed's four agents (planner, researcher, coder, reviewer) are registered on first use, so a
 * fresh server answers the seed's `POST /orchestrate`; engine events are read from the store
 * rather than mirrored into the logger.
 */
export function createEngineOrchestratorBackend(engine: Engine, options: EngineOrchestratorBackendOptions = {}): OrchestratorBackend {
  const facade = options.orchestrator ?? createOrchestrator({ engine, mirrorEvents: false, ...(options.llm ? { llm: options.llm } : {}) });
  const notFound = (id: string) => new TuttiError('ERR_RUN_NOT_FOUND', `no session '${id}'`, { details: { sessionId: id } });
  return {
    initialize: () => facade.initialize(),
    async orchestrate(req) {
      const steps = stepsOfRequest(req);
      return facade.orchestrate(req.goal, {
        ...(req.userId ? { userId: req.userId } : {}),
        ...(req.chatId ? { chatId: req.chatId } : {}),
        ...(req.initialContext ? { initialContext: req.initialContext } : {}),
        metadata: { source: 'api/orchestrator', ...req.metadata },
        ...(steps ? { steps } : {}),
      });
    },
    async getSession(id) {
      const status = await facade.getOrchestrationStatus(id);
      if (!status) throw notFound(id);
      return status;
    },
    async getSessionLogs(id) {
      const run = await engine.store.getRun(id);
      if (!run) throw notFound(id);
      const events = await engine.listEvents(id, { afterSeq: Math.max(0, run.lastSeq - MAX_LOGS), limit: MAX_LOGS });
      // The engine's events, then the orchestrator's own entries (planning, decisions, failures).
      const own = (await facade.getSessionLogs(id, MAX_LOGS)).map((l) => ({ ...l, sessionId: id }));
      return { sessionId: id, logs: [...events.map(logOf), ...own] };
    },
    async listAgents() {
      const agents = (await facade.listAgents()).map(seedAgentOf);
      return { agents, count: agents.length };
    },
    async registerAgent(req) {
      return seedAgentOf(await facade.registerAgent(agentDefinitionOf(req)));
    },
    async stats() {
      return facade.getStats();
    },
  };
}
