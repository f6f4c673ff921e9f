/**
 * Seed 003's REST surface (`/api/orchestrator/*`) over the engine: orchestrate = create a run from
 * a goal, sessions = runs. This is the only module that knows the mapping; the routes depend on
 * the {@link OrchestratorBackend} interface, so the seed facade (`tutti/orchestration-layer`)
 * can replace it without touching them.
 */
import type { Engine } from '../../core/engine.js';
import { TuttiError } from '../../core/errors.js';
import type { EventRecord } from '../../core/model.js';
import type { AgentInput, PlanInput } from '../../core/plan/schema.js';
import type { RunView, TaskView } from '../../core/run-view.js';
import type { OrchestrateRequest, SeedAgentRequest } from './orchestrator-schemas.js';

/** What the seed routes call. Every method resolves JSON in the seed's documented shapes. */
export interface OrchestratorBackend {
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

/** Seed session statuses for run statuses (`executing` is the seed's word for running). */
const SESSION_STATUS: Record<string, string> = {
  queued: 'planning',
  running: 'executing',
  awaiting_approval: 'awaiting_approval',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
  expired: 'expired',
};

/** The plan of an orchestrate request: its steps, or one step doing the whole goal. */
export function planOfRequest(req: OrchestrateRequest): PlanInput {
  const context = req.initialContext && Object.keys(req.initialContext).length ? `\n\nContext:\n${JSON.stringify(req.initialContext, null, 2)}` : '';
  const firstLine = req.goal.split('\n')[0]!;
  const steps = req.steps ?? [{ title: firstLine.slice(0, 500), prompt: req.goal, agentType: req.agent?.type, requiredCapabilities: req.agent?.capabilities }];
  return {
    name: firstLine.slice(0, 200),
    goal: req.goal,
    metadata: { source: 'api/orchestrator', ...(req.userId ? { userId: req.userId } : {}), ...(req.chatId ? { chatId: req.chatId } : {}), ...(req.initialContext ? { initialContext: req.initialContext } : {}), ...req.metadata },
    tasks: steps.map((s, i) => {
      const agent = {
        ...(!req.steps && req.agent?.id ? { id: req.agent.id } : {}),
        ...(s.agentType ? { type: s.agentType } : {}),
        ...(s.requiredCapabilities?.length ? { capabilities: s.requiredCapabilities } : {}),
      };
      return {
        id: 'id' in s && s.id ? s.id : `step-${i + 1}`,
        title: s.title,
        prompt: `${s.prompt ?? s.title}${context}`,
        ...('input' in s && s.input !== undefined ? { input: s.input } : {}),
        ...(Object.keys(agent).length ? { agent } : {}),
        dependsOn: 'dependencies' in s ? (s.dependencies ?? []) : [],
      };
    }),
  };
}

function stepOf(t: TaskView, spec: { agent?: { type?: string; capabilities?: string[] } } | undefined): SeedStep {
  return { id: t.id, title: t.title, agentType: spec?.agent?.type ?? null, requiredCapabilities: spec?.agent?.capabilities ?? [], dependencies: t.dependsOn };
}

/** Whether two tasks of the plan may run at once (some dependency level holds more than one). */
function parallelizable(tasks: readonly TaskView[]): boolean {
  const depth = new Map<string, number>();
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const depthOf = (id: string, seen: Set<string>): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (seen.has(id)) return 0;
    seen.add(id);
    const d = Math.max(-1, ...(byId.get(id)?.dependsOn ?? []).map((p) => depthOf(p, seen))) + 1;
    depth.set(id, d);
    return d;
  };
  const perLevel = new Map<number, number>();
  for (const t of tasks) {
    const d = depthOf(t.id, new Set());
    const n = (perLevel.get(d) ?? 0) + 1;
    if (n > 1) return true;
    perLevel.set(d, n);
  }
  return false;
}

