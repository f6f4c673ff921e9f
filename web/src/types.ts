/** The API's JSON shapes the dashboard uses (see /openapi.json). */
export type RunStatus = 'queued' | 'running' | 'awaiting_approval' | 'completed' | 'failed' | 'cancelled' | 'expired';
export type TaskStatus = 'pending' | 'ready' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'skipped' | 'blocked' | 'awaiting_approval';

export const RUN_STATUSES: RunStatus[] = ['queued', 'running', 'awaiting_approval', 'completed', 'failed', 'cancelled', 'expired'];
export const TERMINAL_RUN: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled', 'expired']);

export interface BlockedReason {
  kind: string;
  [k: string]: unknown;
}

export interface AttemptView {
  n: number;
  agentId: string;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  exitCode: number | null;
  error: { kind: string; message: string } | null;
  summary: string | null;
  output: unknown;
  outputRef: string | null;
  usage: Usage | null;
  logPath: string | null;
}

/** Tokens and cost an agent reported for an attempt. */
export interface Usage {
  inputTokens?: number;
  outputTokens?: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  /** USD. */
  costUsd?: number;
}

export interface TaskView {
  id: string;
  title: string;
  status: TaskStatus;
  dependsOn: string[];
  priority: number;
  blockedReason: BlockedReason | null;
  startedAt: string | null;
  finishedAt: string | null;
  attempts: AttemptView[];
  [k: string]: unknown;
}

export interface RunCounts {
  total: number;
  pending: number;
  ready: number;
  running: number;
  blocked: number;
  awaitingApproval: number;
  succeeded: number;
  failed: number;
  skipped: number;
  cancelled: number;
}

/** Set when the status says queued or running but no live engine holds the run. */
export interface Interruption {
  reason: string;
  /** `resume with: tutti resume` */
  hint: string;
}

export interface RunSummary {
  id: string;
  name: string;
  goal: string | null;
  status: RunStatus;
  priority: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
  /** Tasks ended / total, percent: how far, not how well (use counts). */
  progress: number;
  interrupted: Interruption | null;
  error: string | null;
  counts: RunCounts;
  metadata: Record<string, unknown>;
}

export interface PendingApproval {
  taskId: string;
  message: string;
  since: string | null;
  expiresAt: string | null;
}

export interface RunView extends RunSummary {
  approvals: PendingApproval[];
  tasks: TaskView[];
}

export interface EventRecord {
  id: number;
  runId: string;
  seq: number;
  ts: number;
  type: string;
  taskId: string | null;
  attempt: number | null;
  data: Record<string, unknown> | null;
}

export interface OutputLine {
  taskId: string;
  attempt: number;
  stream: string;
  text: string;
}

export interface AgentView {
  id: string;
  name: string;
  type: string;
  driver: string;
  capabilities: string[];
  maxConcurrency: number | null;
  priority: number;
  status: 'active' | 'paused' | 'disabled';
  running: number;
  load: number | null;
}

export interface Stats {
  runs: Record<string, number>;
  tasks: Record<string, number>;
  blocked: Record<string, number>;
  queueDepth: number;
  agents: { total: number; active: number; busy: number; running: number; capacity: number | null };
  engine: { state: string; workerId: string; inFlight: number };
}

export interface Artifact {
  kind: 'output' | 'log';
  taskId: string;
  attempt: number;
  name: string;
  bytes: number | null;
  url: string;
}

export interface LogChunk {
  taskId: string;
  attempt: number;
  status: string;
  size: number;
  offset: number;
  nextOffset: number;
  text: string;
}

/** `GET /api/v1/runs/{id}/review`: what the run spent, against its budgets, and its merges. */
export interface Spent {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** Input + output. */
  tokens: number;
  costUsd: number | null;
  wallMs: number;
}

export interface BudgetView {
  scope: 'task' | 'agent';
  taskId?: string;
  agentId?: string;
  limits: { usd?: number; tokens?: number; wallMs?: number };
  spent: Spent;
}

export interface RunReview {
  runId: string;
  spent: Spent;
  budgets: BudgetView[];
  tasks: Array<{ taskId: string; spent: Spent; budget: BudgetView | null; attempts: Array<{ n: number; agentId: string; status: string; spent: Spent; hasDiff: boolean }> }>;
  merges: Array<{ id: number; taskId: string; target: string; branch: string; status: string; enqueuedAt: string; finishedAt: string | null; mergedSha: string | null; message: string | null }>;
}

export interface AttemptDiff {
  repoRoot: string;
  base: string;
  ref: string;
  files: Array<{ path: string; oldPath?: string; additions: number | null; deletions: number | null }>;
  diff: string;
  bytes: number;
  truncated: boolean;
}

export interface TranscriptEntry {
  kind: 'run' | 'session' | 'assistant' | 'user' | 'tool_call' | 'tool_result' | 'file_change' | 'error' | 'result' | 'text';
  cli: string | null;
  text?: string;
  tool?: string;
  id?: string;
  args?: string;
  output?: string;
  ok?: boolean;
}

export interface Transcript {
  clis: string[];
  entries: TranscriptEntry[];
  logBytes: number;
  truncated: boolean;
}
