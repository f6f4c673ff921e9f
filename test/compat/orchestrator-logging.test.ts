/** Seed 003's orchestration logger: the "Logging and Debugging" example, queries, redaction, retention, persistence. */
import { describe, expect, it } from 'vitest';
import { createOrchestrationLogger, type LogLevel } from '../../src/compat/orchestrator/index.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { tempDir } from '../helpers/cli.js';
import { makeOrchestrator } from './orchestrator-helpers.js';

const T0 = Date.UTC(2024, 0, 15, 10, 0, 0);

function setup(options: { maxEntries?: number; retentionMs?: number; minLevel?: LogLevel } = {}) {
  const store = new SqliteStore({ path: ':memory:' });
  let now = T0;
  const logger = createOrchestrationLogger({ store, now: () => now, ...options });
  return { store, logger, tick: (ms: number) => (now += ms), at: () => now };
}

describe('seed 003: logging and debugging', () => {
  it('runs the seed example: log events, query errors and recent entries, statistics with the error rate', async () => {
    const { logger: orchestrationLogger } = setup();
    // Log events
    orchestrationLogger.info('orchestrator', 'Task plan created', { sessionId: 'session-123', data: { stepCount: 5 } });
    const error = new Error('agent crashed');
    orchestrationLogger.error('agent', 'Agent execution failed', error, { sessionId: 'session-123', agentId: 'coder-001', taskId: 'task-456' });
    // Query logs
    const errors = await orchestrationLogger.getErrors('session-123');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      level: 'error',
      source: 'agent',
      message: 'Agent execution failed',
      sessionId: 'session-123',
      agentId: 'coder-001',
      taskId: 'task-456',
      timestamp: '2024-01-15T10:00:00.000Z',
      error: { name: 'Error', message: 'agent crashed' },
    });
    expect(errors[0]!.id).toMatch(/^log-\d+-\d+-[0-9a-f]+$/);
    const recentLogs = await orchestrationLogger.getRecent(50);
    expect(recentLogs.map((l) => l.message)).toEqual(['Task plan created', 'Agent execution failed']);
    expect(recentLogs[0]!.data).toEqual({ stepCount: 5 });
    // Get statistics
    const stats = await orchestrationLogger.getStatistics('session-123');
    expect(`Error rate: ${stats.errorRate * 100}%`).toBe('Error rate: 50%');
    expect(stats).toMatchObject({ total: 2, byLevel: { debug: 0, info: 1, warn: 0, error: 1, critical: 0 }, bySource: { orchestrator: 1, agent: 1 } });
  });

  it('errorRate counts error and critical over all entries, 0 without entries', async () => {
    const { logger } = setup();
    expect((await logger.getStatistics('s')).errorRate).toBe(0);
    logger.debug('task', 'a', { sessionId: 's' });
    logger.warn('task', 'b', { sessionId: 's' });
    logger.critical('orchestrator', 'c', undefined, { sessionId: 's' });
    logger.error('agent', 'd', 'plain string error', { sessionId: 's' });
    logger.info('task', 'other session', { sessionId: 't' });
    const stats = await logger.getStatistics('s');
    expect(stats.total).toBe(4);
    expect(stats.errorRate).toBe(0.5);
    expect((await logger.getStatistics()).total).toBe(5);
    expect((await logger.getErrors('s')).map((e) => [e.level, e.error?.message ?? null])).toEqual([
      ['critical', null],
      ['error', 'plain string error'],
    ]);
  });

  it('queries by session, task, agent, source, level, minimum level and time range, with pagination', async () => {
    const { logger, tick, at } = setup();
    const levels: LogLevel[] = ['debug', 'info', 'warn', 'error', 'critical'];
    for (let i = 0; i < 10; i++) {
      logger.log(levels[i % 5]!, i % 2 ? 'agent' : 'task', `m${i}`, { sessionId: i < 6 ? 's1' : 's2', taskId: `t${i % 3}`, agentId: `a${i % 2}` });
      tick(1000);
    }
    const msgs = async (q: Parameters<typeof logger.query>[0]) => (await logger.query(q)).map((e) => e.message);
    expect(await msgs({ sessionId: 's2' })).toEqual(['m6', 'm7', 'm8', 'm9']);
    expect(await msgs({ taskId: 't0' })).toEqual(['m0', 'm3', 'm6', 'm9']);
    expect(await msgs({ agentId: 'a1', sessionId: 's1' })).toEqual(['m1', 'm3', 'm5']);
    expect(await msgs({ source: 'task', level: 'debug' })).toEqual(['m0']);
    expect(await msgs({ level: ['warn', 'critical'] })).toEqual(['m2', 'm4', 'm7', 'm9']);
    expect(await msgs({ minLevel: 'error' })).toEqual(['m3', 'm4', 'm8', 'm9']);
    expect(await msgs({ since: T0 + 2000, until: new Date(T0 + 5000) })).toEqual(['m2', 'm3', 'm4']);
    expect(await msgs({ limit: 3, offset: 3 })).toEqual(['m3', 'm4', 'm5']);
    expect(await msgs({ order: 'desc', limit: 2 })).toEqual(['m9', 'm8']);
    expect(await msgs({ until: at() + 1, offset: 9 })).toEqual(['m9']);
    await expect(logger.query({ level: 'fatal' as LogLevel })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
  });

  it('redacts credentials in messages, data and errors before they are stored', async () => {
    const { logger, store } = setup();
    logger.error(
      'agent',
      'call failed with Authorization: Bearer abcdefghijklmnopqrstuvwxyz and OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwx',
      new Error('token ghp_abcdefghijklmnopqrstuvwxyz0123456789 rejected'),
      { sessionId: 's', data: { apiKey: 'secret-value', nested: { password: 'hunter2', note: 'ok' }, count: 3 } },
    );
    const [e] = await logger.query({ sessionId: 's' });
    expect(e!.message).toBe('call failed with Authorization: Bearer [REDACTED] and OPENAI_API_KEY=[REDACTED]');
    expect(e!.data).toEqual({ apiKey: '[REDACTED]', nested: { password: '[REDACTED]', note: 'ok' }, count: 3 });
    expect(e!.error!.message).toBe('token [REDACTED] rejected');
    const raw = JSON.stringify(await store.queryLogs());
    for (const secret of ['abcdefghijklmnopqrstuvwxyz', 'sk-proj', 'secret-value', 'hunter2', 'ghp_']) expect(raw).not.toContain(secret);
  });

  it('keeps at most maxEntries (the newest) and drops entries past the retention', async () => {
    const { logger, tick } = setup({ maxEntries: 20, retentionMs: 60_000 });
    for (let i = 0; i < 50; i++) {
      logger.info('task', `m${i}`);
      if (i % 5 === 4) await logger.flush();
    }
    await logger.prune();
    const kept = await logger.query({ limit: 1000 });
    expect(kept.map((e) => e.message)).toEqual(Array.from({ length: 20 }, (_, i) => `m${30 + i}`));
    tick(61_000);
    logger.info('task', 'fresh');
    expect(await logger.prune()).toBe(20);
    expect((await logger.query()).map((e) => e.message)).toEqual(['fresh']);
  });

  it('drops entries below minLevel; a later logger over the same file reads what an earlier one wrote', async () => {
    const dir = tempDir('tutti-logs-');
    const path = `${dir}/logs.db`;
    const first = new SqliteStore({ path });
    const a = createOrchestrationLogger({ store: first, minLevel: 'info' });
    a.debug('task', 'noise');
    a.info('task', 'kept', { sessionId: 's' });
    await a.flush();
    await first.close();
    const second = new SqliteStore({ path });
    const b = createOrchestrationLogger({ store: async () => second });
    expect((await b.getSessionLogs('s')).map((e) => e.message)).toEqual(['kept']);
    expect((await b.query()).map((e) => e.message)).toEqual(['kept']);
    await second.close();
  });

  it('an orchestrator logs its sessions: plan, task and agent entries with their ids', async () => {
    const o = makeOrchestrator();
    const r = await o.orchestrate('Research and write a report about solar panels');
    await o.waitForSession(r.sessionId, { timeoutMs: 30_000 });
    const logs = await o.getSessionLogs(r.sessionId);
    expect(logs.map((l) => l.message)).toEqual(expect.arrayContaining(['Starting orchestration', 'Task plan created', 'Session executing', 'Task completed', 'Session completed']));
    expect(logs.some((l) => l.source === 'planner' && l.agentId === 'planner-001')).toBe(true);
    const stepLogs = await o.logger.query({ sessionId: r.sessionId, taskId: 'step-4' });
    expect(stepLogs.map((l) => l.message)).toEqual(expect.arrayContaining(['Task started on reviewer-001 (attempt 1)', 'Task completed']));
    expect((await o.logger.getStatistics(r.sessionId)).errorRate).toBe(0);
  });
});

