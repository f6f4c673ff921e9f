/**
 * Seed 001's data types in TypeScript: `SessionStatus`, `SessionInfo`, `OrchestratorConfig`, and
 * its exceptions as `TuttiError` subclasses with stable codes.
 */
import type { LlmAgentConfig, LlmDriverOptions } from '../../agents/drivers/llm/index.js';
import type { TaskFunction } from '../../agents/types.js';
import type { CreateEngineOptions } from '../../create-engine.js';
import { TuttiError } from '../../core/errors.js';
import type { AgentInput } from '../../core/plan/schema.js';

/** Session statuses (seed `SessionStatus`): `SessionStatus.RUNNING === 'running'`. */
export const SessionStatus = {
  PENDING: 'pending',
  RUNNING: 'running',
  AWAITING_APPROVAL: 'awaiting_approval',
  COMPLETED: 'completed',
  FAILED: 'failed',
  EXPIRED: 'expired',
} as const;
export type SessionStatus = (typeof SessionStatus)[keyof typeof SessionStatus];

/** Seed `SessionInfo`, read from the engine's store (never from process memory). */
export interface SessionInfo {
  sessionId: string;
  userMission: string;
  /** The name given to `startNewSession`, else `default`. */
  projectName: string;
  status: SessionStatus;
  /** `pm`, `architect`, `approval`, `engineer`, `qa`, or `completed`. */
  currentPhase: string;
  createdAt: Date;
  updatedAt: Date;
  /** Times QA sent the work back to the engineer (the qa task's loop rewinds). */
  iterationCount: number;
  /** The last QA run passed (a person accepting failing tests does not count). */
  qaPassed: boolean;
  /** Absolute path of the session's project directory. */
  workDir: string;
}

/**
 * Seed `get_artifacts`: absolute paths, null when not produced, under the seed's keys (`prd`,
 * `tech_spec`, `scaffold`, `bug_report`, `work_dir`: what `Object.keys` and `JSON.stringify`
 * show). `techSpec`, `bugReport` and `workDir` read the same values (not enumerable).
 */
export interface SessionArtifacts {
  prd: string | null;
  tech_spec: string | null;
  scaffold: string | null;
  bug_report: string | null;
  work_dir: string | null;
  readonly techSpec: string | null;
  readonly bugReport: string | null;
  readonly workDir: string | null;
}

/** Where a rejection sends the work. `engineer` is a tutti extension, valid when the session waits after QA ran out of iterations. */
export type RejectTarget = 'pm' | 'architect' | 'engineer';

/** An `llm` agent for the text roles (pm and architect): its driver config. */
export type LlmRolesConfig = Partial<LlmAgentConfig> & Pick<LlmAgentConfig, 'baseUrl' | 'model'>;

/**
 * Seed `OrchestratorConfig` (first five fields), plus tutti's settings. All optional. The seed's
 * snake_case names (`db_path`, `max_iterations`, `session_ttl_days`, `work_dir_base`,
 * `use_sqlite_checkpointer`, and `max_active_sessions`, `test_command`, `git_init`, `data_dir`)
 * are accepted for the same settings; an unknown name is refused (`SessionValidationError`).
 */
export interface OrchestratorConfig {
  db_path?: string;
  max_iterations?: number;
  session_ttl_days?: number;
  work_dir_base?: string;
  use_sqlite_checkpointer?: boolean;
  max_active_sessions?: number;
  test_command?: string | string[];
  git_init?: boolean;
  data_dir?: string;
  /** SQLite file of the sessions. @default 'data/orchestrator.db' (relative to the working directory) */
  dbPath?: string;
  /** Engineer ↔ QA iterations before a person is asked for help. @default 5 */
  maxIterations?: number;
  /** Days a session may wait for an approval before it becomes `expired`. @default 7 */
  sessionTtlDays?: number;
  /** Parent of the sessions' project directories (`<workDirBase>/<sessionId>`). @default 'projects' */
  workDirBase?: string;
  /** Keep sessions in the SQLite file (durable across restarts); false: in memory, gone with the process. @default true */
  useSqliteCheckpointer?: boolean;
  /** Live sessions (pending, running, awaiting approval) allowed at once. @default 100 */
  maxActiveSessions?: number;
  /** Agents to register: roles are found by capability (`pm`, `architect`, `code`). @default [] (agents already in the store) */
  agents?: AgentInput[];
  /** In-process functions for `function` agents (scripted roles). */
  functions?: Record<string, TaskFunction>;
  /** Registers the `llm` agent `dev-team-llm` with capabilities pm and architect. */
  llm?: LlmRolesConfig;
  /** `llm` driver settings (env with the API key, prices, fetch). @default process.env, no prices */
  llmDriver?: LlmDriverOptions;
  /** What QA runs in the project directory. @default 'sh test.sh' (created by the architect's scaffold.sh) */
  testCommand?: string | string[];
  /** `git init` each project directory, so documents are committed and coding agents get worktrees. @default true */
  gitInit?: boolean;
  /** Directory of attempt logs and large outputs. @default the directory of dbPath */
  dataDir?: string;
  /** Engine settings (poll interval, concurrency, timeouts…). */
  engine?: Omit<CreateEngineOptions, 'dataDir' | 'store' | 'functions' | 'agents' | 'llm' | 'runScope' | 'workDir'>;
}

/** The config with every default applied; paths absolute. */
export interface ResolvedOrchestratorConfig {
  dbPath: string;
  maxIterations: number;
  sessionTtlDays: number;
  workDirBase: string;
  useSqliteCheckpointer: boolean;
  maxActiveSessions: number;
  testCommand: string | string[];
  gitInit: boolean;
  dataDir: string;
}

/** Seed `SessionNotFoundError`: no session has this id. */
export class SessionNotFoundError extends TuttiError {
  readonly sessionId: string;
  constructor(sessionId: string) {
    super('ERR_RUN_NOT_FOUND', `session not found: ${sessionId}`, { details: { sessionId } });
    this.name = 'SessionNotFoundError';
    this.sessionId = sessionId;
  }
}

/** Seed `InvalidOperationError`: the operation does not fit the session's state (e.g. approving a running session). */
export class InvalidOperationError extends TuttiError {
  constructor(message: string, details: Record<string, unknown>) {
    super('ERR_NOT_AWAITING_APPROVAL', message, { details });
    this.name = 'InvalidOperationError';
  }
}

/** Seed `ValueError`: an empty mission or feedback, an unknown `rejectTo`, a bad config value. */
export class SessionValidationError extends TuttiError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('ERR_INVALID_INPUT', message, details ? { details } : undefined);
    this.name = 'SessionValidationError';
  }
}

/** Seed `RuntimeError` on too many sessions: `maxActiveSessions` live sessions exist. */
export class SessionLimitError extends TuttiError {
  constructor(limit: number) {
    super('ERR_LIMIT_EXCEEDED', `maximum sessions exceeded: ${limit} sessions are pending, running or awaiting approval; finish some or raise maxActiveSessions`, { details: { limit } });
    this.name = 'SessionLimitError';
  }
}
