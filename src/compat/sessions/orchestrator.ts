/**
 * Seed 001's `Orchestrator`: sessions are runs of the `dev-team` template on one tutti engine
 * (SQLite at `dbPath`). Every answer is read from the engine's store, so a new `Orchestrator` on
 * the same `dbPath` — in this process or after a crash — sees the same sessions and resumes them.
 * Constructing one does no I/O; the engine opens and starts on the first call.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { createEngine } from '../../create-engine.js';
import type { Engine } from '../../core/engine.js';
import { isTuttiError } from '../../core/errors.js';
import { randomToken } from '../../core/ids.js';
import type { AgentInput } from '../../core/plan/schema.js';
import type { RunRecord } from '../../core/model.js';
import { renderTemplate } from '../../templates/index.js';
import { DEV_TEAM_REWIND_TARGETS } from '../../templates/dev-team.js';
import { ensureGitRepo } from '../../templates/steps/git.js';
import { eventLine, isSession, runStatusesOf, sessionArtifacts, sessionInfo, sessionStatusOf } from './info.js';
import {
  InvalidOperationError,
  SessionLimitError,
  SessionNotFoundError,
  SessionStatus,
  SessionValidationError,
  type OrchestratorConfig,
  type RejectTarget,
  type ResolvedOrchestratorConfig,
  type SessionArtifacts,
  type SessionInfo,
} from './types.js';

const configSchema = z.strictObject({
  dbPath: z.string().min(1).default('data/orchestrator.db'),
  maxIterations: z.number().int().min(1).max(100).default(5),
  sessionTtlDays: z.number().positive().max(3650).default(7),
  workDirBase: z.string().min(1).default('projects'),
  useSqliteCheckpointer: z.boolean().default(true),
  maxActiveSessions: z.number().int().positive().default(100),
  testCommand: z.union([z.string().min(1), z.array(z.string()).min(1)]).default(['sh', 'test.sh']),
  gitInit: z.boolean().default(true),
  dataDir: z.string().min(1).optional(),
  // tutti's settings checked where they are used (engine, agents, functions, llm): listed so no key is silently dropped.
  agents: z.array(z.unknown()).optional(),
  functions: z.record(z.string(), z.unknown()).optional(),
  llm: z.record(z.string(), z.unknown()).optional(),
  llmDriver: z.record(z.string(), z.unknown()).optional(),
  engine: z.record(z.string(), z.unknown()).optional(),
});

/** The seed's (Python) names of the config fields → tutti's. */
const SNAKE_CASE: Readonly<Record<string, string>> = {
  db_path: 'dbPath',
  max_iterations: 'maxIterations',
  session_ttl_days: 'sessionTtlDays',
  work_dir_base: 'workDirBase',
  use_sqlite_checkpointer: 'useSqliteCheckpointer',
  max_active_sessions: 'maxActiveSessions',
  test_command: 'testCommand',
  git_init: 'gitInit',
  data_dir: 'dataDir',
};

/**
 * The config with the seed's snake_case names read as tutti's; `{ config: {...} }` (the seed's
 * `Orchestrator(config=config)`) is the same as the config itself. A `Path`-like value (an object
 * with `toString`, e.g. a URL) is taken as its text.
 * @throws SessionValidationError for a field given under both names.
 */
export function normaliseConfig(input: unknown): Record<string, unknown> {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) throw new SessionValidationError('OrchestratorConfig is an object');
  let raw = input as Record<string, unknown>;
  const keys = Object.keys(raw);
  if (keys.length === 1 && keys[0] === 'config' && raw.config && typeof raw.config === 'object') raw = raw.config as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    const name = SNAKE_CASE[k] ?? k;
    if (name in out) throw new SessionValidationError(`invalid OrchestratorConfig: ${k} and ${name} are the same setting; give one`, { field: k });
    out[name] = v instanceof URL ? fileURLToPath(v) : v;
  }
  return out;
}

const DAY_MS = 24 * 3600 * 1000;
/** Who decisions made through this API are recorded as. */
const DECIDER = 'sessions-api';
const LIVE = ['queued', 'running', 'awaiting_approval'] as const;

/**
 * Manages dev-team sessions (seed 001).
 * @example
 * const orchestrator = new Orchestrator({ agents: [...] });
 * const sessionId = await orchestrator.startNewSession('Build a REST API for user authentication', 'auth-service');
 * const info = await orchestrator.getSessionStatus(sessionId);
 * if (info.status === SessionStatus.AWAITING_APPROVAL) await orchestrator.approveAndContinue(sessionId);
 * await orchestrator.close();
 */
