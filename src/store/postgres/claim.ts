/**
 * The claim half of a scheduling transaction on PostgreSQL: ready tasks are read in dispatch order
 * with `FOR UPDATE SKIP LOCKED` (two workers claiming at once take different tasks and never wait
 * for each other), the chooser picks agents, and the attempts start. The agents with a concurrency
 * limit that the chooser picked are then locked and their loads re-counted (`lockAgents`), so
 * their limits hold across workers; a run's limit holds through its locked row.
 */
import { randomInt } from 'node:crypto';
import type { AgentRecord } from '../../agents/types.js';
import { isTerminalRunStatus, type AttemptRecord, type BlockedReason } from '../../core/model.js';
import type { ClaimCandidate, RunLoad } from '../../core/scheduler/select.js';
import { fromJsonList } from '../codec.js';
import type { ClaimRequest, StartedAttempt } from '../types.js';
import type { CandidateRow } from '../sqlite/rows.js';
import { emitReady } from './transitions.js';
import type { PoolClient } from 'pg';
import { inlineParams, type PgTx } from './tx.js';

const CANDIDATE = `t.run_id, t.seq, t.id, t.priority, t.run_priority, t.ready_at, t.attempts, t.failed_agents, t.feedback, t.spec`;
const MAX_PAGES = 8;
const MAX_PAGE = 4096;

function firstPageSize(limit: number): number {
  return Math.min(limit * 2 + 16, 64);
}

/** A fencing token: 48 random bits, unique in practice per attempt. */
export function newToken(): number {
  return randomInt(1, 2 ** 48 - 1);
}

async function isSaturated(tx: PgTx, runId: string): Promise<boolean> {
  const run = await tx.run(runId);
  return run !== undefined && run.max_concurrency !== null && run.running >= run.max_concurrency;
}

async function readPage(tx: PgTx, req: ClaimRequest, size: number, offset: number): Promise<CandidateRow[]> {
  if (req.runIds) {
    const rows: CandidateRow[] = [];
    for (const id of req.runIds) {
      if (await isSaturated(tx, id)) continue;
      rows.push(
        ...(await tx.q<CandidateRow>(
          `SELECT ${CANDIDATE} FROM tasks t WHERE t.status = 'ready' AND t.run_id = $1 AND t.ready_at <= $2 ORDER BY t.priority DESC, t.ready_at, t.seq LIMIT $3 OFFSET $4 FOR UPDATE SKIP LOCKED`,
          [id, tx.now, size, offset],
        )),
      );
    }
    if (req.runIds.length > 1) rows.sort((a, b) => b.run_priority - a.run_priority || b.priority - a.priority || a.ready_at! - b.ready_at! || a.seq - b.seq);
    return rows;
  }
  return tx.q<CandidateRow>(`${READY_ALL} LIMIT $4 OFFSET $5 FOR UPDATE OF t SKIP LOCKED`, [...saturationParams(tx), size, offset]);
}

/**
 * Ready tasks of every run in dispatch order, leaving out runs at their limit as of this
 * transaction (its own starts and finishes included: $2, $3): their tasks would fill the page.
 */
const READY_ALL = `SELECT ${CANDIDATE} FROM tasks t WHERE t.status = 'ready' AND t.ready_at <= $1
  AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = t.run_id AND r.max_concurrency IS NOT NULL
    AND COALESCE((SELECT o.running FROM unnest($2::text[], $3::int[]) AS o(id, running) WHERE o.id = r.id), r.running) >= r.max_concurrency)
  ORDER BY t.run_priority DESC, t.priority DESC, t.ready_at, t.run_id, t.seq`;

function saturationParams(tx: PgTx): [number, string[], number[]] {
  const loaded = tx.loadedRuns().filter((r) => r.max_concurrency !== null);
  return [tx.now, loaded.map((r) => r.id), loaded.map((r) => r.running)];
}

/** PREPARE_SQL and the first page of READY_ALL in one round trip. */
const PREPARE_WITH_PAGE_SQL = `WITH u AS (
  UPDATE tasks SET status = 'ready', blocked_reason = NULL WHERE status = 'blocked' AND ready_at <= $1 AND (blocked_reason::json ->> 'kind') = 'rate_limited' RETURNING run_id, id, seq
)
SELECT (SELECT json_agg(u) FROM u) AS unparked,
  (SELECT json_agg(x ORDER BY x.id) FROM (SELECT a.id, a.version, (SELECT count(*) FROM attempts t WHERE t.agent_id = a.id AND t.status = 'running') AS running FROM agents a) x) AS agents,
  (SELECT json_agg(c ORDER BY c.run_priority DESC, c.priority DESC, c.ready_at, c.run_id, c.seq) FROM (${READY_ALL} LIMIT $4 FOR UPDATE OF t SKIP LOCKED) c) AS candidates`;