export function sessionStatusOf(view: RunView): SeedSessionStatus {
  const results: Record<string, unknown> = {};
  const errors: string[] = [];
  for (const t of view.tasks) {
    const last = t.attempts[t.attempts.length - 1];
    if (t.status === 'succeeded' && last) results[t.id] = last.output ?? last.summary ?? null;
    if (t.status === 'failed' && last?.error) errors.push(`${t.id}: ${last.error.message}`);
  }
  if (view.error && !errors.length) errors.push(view.error);
  return {
    sessionId: view.id,
    status: SESSION_STATUS[view.status] ?? view.status,
    jobIds: view.tasks.map((t) => t.id),
    completedTasks: view.counts.succeeded,
    totalTasks: view.counts.total,
    results,
    errors,
    startTime: view.startedAt ?? view.createdAt,
  };
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

export function seedAgentOf(a: { id: string; name: string; type: string; status: string; running: number; maxConcurrency: number | null; priority: number; capabilities: string[] }): SeedAgent {
  return {
    id: a.id,
    name: a.name,
    type: a.type,
    status: a.status,
    currentLoad: a.running,
    maxLoad: a.maxConcurrency,
    priority: a.priority,
    capabilities: a.capabilities.map((name) => ({ name, description: '', domains: [] })),
  };
}

/** The seed agent body as a tutti agent definition (capability objects keep their names). */
export function agentInputOf(req: SeedAgentRequest): AgentInput {
  return {
    id: req.id,
    name: req.name,
    type: req.type,
    driver: req.driver ?? 'test',
    capabilities: req.capabilities.map((c) => (typeof c === 'string' ? c : c.name)),
    ...(req.maxLoad !== undefined ? { maxConcurrency: req.maxLoad } : {}),
    ...(req.priority !== undefined ? { priority: req.priority } : {}),
    ...(req.status ? { status: req.status === 'active' ? 'active' : req.status === 'disabled' || req.status === 'offline' ? 'disabled' : 'paused' } : {}),
    ...(req.config ? { config: req.config } : {}),
  };
}

/** Log lines of one session returned at most (the newest). */
const MAX_LOGS = 1000;

/** The seed routes over the engine directly. */
export function createEngineOrchestratorBackend(engine: Engine): OrchestratorBackend {
  const view = async (id: string): Promise<RunView> => {
    const v = await engine.getRun(id);
    if (!v) throw new TuttiError('ERR_RUN_NOT_FOUND', `no session '${id}'`, { details: { sessionId: id } });
    return v;
  };
  return {
    async orchestrate(req) {
      const plan = planOfRequest(req);
      const run = await engine.createRun(plan);
      const v = await view(run.id);
      const specs = new Map(plan.tasks.map((t) => [t.id, t as { agent?: { type?: string; capabilities?: string[] } }]));
      return { ...sessionStatusOf(v), plan: { goal: req.goal, steps: v.tasks.map((t) => stepOf(t, specs.get(t.id))), parallelizable: parallelizable(v.tasks) } };
    },
    async getSession(id) {
      return sessionStatusOf(await view(id));
    },
    async getSessionLogs(id) {
      const run = await engine.store.getRun(id);
      if (!run) throw new TuttiError('ERR_RUN_NOT_FOUND', `no session '${id}'`, { details: { sessionId: id } });
      const events = await engine.listEvents(id, { afterSeq: Math.max(0, run.lastSeq - MAX_LOGS), limit: MAX_LOGS });
      return { sessionId: id, logs: events.map(logOf) };
    },
    async listAgents() {
      const agents = (await engine.listAgents()).map(seedAgentOf);
      return { agents, count: agents.length };
    },
    async registerAgent(req) {
      const [a] = await engine.registerAgents([agentInputOf(req)]);
      return seedAgentOf(a!);
    },
    async stats() {
      const agents = await engine.listAgents();
      const agentsByType: Record<string, number> = {};
      for (const a of agents) agentsByType[a.type] = (agentsByType[a.type] ?? 0) + 1;
      return {
        totalAgents: agents.length,
        activeAgents: agents.filter((a) => a.status === 'active').length,
        busyAgents: agents.filter((a) => a.running > 0).length,
        totalCapacity: agents.reduce((n, a) => n + (a.status === 'disabled' ? 0 : (a.maxConcurrency ?? 0)), 0),
        usedCapacity: agents.reduce((n, a) => n + a.running, 0),
        agentsByType,
      };
    },
  };
}
