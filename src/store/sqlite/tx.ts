/**
 * One write transaction's working set: the runs it touched (read once, written once at the end if
 * changed), agent load deltas, and the events it appends — one event row per run, so a transition
 * costs one insert however many events it records.
 * Only used inside `db.transaction(...)`, which holds SQLite's write lock throughout.
 */
import type { NewEvent } from '../../core/events.js';
import type { EventRecord } from '../../core/model.js';
import type { AgentRecord } from '../../agents/types.js';
import type { TaskSpec } from '../../core/plan/schema.js';
import { decodeSpec } from '../codec.js';
import { EVENT_ID_STRIDE, runStateFromRaw, toAgent, type AgentRow, type CandidateRow, type EncodedEvent, type RunStateRow } from './rows.js';
import type { Statements } from './statements.js';

/** Decoded specs kept at most (a cleared cache only costs re-decoding). */
const SPEC_CACHE_MAX = 50_000;

/** A dependant as `depDone` returns it (spec only once it has no pending dependency left). */
export type DepRow = Omit<CandidateRow, 'run_id' | 'seq'> & { kind: string; status: string; pending_deps: number };

interface PendingEvents {
  run: RunStateRow;
  firstSeq: number;
  list: EncodedEvent[];
  /** Position of each event in the transaction, to return them in emission order. */
  order: number[];
}

export class Tx {
  readonly #runs = new Map<string, { row: RunStateRow; original: RunStateRow }>();
  readonly #agentDelta = new Map<string, number>();
  readonly #events = new Map<string, PendingEvents>();
  #emitted = 0;
  /**
   * Set by claim transactions: a dependant whose last dependency succeeds stays `pending` in the
   * table (with `pending_deps = 0` and its `ready_at`) and is kept here, so the claim can start it
   * without it entering and leaving the ready indexes (two index pages fewer per chain step).
   * Everything kept is either started or written `ready` ({@link settleReady}) before the commit,
   * and before any statement that reads tasks by status.
   */
  deferReady = false;
  readonly #readied = new Map<string, CandidateRow>();
  /**
   * Dependants touched by finishes of this claim transaction, with their pending dependency count
   * as decremented so far: the first finish decrements the row, later ones (a join's other parents
   * finishing in the same batch) only this copy, written once by {@link settleDeps}.
   */
  readonly #deps = new Map<string, { runId: string; seq: number; row: DepRow; dirty: boolean }>();

  constructor(
    readonly s: Statements,
    readonly now: number,
    /** Parsed agent definitions by id, reused while their version is unchanged (owned by the store). */
    readonly agentCache: Map<string, { version: number; agent: AgentRecord }> = new Map(),
    /** Decoded task specs by `run\0seq` (specs never change once stored; owned by the store). */
    readonly specCache: Map<string, TaskSpec> = new Map(),
  ) {}

  /** A task's decoded spec; ready tasks are read by many claims, so decode each once. */
  spec(runId: string, seq: number, id: string, json: string): TaskSpec {
    const key = `${runId}\u0000${seq}`;
    let spec = this.specCache.get(key);
    if (!spec) {
      if (this.specCache.size >= SPEC_CACHE_MAX) this.specCache.clear();
      spec = decodeSpec(json, id);
      this.specCache.set(key, spec);
    }
    return spec;
  }

  /** Every agent with its load as of this transaction (pending load changes included). */
  agents(): AgentRecord[] {
    const rows = this.s.agentLoads.all() as Array<{ id: string; running: number; version: number }>;
    const out: AgentRecord[] = [];
    for (const r of rows) {
      let cached = this.agentCache.get(r.id);
      if (!cached || cached.version !== r.version) {
        const agent = toAgent(this.s.agentById.get(r.id) as AgentRow);
        cached = { version: r.version, agent };
        this.agentCache.set(r.id, cached);
      }
      out.push({ ...cached.agent, running: Math.max(0, r.running + this.pendingAgentLoad(r.id)) });
    }
    if (this.agentCache.size > rows.length) for (const id of this.agentCache.keys()) if (!rows.some((r) => r.id === id)) this.agentCache.delete(id);
    return out;
  }

  /** The run's state, loaded once per transaction; mutate it freely, {@link flush} writes it back. */
  run(id: string): RunStateRow | undefined {
    let entry = this.#runs.get(id);
    if (!entry) {
      const raw = this.s.runStateById.get(id) as unknown[] | undefined;
      if (!raw) return undefined;
      entry = { row: runStateFromRaw(raw), original: runStateFromRaw(raw) };
      this.#runs.set(id, entry);
    }
    return entry.row;
  }