/**
 * Locks the limited agents the chooser picked (id order) and refreshes their loads: a claim in
 * another worker that used them has committed its attempts by the time the lock is granted, and
 * the count runs as a new statement (a new snapshot) after the lock. Claims that use only
 * unlimited agents never wait for each other.
 */
async function lockAgents(tx: PgTx, agents: AgentRecord[]): Promise<void> {
  const ids = agents.filter((a) => a.maxConcurrency !== null && !tx.lockedAgents.has(a.id)).map((a) => a.id);
  if (ids.length === 0) return;
  ids.sort();
  await tx.q(`SELECT id FROM agents WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`, [ids]);
  const rows = await tx.q<{ agent_id: string; n: number }>(`SELECT agent_id, count(*) AS n FROM attempts WHERE status = 'running' AND agent_id = ANY($1::text[]) GROUP BY agent_id`, [ids]);
  const running = new Map(rows.map((r) => [r.agent_id, r.n]));
  for (const a of agents) {
    if (!ids.includes(a.id)) continue;
    a.running = running.get(a.id) ?? 0;
    tx.lockedAgents.add(a.id);
  }
}

/** Starts up to `limit` attempts of ready tasks, agents chosen by `req.choose`. */
/** Unparks rate-limited tasks whose limit reset and reads every agent's version and load: one round trip. */
const PREPARE_SQL = `WITH u AS (
  UPDATE tasks SET status = 'ready', blocked_reason = NULL WHERE status = 'blocked' AND ready_at <= $1 AND (blocked_reason::json ->> 'kind') = 'rate_limited' RETURNING run_id, id, seq
)
SELECT (SELECT json_agg(u) FROM u) AS unparked,
  (SELECT json_agg(x ORDER BY x.id) FROM (SELECT a.id, a.version, (SELECT count(*) FROM attempts t WHERE t.agent_id = a.id AND t.status = 'running') AS running FROM agents a) x) AS agents`;

/** What PREPARE_SQL and PREPARE_WITH_PAGE_SQL return. */
export type ClaimPrep = {
  unparked: Array<{ run_id: string; id: string; seq: number }> | null;
  agents: Array<{ id: string; version: number; running: number }> | null;
  candidates?: CandidateRow[] | null;
};

/**
 * PREPARE_WITH_PAGE_SQL with its parameters inlined, to send after a finish in the transaction's
 * first round trip. The finish's run counts as not saturated for the page (its load is only known
 * after the finish): the chooser still holds the run to its limit.
 */
export function prepareInline(c: Pick<PoolClient, 'escapeLiteral'>, now: number, limit: number, runId: string): string {
  return inlineParams(c, PREPARE_WITH_PAGE_SQL, [now, [runId], [0], firstPageSize(limit)]);
}

/** @param prefetched the result of {@link prepareInline}, when it was sent already. */
export async function claimTx(tx: PgTx, req: ClaimRequest, prefetched?: ClaimPrep): Promise<StartedAttempt[]> {
  let size = firstPageSize(req.limit);
  // Over every run, the first page comes with the agents' loads: one round trip.
  const [prep] = prefetched ? [prefetched] : req.runIds ? await tx.q<ClaimPrep>(PREPARE_SQL, [tx.now]) : await tx.q<ClaimPrep>(PREPARE_WITH_PAGE_SQL, [...saturationParams(tx), size]);
  // Rate-limited tasks whose limit reset are ready again (the statement's page could not see them: read it again).
  const unparked = prep?.unparked ?? [];
  await emitReady(tx, unparked);
  let firstPage: CandidateRow[] | null = req.runIds || unparked.length ? null : (prep?.candidates ?? []);
  const agents = await tx.agents(prep?.agents ?? []);
  if (agents.every((a) => a.status !== 'active' || (a.maxConcurrency !== null && a.running >= a.maxConcurrency))) return [];
  const runs = new Map<string, RunLoad>();
  const started: StartedAttempt[] = [];
  let offset = 0;
  for (let page = 0; page < MAX_PAGES && started.length < req.limit; page++) {
    const rows = firstPage ?? (await readPage(tx, req, size, offset));
    firstPage = null;
    if (rows.length === 0) break;
    const left = await claimPage(tx, req, rows, agents, runs, started);
    // Started tasks stay `ready` in the database until the flush: only blocked ones left the ready set.
    offset += rows.length - left;
    if (rows.length < size) break;
    size = Math.min(size * 2, MAX_PAGE);
  }
  return started;
}