describe('orchestration logger failures', () => {
  it('logging never throws when the store fails; flush reports it and a later flush writes the kept entries', async () => {
    const store = new SqliteStore({ path: ':memory:' });
    let fail = true;
    const flaky = new Proxy(store, {
      get(target, key) {
        if (key === 'appendLogs' && fail) return async () => Promise.reject(new Error('disk full'));
        const v = Reflect.get(target, key, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const logger = createOrchestrationLogger({ store: flaky, maxEntries: 3 });
    for (let i = 0; i < 5; i++) expect(() => logger.info('task', `m${i}`)).not.toThrow();
    await expect(logger.flush()).rejects.toThrow('disk full');
    fail = false;
    await logger.flush();
    // The cap holds while the store is down: the newest 3 were kept.
    expect((await logger.query()).map((e) => e.message)).toEqual(['m2', 'm3', 'm4']);
  });
});

describe('orchestration logger input', () => {
  it('data JSON cannot hold is noted instead of thrown', async () => {
    const { logger } = setup();
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => logger.info('task', 'cyclic', { data: cyclic })).not.toThrow();
    expect(() => logger.info('task', 'bigint', { data: { n: 10n } })).not.toThrow();
    const [a, b] = await logger.query();
    expect(a!.data).toEqual({ unserializable: expect.stringContaining('circular') });
    expect(b!.data).toEqual({ unserializable: expect.stringContaining('BigInt') });
  });
});

describe('orchestration logger configuration', () => {
  it('configure changes the minimum level and the cap in place, and refuses a bad cap', async () => {
    const { logger } = setup();
    logger.configure({ minLevel: 'warn', maxEntries: 2 });
    logger.info('task', 'dropped');
    for (const m of ['w1', 'w2', 'w3']) logger.warn('task', m);
    await logger.prune();
    expect((await logger.query()).map((e) => e.message)).toEqual(['w2', 'w3']);
    expect(() => logger.configure({ maxEntries: 0 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTIONS' }));
  });
});
