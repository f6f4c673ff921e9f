/**
 * The claim half of a scheduling transaction: read ready tasks in dispatch order (run priority,
 * task priority, age), let the chooser pick agents, start the attempts. Tasks the chooser cannot
 * start now (their agents or runs are at capacity) stay ready; the claim pages past them, so a
 * backlog pinned to a busy agent never starves tasks other agents could run.
 */
import { randomFillSync } from 'node:crypto';
import type { AgentRecord } from '../../agents/types.js';
import { isTerminalRunStatus, type AttemptRecord, type BlockedReason } from '../../core/model.js';
import type { ClaimCandidate, RunLoad } from '../../core/scheduler/select.js';
import { fromJsonList } from '../codec.js';
import type { ClaimRequest, StartedAttempt } from '../types.js';
import { candidateFromRaw, type CandidateRow } from './rows.js';
import type { Tx } from './tx.js';

/** Ready tasks read by the first page: small, since most claims start a few tasks. */
function firstPageSize(limit: number): number {
  return Math.min(limit * 2 + 16, 64);
}

/**
 * Pages read at most per claim, each twice the size of the previous one (up to 4,096 rows): a
 * claim looks ~12,000 ready tasks deep when the first ones must wait for busy agents, which
 * bounds the work of one transaction. A deeper backlog pinned to busy agents can still hide a task
 * behind it until the backlog shrinks.
 */
const MAX_PAGES = 8;
const MAX_PAGE = 4096;

/** Random bytes for 1,024 tokens, refilled when used up (one call into the CSPRNG per 1,024 attempts). */
const tokenPool = Buffer.alloc(6 * 1024);
let tokenPos = tokenPool.length;

/** A fencing token: 48 random bits (never 0), unique in practice per attempt. */
function newToken(): number {
  if (tokenPos >= tokenPool.length) {
    randomFillSync(tokenPool);
    tokenPos = 0;
  }
  const token = tokenPool.readUIntBE(tokenPos, 6);
  tokenPos += 6;
  return token === 0 ? 1 : token;
}

/** Whether a run has as many running attempts as it may (as of this transaction). */
function isSaturated(tx: Tx, runId: string): boolean {
  const run = tx.run(runId);
  return run !== undefined && run.max_concurrency !== null && run.running >= run.max_concurrency;
}

/** Dispatch order: run priority, task priority, age (then run and position, as the ready index). */
function byDispatchOrder(a: CandidateRow, b: CandidateRow): number {
  return b.run_priority - a.run_priority || b.priority - a.priority || a.ready_at! - b.ready_at! || (a.run_id < b.run_id ? -1 : a.run_id > b.run_id ? 1 : 0) || a.seq - b.seq;
}

/**
 * A page of ready tasks in dispatch order. `complete`: the page holds every ready task the claim
 * may consider (no run filled its page), so tasks made ready in this transaction can join it.
 */
function readPage(tx: Tx, req: ClaimRequest, size: number, offset: number): { rows: CandidateRow[]; complete: boolean } {
  const s = tx.s;
  if (req.runIds) {
    const rows: CandidateRow[] = [];
    let complete = true;
    for (const id of req.runIds) {
      if (isSaturated(tx, id)) continue;
      const page = (s.readyOfRun.all(id, tx.now, size, offset) as unknown[][]).map(candidateFromRaw);
      if (page.length >= size) complete = false;
      for (const r of page) rows.push(r);
    }
    if (req.runIds.length > 1) rows.sort((a, b) => b.run_priority - a.run_priority || b.priority - a.priority || a.ready_at! - b.ready_at! || a.seq - b.seq);
    return { rows, complete };
  }
  // A run at its limit would fill the page with tasks it may not start: leave such runs out.
  const saturated = (s.limitedRuns.pluck().all() as string[]).filter((id) => isSaturated(tx, id));
  const raw = (saturated.length === 0 ? s.readyAll.all(tx.now, size, offset) : s.readyAllExcept.all(tx.now, JSON.stringify(saturated), size, offset)) as unknown[][];
  const rows = raw.map(candidateFromRaw);
  return { rows, complete: rows.length < size };
}

/**
 * The first page, with the tasks this transaction made ready (kept out of the table, see
 * `Tx.deferReady`) merged in when the page holds every other ready task; otherwise they are
 * written ready first and read back in order.
 */