async function claimPage(tx: PgTx, req: ClaimRequest, rows: CandidateRow[], agents: AgentRecord[], runs: Map<string, RunLoad>, started: StartedAttempt[]): Promise<number> {
  const candidates: ClaimCandidate[] = [];
  const byKey = new Map<string, { row: CandidateRow; candidate: ClaimCandidate }>();
  await tx.lockRuns(rows.map((r) => r.run_id));
  for (const row of rows) {
    const run = await tx.run(row.run_id);
    if (!run || isTerminalRunStatus(run.status)) continue;
    if (!runs.has(row.run_id)) runs.set(row.run_id, { running: run.running, maxConcurrency: run.max_concurrency });
    const c: ClaimCandidate = { runId: row.run_id, taskId: row.id, spec: tx.spec(row.run_id, row.seq, row.id, row.spec), failedAgents: fromJsonList(row.failed_agents) };
    candidates.push(c);
    byKey.set(`${row.run_id}\u0000${row.id}`, { row, candidate: c });
  }
  const decision = req.choose({ candidates, agents, runs, slots: req.limit - started.length });
  const agentById = new Map(agents.map((a) => [a.id, a] as const));
  // Agent limits hold across workers: lock the limited agents picked, then re-check their loads.
  const picked = [...new Set(decision.assignments.map((a) => agentById.get(a.agentId)).filter((a): a is AgentRecord => a !== undefined))];
  await lockAgents(tx, picked);
  let left = 0;
  for (const asg of decision.assignments) {
    const entry = byKey.get(`${asg.runId}\u0000${asg.taskId}`);
    const agent = agentById.get(asg.agentId);
    if (!entry || !agent) continue;
    // Full once its load was refreshed under the lock: the task stays ready for a later claim.
    if (agent.maxConcurrency !== null && agent.running >= agent.maxConcurrency) continue;
    const { row, candidate } = entry;
    const run = (await tx.run(asg.runId))!;
    const n = row.attempts + 1;
    const token = newToken();
    // Written with the flush (attempt row and task status), in the transaction's last statement.
    tx.start({ runId: row.run_id, seq: row.seq, n, taskId: row.id, token, agentId: agent.id, workerId: req.workerId });
    agent.running++;
    run.running++;
    runs.get(asg.runId)!.running++;
    if (run.status === 'queued') {
      run.status = 'running';
      run.started_at = tx.now;
      tx.emit(run, { type: 'run:started' });
    }
    tx.emit(run, { type: 'attempt:started', taskId: row.id, attempt: n, data: { agentId: agent.id } });
    const attempt: AttemptRecord = {
      runId: row.run_id,
      taskId: row.id,
      n,
      token,
      status: 'running',
      agentId: agent.id,
      workerId: req.workerId,
      startedAt: tx.now,
      finishedAt: null,
      exitCode: null,
      error: null,
      output: null,
      outputRef: null,
      summary: null,
      usage: null,
      logPath: null,
      pid: null,
    };
    const task = { runId: row.run_id, id: row.id, seq: row.seq, spec: candidate.spec, attempts: n, feedback: row.feedback };
    started.push({ attempt, task, agent: { ...agent } satisfies AgentRecord, workDir: run.work_dir });
  }
  for (const b of decision.blocked) {
    const entry = byKey.get(`${b.runId}\u0000${b.taskId}`);
    if (!entry) continue;
    const res = await tx.q(`UPDATE tasks SET status = 'blocked', blocked_reason = $1 WHERE run_id = $2 AND seq = $3 AND status = 'ready' RETURNING 1`, [JSON.stringify(b.reason), b.runId, entry.row.seq]);
    if (res.length > 0) {
      left++;
      tx.emit((await tx.run(b.runId))!, { type: 'task:blocked', taskId: b.taskId, data: { reason: b.reason as BlockedReason } });
    }
  }
  return left;
}