export class Orchestrator {
  /** The resolved configuration (seed field names; paths absolute). */
  readonly config: ResolvedOrchestratorConfig;
  readonly #options: OrchestratorConfig;
  #engine: Promise<Engine> | null = null;
  #closed = false;

  /**
   * @param config tutti's or the seed's (snake_case) field names, or `{ config }` as the seed passes it.
   * @throws SessionValidationError for a bad config value or an unknown field.
   */
  constructor(config: OrchestratorConfig | { config: OrchestratorConfig } = {}) {
    const normalised = normaliseConfig(config);
    const r = configSchema.safeParse(normalised);
    if (!r.success) {
      const what = r.error.issues.map((i) => (i.code === 'unrecognized_keys' ? `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `'${k}'`).join(', ')}` : `${i.path.join('.')}: ${i.message}`));
      throw new SessionValidationError(`invalid OrchestratorConfig: ${what.join('; ')}`);
    }
    const c = r.data;
    const dbPath = resolve(c.dbPath);
    this.config = {
      dbPath,
      maxIterations: c.maxIterations,
      sessionTtlDays: c.sessionTtlDays,
      workDirBase: resolve(c.workDirBase),
      useSqliteCheckpointer: c.useSqliteCheckpointer,
      maxActiveSessions: c.maxActiveSessions,
      testCommand: c.testCommand,
      gitInit: c.gitInit,
      dataDir: resolve(c.dataDir ?? dirname(dbPath)),
    };
    this.#options = normalised as OrchestratorConfig;
  }

