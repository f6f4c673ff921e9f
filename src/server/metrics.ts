/**
 * Prometheus metrics (`GET /metrics`): `tutti_*` gauges read from the store at scrape time (runs
 * and tasks by status, blocked tasks by reason, queue depth, agent load), an attempt duration
 * histogram fed by this process's events, and seed 001's `sessions_total`, `sessions_active`,
 * `approvals_total`, `rejections_total`, read from the store too. One registry per server, so servers in one process
 * never share counters.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Engine } from '../core/engine.js';
import { RUN_STATUSES, TASK_STATUSES, type EventRecord } from '../core/model.js';
import { SESSION_TEMPLATE } from '../compat/sessions/info.js';

const ACTIVE_RUN_STATUSES = new Set(['queued', 'running', 'awaiting_approval']);

export interface ServerMetrics {
  registry: Registry;
  /** Feeds the event-driven metrics; call for every committed event. */
  observe(event: EventRecord): void;
  /** Open event streams, for `tutti_sse_streams`. */
  streams: Gauge;
}

/** Builds the registry. Gauges read `engine.store.stats()` once per scrape. */
export function createMetrics(engine: Engine): ServerMetrics {
  const registry = new Registry();
  let statsAt = 0;
  let pending: ReturnType<Engine['store']['stats']> | null = null;
  // Every gauge's collect() runs in one scrape: share one stats() read between them.
  const stats = () => {
    const now = Date.now();
    if (!pending || now - statsAt > 250) {
      statsAt = now;
      pending = engine.store.stats();
    }
    return pending;
  };

  new Gauge({
    name: 'tutti_runs',
    help: 'Runs in the store by status.',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const s = await stats();
      for (const status of RUN_STATUSES) this.set({ status }, s.runsByStatus[status] ?? 0);
    },
  });
  new Gauge({
    name: 'tutti_tasks',
    help: 'Tasks in the store by status.',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const s = await stats();
      for (const status of TASK_STATUSES) this.set({ status }, s.tasksByStatus[status] ?? 0);
    },
  });
  new Gauge({
    name: 'tutti_tasks_blocked',
    help: 'Tasks that cannot start, by reason: persisted blocked reasons, plus `dependencies` for pending tasks waiting on others.',
    labelNames: ['reason'],
    registers: [registry],
    async collect() {
      const s = await stats();
      this.reset();
      for (const [reason, n] of Object.entries(s.blockedByReason)) this.set({ reason }, n);
      this.set({ reason: 'dependencies' }, s.tasksByStatus.pending ?? 0);
    },
  });
  new Gauge({
    name: 'tutti_queue_depth',
    help: 'Ready tasks waiting for an agent or a slot.',
    registers: [registry],
    async collect() {
      this.set((await stats()).readyTasks);
    },
  });
  new Gauge({
    name: 'tutti_agent_running',
    help: 'Attempts running per agent (its load).',
    labelNames: ['agent'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const a of await engine.store.listAgents()) this.set({ agent: a.id }, a.running);
    },
  });
  new Gauge({
    name: 'tutti_engine_in_flight',
    help: 'Attempts executing in this server process.',
    registers: [registry],
    collect() {
      this.set(engine.inFlight);
    },
  });
  const streams = new Gauge({ name: 'tutti_sse_streams', help: 'Open event streams.', registers: [registry] });
  const durations = new Histogram({
    name: 'tutti_attempt_duration_seconds',
    help: 'Duration of attempts that ended in this process, by outcome.',
    labelNames: ['status'],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
    registers: [registry],
  });
  const events = new Counter({ name: 'tutti_events_total', help: 'Events committed by this process, by type.', labelNames: ['type'], registers: [registry] });

  // Seed 001's metrics are facts of the store: sessions are dev-team runs, decisions are every
  // approval or rejection made through any face (API, CLI, library), surviving restarts.
  const sessions = async () => (await stats()).runsByTemplate[SESSION_TEMPLATE] ?? {};
  new Counter({
    name: 'sessions_total',
    help: 'Total number of sessions (runs of the dev-team template) in the store.',
    registers: [registry],
    async collect() {
      const n = Object.values(await sessions()).reduce((a, b) => a + (b ?? 0), 0);
      this.reset();
      this.inc(n);
    },
  });
  new Gauge({
    name: 'sessions_active',
    help: 'Current active sessions (pending, running or awaiting approval).',
    registers: [registry],
    async collect() {
      this.set(Object.entries(await sessions()).reduce((a, [k, n]) => a + (ACTIVE_RUN_STATUSES.has(k) ? (n ?? 0) : 0), 0));
    },
  });
  new Counter({
    name: 'approvals_total',
    help: 'Total approvals (every approval decision recorded in the store).',
    registers: [registry],
    async collect() {
      const n = (await stats()).decisions.approved;
      this.reset();
      this.inc(n);
    },
  });
  new Counter({
    name: 'rejections_total',
    help: 'Total rejections (every rejection recorded in the store).',
    registers: [registry],
    async collect() {
      const n = (await stats()).decisions.rejected;
      this.reset();
      this.inc(n);
    },
  });

  return {
    registry,
    streams,
    observe(e) {
      events.inc({ type: e.type });
      if (e.type === 'attempt:succeeded' || e.type === 'attempt:failed' || e.type === 'attempt:cancelled') {
        const ms = (e.data as { ms?: unknown } | null)?.ms;
        if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) durations.observe({ status: e.type.slice('attempt:'.length) }, ms / 1000);
      }
    },
  };
}