  /**
   * One of the task's dependencies succeeded: decrements its pending count (in this transaction's
   * copy when it already holds the row) and returns the row as it now stands.
   */
  dependencyDone(runId: string, seq: number): DepRow | undefined {
    if (!this.deferReady) return this.s.depDone.get(this.now, runId, seq) as DepRow | undefined;
    const key = `${runId}\u0000${seq}`;
    const known = this.#deps.get(key);
    if (!known) {
      const row = this.s.depDone.get(this.now, runId, seq) as DepRow | undefined;
      if (row) this.#deps.set(key, { runId, seq, row, dirty: false });
      return row;
    }
    const row = known.row;
    row.pending_deps--;
    known.dirty = true;
    if (row.pending_deps === 0 && row.status === 'pending') {
      row.ready_at = this.now;
      row.spec ??= this.s.specBySeq.pluck().get(runId, seq) as string;
    }
    return row;
  }

  /** Writes the pending counts decremented only in memory. */
  settleDeps(): void {
    if (this.#deps.size === 0) return;
    for (const { runId, seq, row, dirty } of this.#deps.values()) if (dirty) this.s.setPendingDeps.run(row.pending_deps, row.ready_at, runId, seq);
    this.#deps.clear();
  }

  /** Keeps a task that just became ready (see {@link deferReady}). */
  deferReadyTask(row: CandidateRow): void {
    this.#readied.set(`${row.run_id}\u0000${row.seq}`, row);
  }

  /** Tasks made ready in this transaction and not yet written so. */
  get readied(): ReadonlyMap<string, CandidateRow> {
    return this.#readied;
  }

  /** The claim started this kept task (its row is now `running`). */
  startedReadied(runId: string, seq: number): void {
    this.#readied.delete(`${runId}\u0000${seq}`);
  }

  /** Writes every kept task `ready`. */
  settleReady(): void {
    this.settleDeps();
    if (this.#readied.size === 0) return;
    for (const r of this.#readied.values()) this.s.markReady.run(r.run_id, r.seq);
    this.#readied.clear();
  }

  agentLoad(agentId: string, delta: number): void {
    this.#agentDelta.set(agentId, (this.#agentDelta.get(agentId) ?? 0) + delta);
  }

  /** Load changes of an agent not yet written (they are applied at {@link flush}). */
  pendingAgentLoad(agentId: string): number {
    return this.#agentDelta.get(agentId) ?? 0;
  }

  /** Appends an event with the run's next sequence number. */
  emit(run: RunStateRow, ev: NewEvent): void {
    const seq = ++run.last_seq;
    let pending = this.#events.get(run.id);
    if (!pending || pending.list.length >= EVENT_ID_STRIDE) {
      if (pending) this.#writeEvents(pending);
      pending = { run, firstSeq: seq, list: [], order: [] };
      this.#events.set(run.id, pending);
    }
    const data = ev.data === undefined || Object.keys(ev.data).length === 0 ? null : (ev.data as Record<string, unknown>);
    pending.list.push([ev.type, ev.taskId ?? null, ev.attempt ?? null, data]);
    pending.order.push(this.#emitted++);
  }

  #written: Array<{ order: number; event: EventRecord }> = [];

  #writeEvents(p: PendingEvents): void {
    const id = Number(this.s.insertEvents.run(p.run.id, p.firstSeq, p.list.length, this.now, JSON.stringify(p.list)).lastInsertRowid);
    p.list.forEach(([type, taskId, attempt, data], i) => {
      this.#written.push({ order: p.order[i]!, event: { id: id * EVENT_ID_STRIDE + i, runId: p.run.id, seq: p.firstSeq + i, ts: this.now, type, taskId, attempt, data } });
    });
  }

  /** Writes events, changed runs and agent loads. @returns the events appended, in emission order. */
  flush(): EventRecord[] {
    this.settleReady();
    for (const p of this.#events.values()) this.#writeEvents(p);
    this.#events.clear();
    for (const { row, original } of this.#runs.values()) {
      if (!changed(row, original)) continue;
      row.updated_at = this.now;
      if (sameState(row, original)) this.s.updateRunCounts.run(this.now, row.tasks_total, row.tasks_finished, row.tasks_failed, row.running, row.last_seq, row.id);
      else this.s.updateRun.run(row);
    }
    for (const [id, d] of this.#agentDelta) if (d !== 0) this.s.agentLoad.run(d, id);
    const out = this.#written.sort((a, b) => a.order - b.order).map((w) => w.event);
    this.#written = [];
    return out;
  }
}

function changed(a: RunStateRow, b: RunStateRow): boolean {
  return (
    a.last_seq !== b.last_seq ||
    a.running !== b.running ||
    a.tasks_total !== b.tasks_total ||
    a.tasks_finished !== b.tasks_finished ||
    a.tasks_failed !== b.tasks_failed ||
    !sameState(a, b)
  );
}

/** Whether only counters changed (then the indexes on status and expiry need no write). */
function sameState(a: RunStateRow, b: RunStateRow): boolean {
  return a.status === b.status && a.started_at === b.started_at && a.finished_at === b.finished_at && a.error === b.error && a.expires_at === b.expires_at;
}