  /** The engine behind the sessions (opened and started on first use), e.g. for `createServer`. */
  engine(): Promise<Engine> {
    if (this.#closed) return Promise.reject(new InvalidOperationError('this Orchestrator is closed', {}));
    this.#engine ??= this.#open().catch((e: unknown) => {
      this.#engine = null;
      throw e;
    });
    return this.#engine;
  }

  async #open(): Promise<Engine> {
    const { dataDir, dbPath, useSqliteCheckpointer } = this.config;
    mkdirSync(dataDir, { recursive: true });
    if (useSqliteCheckpointer) mkdirSync(dirname(dbPath), { recursive: true });
    const agents: AgentInput[] = [...(this.#options.agents ?? [])];
    if (this.#options.llm) agents.push({ id: 'dev-team-llm', name: 'dev-team writer (LLM)', driver: 'llm', capabilities: ['pm', 'architect'], config: { ...this.#options.llm } });
    const engine = createEngine({
      pollMs: 200,
      ...this.#options.engine,
      dataDir,
      store: { sqlite: useSqliteCheckpointer ? dbPath : ':memory:' },
      workDir: this.config.workDirBase,
      runScope: 'all',
      agents,
      ...(this.#options.functions ? { functions: this.#options.functions } : {}),
      ...(this.#options.llmDriver ? { llm: this.#options.llmDriver } : {}),
    });
    await engine.start();
    return engine;
  }

  readonly #servers = new Set<{ close(): Promise<void> }>();

  /**
   * Serves seed 001's HTTP endpoints over this orchestrator's engine: `GET /healthz` (200 healthy,
   * 503 once closed), `GET /readyz` (the database), `GET /metrics` (Prometheus, with
   * `sessions_total`, `sessions_active`, `approvals_total`, `rejections_total` read from the
   * store), and the rest of tutti's API (`tutti/server`). Closed by {@link close}.
   * @param options `host` (default 127.0.0.1), `port` (default 0: any free port), `token`
   *   (bearer token of `/api` and `/metrics`; required beyond loopback).
   * @returns the base URL, and `close()` to stop serving.
   * @throws TuttiError `ERR_INVALID_OPTIONS` for a host beyond loopback without a token.
   */
  async serve(options: { host?: string; port?: number; token?: string | null } = {}): Promise<{ url: string; close(): Promise<void> }> {
    const engine = await this.engine();
    // The server (fastify) loads only when asked for.
    const { createServer } = await import('../../server/index.js');
    const server = createServer({ engine, dataDir: this.config.dataDir, token: options.token ?? null });
    const { url } = await server.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
    const handle = {
      url,
      close: async () => {
        this.#servers.delete(handle);
        await server.close();
      },
    };
    this.#servers.add(handle);
    return handle;
  }

  /** Stops serving and stops the engine: running attempts are handed back and resume with the next Orchestrator on this dbPath. */
  async close(): Promise<void> {
    await Promise.all([...this.#servers].map((s) => s.close().catch(() => undefined)));
    this.#closed = true;
    const pending = this.#engine;
    this.#engine = null;
    if (pending) await (await pending.catch(() => null))?.stop();
  }

  async #run(sessionId: string): Promise<{ engine: Engine; run: RunRecord }> {
    const engine = await this.engine();
    const run = typeof sessionId === 'string' && sessionId ? await engine.store.getRun(sessionId) : null;
    if (!run || !isSession(run)) throw new SessionNotFoundError(String(sessionId));
    return { engine, run };
  }

  /**
   * Creates a session: a project directory `<workDirBase>/<id>` (a git repository) and a dev-team
   * run, which starts at once with the pm.
   * @returns the session id (`sess_` + 16 hex characters: the creation time in ms, then 2 random bytes)
   * @throws SessionValidationError (empty mission), SessionLimitError (`maxActiveSessions` reached),
   *   PlanValidationError `ERR_NO_CAPABLE_AGENT` when no agent has a role's capability.
   */
  async startNewSession(userMission: string, projectName?: string | null): Promise<string> {
    if (typeof userMission !== 'string' || userMission.trim() === '') throw new SessionValidationError('mission cannot be empty');
    if (projectName !== undefined && projectName !== null && (typeof projectName !== 'string' || projectName.length > 200)) throw new SessionValidationError('projectName is a string of at most 200 characters');
    const engine = await this.engine();
    if ((await this.#countLive(engine)) >= this.config.maxActiveSessions) throw new SessionLimitError(this.config.maxActiveSessions);
    // Time first (48-bit ms, hex), then randomness: ids sort by creation, so "most recent" lists are.
    const sessionId = `sess_${Date.now().toString(16).padStart(12, '0')}${randomToken(2)}`;
    const workDir = join(this.config.workDirBase, sessionId);
    const plan = renderTemplate('dev-team', userMission, {
      maxIterations: this.config.maxIterations,
      testCommand: this.config.testCommand,
      approvalTtlMs: Math.round(this.config.sessionTtlDays * DAY_MS),
      ...(projectName ? { projectName } : {}),
    });
    // Validate before anything is written to disk.
    await engine.validatePlan(plan);
    mkdirSync(workDir, { recursive: true });
    if (this.config.gitInit) await ensureGitRepo(workDir, process.env, { nested: true });
    await engine.createRun(plan, { runId: sessionId, workDir });
    return sessionId;
  }

  async #countLive(engine: Engine): Promise<number> {
    let n = 0;
    let before: string | undefined;
    for (;;) {
      const page = await engine.store.listRuns({ status: [...LIVE], limit: 500, ...(before ? { before } : {}) });
      n += page.filter(isSession).length;
      if (page.length < 500 || n >= this.config.maxActiveSessions) return n;
      before = page[page.length - 1]!.id;
    }
  }

  /** @throws SessionNotFoundError */
  async getSessionStatus(sessionId: string): Promise<SessionInfo> {
    const { engine, run } = await this.#run(sessionId);
    return sessionInfo(engine.store, run, join(this.config.workDirBase, run.id));
  }

  /**
   * Sessions, newest first: `listSessions()`, `listSessions(SessionStatus.RUNNING)`,
   * `listSessions(undefined, 10)` (the seed's positional `status, limit`), or
   * `listSessions({ status, limit })`.
   * @param status only sessions in this status. @param limit at most this many. @default 100
   * @throws SessionValidationError for an unknown status, a bad limit, or an unknown option.
   */
  async listSessions(status?: SessionStatus | null | { status?: SessionStatus | null; limit?: number }, limit?: number): Promise<SessionInfo[]> {
    let wanted: SessionStatus | null | undefined;
    let max = limit;
    if (status !== null && typeof status === 'object') {
      const unknown = Object.keys(status).filter((k) => k !== 'status' && k !== 'limit');
      if (unknown.length) throw new SessionValidationError(`listSessions: unknown option ${unknown.map((k) => `'${k}'`).join(', ')} (status, limit)`);
      if (limit !== undefined && status.limit !== undefined) throw new SessionValidationError('listSessions: limit is given twice');
      wanted = status.status;
      max = status.limit ?? limit;
    } else wanted = status;
    limit = max ?? 100;
    if (!Number.isInteger(limit) || limit < 0) throw new SessionValidationError('limit is a non-negative integer');
    status = wanted ?? undefined;
    if (status !== undefined && !Object.values(SessionStatus).includes(status)) throw new SessionValidationError(`unknown status '${String(status)}' (one of ${Object.values(SessionStatus).join(', ')})`);
    const engine = await this.engine();
    const out: SessionInfo[] = [];
    let before: string | undefined;
    while (out.length < limit) {
      const page = await engine.store.listRuns({ ...(status ? { status: runStatusesOf(status) } : {}), limit: 200, ...(before ? { before } : {}) });
      for (const run of page) {
        if (out.length >= limit) break;
        if (isSession(run)) out.push(await sessionInfo(engine.store, run, join(this.config.workDirBase, run.id)));
      }
      if (page.length < 200) break;
      before = page[page.length - 1]!.id;
    }
    return out;
  }

  /**
   * Approves what the session waits for (the spec review, or help after QA ran out of iterations)
   * and lets it continue.
   * @throws SessionNotFoundError; InvalidOperationError when it is not awaiting approval.
   */
  async approveAndContinue(sessionId: string): Promise<SessionInfo> {
    const { engine, run } = await this.#run(sessionId);
    this.#mustAwait(run, 'approve');
    try {
      await engine.approveRun(run.id, { by: DECIDER });
    } catch (e) {
      if (isTuttiError(e, 'ERR_NOT_AWAITING_APPROVAL')) throw new InvalidOperationError(`cannot approve session ${run.id}: ${e.message}`, { sessionId: run.id });
      throw e;
    }
    return this.getSessionStatus(run.id);
  }

  /**
   * Rejects what the session waits for: `rejectTo` (`architect` by default, or `pm`; `engineer`
   * after QA ran out of iterations) works again with the feedback, and every later phase is redone.
   * @throws SessionNotFoundError; SessionValidationError (empty feedback, bad `rejectTo`);
   *   InvalidOperationError when it is not awaiting approval.
   */
  async rejectAndIterate(sessionId: string, feedback: string, rejectTo: RejectTarget = 'architect'): Promise<SessionInfo> {
    const { engine, run } = await this.#run(sessionId);
    if (!(DEV_TEAM_REWIND_TARGETS as readonly string[]).includes(rejectTo)) throw new SessionValidationError(`rejectTo must be "pm" or "architect" (or "engineer" after QA ran out of iterations), got ${JSON.stringify(rejectTo)}`, { rejectTo });
    if (typeof feedback !== 'string' || feedback.trim() === '') throw new SessionValidationError('feedback cannot be empty');
    this.#mustAwait(run, 'reject');
    try {
      await engine.rejectRun(run.id, { feedback, rewindTo: rejectTo, by: DECIDER });
    } catch (e) {
      if (isTuttiError(e, 'ERR_NOT_AWAITING_APPROVAL')) throw new InvalidOperationError(`cannot reject session ${run.id}: ${e.message}`, { sessionId: run.id });
      if (isTuttiError(e, 'ERR_INVALID_INPUT')) throw new SessionValidationError(`cannot send session ${run.id} back to ${rejectTo}: ${e.message}`, { rejectTo });
      throw e;
    }
    return this.getSessionStatus(run.id);
  }

  #mustAwait(run: RunRecord, verb: string): void {
    if (run.status !== 'awaiting_approval') {
      throw new InvalidOperationError(`cannot ${verb} session ${run.id}: it is ${sessionStatusOf(run)}, not awaiting approval`, { sessionId: run.id, status: sessionStatusOf(run) });
    }
  }

  /** Paths of the PRD, tech spec, scaffold script, bug report and project directory (null when absent). @throws SessionNotFoundError */
  async getArtifacts(sessionId: string): Promise<SessionArtifacts> {
    const { run } = await this.#run(sessionId);
    return sessionArtifacts(run.workDir ?? join(this.config.workDirBase, run.id));
  }

  /**
   * The session's last `lines` log lines (its events: phases, attempts, approvals, failures).
   * @throws SessionNotFoundError; SessionValidationError for a bad `lines`.
   */
  async getRecentLogs(sessionId: string, lines = 50): Promise<string> {
    if (!Number.isInteger(lines) || lines < 0) throw new SessionValidationError('lines is a non-negative integer');
    const { engine, run } = await this.#run(sessionId);
    if (lines === 0) return '';
    const events = await engine.store.listEvents(run.id, { afterSeq: Math.max(0, run.lastSeq - lines), limit: lines });
    return events.map(eventLine).join('\n');
  }

  /** Whether the session is executing now: pending or running (not waiting for a person, not finished). Unknown ids: false. */
  async isRunning(sessionId: string): Promise<boolean> {
    try {
      const { run } = await this.#run(sessionId);
      return run.status === 'running' || run.status === 'queued';
    } catch (e) {
      if (e instanceof SessionNotFoundError) return false;
      throw e;
    }
  }
}