function firstPage(tx: Tx, req: ClaimRequest, size: number): { rows: CandidateRow[]; complete: boolean } {
  const page = readPage(tx, req, size, 0);
  if (tx.readied.size === 0) return page;
  const scope = req.runIds ? new Set(req.runIds) : null;
  const extra = [...tx.readied.values()].filter((r) => (scope === null || scope.has(r.run_id)) && !isSaturated(tx, r.run_id));
  if (!page.complete || extra.length !== tx.readied.size) {
    tx.settleReady();
    return readPage(tx, req, size, 0);
  }
  const rows = page.rows.length ? [...page.rows, ...extra].sort(byDispatchOrder) : extra.length > 1 ? extra.sort(byDispatchOrder) : extra;
  return { rows, complete: true };
}

/** Starts up to `limit` attempts of ready tasks, agents chosen by `req.choose`. */
export function claimTx(tx: Tx, req: ClaimRequest): StartedAttempt[] {
  // Rate-limited tasks whose limit reset are ready again.
  if (tx.s.anyBlockedDue.get(tx.now) !== undefined) {
    for (const r of tx.s.unparkTasks.all(tx.now) as Array<{ run_id: string; id: string }>) {
      const run = tx.run(r.run_id);
      if (run) tx.emit(run, { type: 'task:ready', taskId: r.id });
    }
  }
  let size = firstPageSize(req.limit);
  // Loads as of this transaction: finishes applied just before released their agents.
  const agents = tx.agents();
  // Every agent busy: nothing can start, whatever is ready.
  if (agents.every((a) => a.status !== 'active' || (a.maxConcurrency !== null && a.running >= a.maxConcurrency))) return [];
  const runs = new Map<string, RunLoad>();
  const started: StartedAttempt[] = [];
  let offset = 0;
  for (let page = 0; page < MAX_PAGES && started.length < req.limit; page++) {
    const { rows, complete } = page === 0 ? firstPage(tx, req, size) : readPage(tx, req, size, offset);
    if (rows.length === 0) break;
    const taken = claimPage(tx, req, rows, agents, runs, started);
    // Started and blocked tasks left the ready index; the rest of this page stays ahead of the next.
    offset += rows.length - taken;
    if (complete) break;
    size = Math.min(size * 2, MAX_PAGE);
  }
  return started;
}

/** Offers one page to the chooser and applies its decision. @returns how many rows left the ready set. */
function claimPage(tx: Tx, req: ClaimRequest, rows: CandidateRow[], agents: AgentRecord[], runs: Map<string, RunLoad>, started: StartedAttempt[]): number {
  const s = tx.s;
  const candidates: ClaimCandidate[] = [];
  const byKey = new Map<string, { row: CandidateRow; candidate: ClaimCandidate }>();
  for (const row of rows) {
    const run = tx.run(row.run_id);
    if (!run || isTerminalRunStatus(run.status)) continue;
    if (!runs.has(row.run_id)) runs.set(row.run_id, { running: run.running, maxConcurrency: run.max_concurrency });
    const c: ClaimCandidate = { runId: row.run_id, taskId: row.id, spec: tx.spec(row.run_id, row.seq, row.id, row.spec), failedAgents: fromJsonList(row.failed_agents) };
    candidates.push(c);
    byKey.set(`${row.run_id}\u0000${row.id}`, { row, candidate: c });
  }
  const decision = req.choose({ candidates, agents, runs, slots: req.limit - started.length });
  const agentById = new Map(agents.map((a) => [a.id, a] as const));
  let taken = 0;
  for (const asg of decision.assignments) {
    const entry = byKey.get(`${asg.runId}\u0000${asg.taskId}`);
    const agent = agentById.get(asg.agentId);
    if (!entry || !agent) continue;
    const { row, candidate } = entry;
    const run = tx.run(asg.runId)!;
    const n = row.attempts + 1;
    const token = newToken();
    s.insertAttempt.run(row.run_id, row.seq, n, row.id, token, agent.id, req.workerId, tx.now);
    s.startTask.run(n, tx.now, row.run_id, row.seq);
    tx.startedReadied(row.run_id, row.seq);
    // Started: no later claim reads this spec (a retry decodes it again).
    tx.specCache.delete(`${row.run_id}\u0000${row.seq}`);
    tx.agentLoad(agent.id, 1);
    agent.running++;
    run.running++;
    runs.get(asg.runId)!.running++;
    taken++;
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
  // Kept-ready tasks not started are written ready before any is blocked (blockTask expects 'ready').
  tx.settleReady();
  for (const b of decision.blocked) {
    const entry = byKey.get(`${b.runId}\u0000${b.taskId}`);
    if (entry && s.blockTask.run(JSON.stringify(b.reason), b.runId, entry.row.seq).changes > 0) {
      taken++;
      tx.emit(tx.run(b.runId)!, { type: 'task:blocked', taskId: b.taskId, data: { reason: b.reason as BlockedReason } });
    }
  }
  return taken;
}
