/** Logs: append, idempotent ids, filters, minimum level, time range, pagination, counts, retention (LogStore). */
import { describe, expect } from 'vitest';
import { isTuttiError } from '../../core/errors.js';
import type { LogLevel, NewLogEntry } from '../types.js';
import type { SuiteContext } from './harness.js';
import { T0 } from './fixtures.js';

let n = 0;
const entry = (over: Partial<NewLogEntry> = {}): NewLogEntry => ({
  id: `log-${++n}`,
  ts: T0,
  level: 'info',
  source: 'orchestrator',
  message: 'hello',
  sessionId: null,
  taskId: null,
  agentId: null,
  data: null,
  error: null,
  ...over,
});

export function logTests(ctx: SuiteContext): void {
  describe('logs', () => {
    ctx.it('appended entries round-trip with increasing seq, JSON data and errors', async () => {
      const { store } = ctx;
      const a = entry({ sessionId: 's1', taskId: 't1', agentId: 'a1', data: { steps: 5, list: ['x'] }, level: 'error', error: { name: 'Error', message: 'boom', stack: 'at x' } });
      const b = entry({ ts: T0 + 1, message: 'second' });
      expect(await store.appendLogs([a, b])).toBe(2);
      const got = await store.queryLogs();
      expect(got).toHaveLength(2);
      expect(got[0]).toMatchObject({ ...a });
      expect(got[1]).toMatchObject({ ...b });
      expect(got[1]!.seq).toBeGreaterThan(got[0]!.seq);
      expect(await store.appendLogs([])).toBe(0);
    });

    ctx.it('appending an id already stored is a no-op', async () => {
      const { store } = ctx;
      const a = entry();
      expect(await store.appendLogs([a])).toBe(1);
      expect(await store.appendLogs([{ ...a, message: 'changed' }, entry()])).toBe(1);
      const got = await store.queryLogs();
      expect(got.map((e) => e.message)).toEqual(['hello', 'hello']);
    });

    ctx.it('an unknown level is rejected with ERR_INVALID_INPUT and nothing is written', async () => {
      const { store } = ctx;
      let code: string | undefined;
      try {
        await store.appendLogs([entry(), entry({ level: 'fatal' as LogLevel })]);
      } catch (e) {
        if (isTuttiError(e)) code = e.code;
      }
      expect(code).toBe('ERR_INVALID_INPUT');
      expect(await store.queryLogs()).toEqual([]);
    });

    ctx.it('filters by session, task, agent, source, levels, minimum level and time range', async () => {
      const { store } = ctx;
      await store.appendLogs([
        entry({ ts: T0, level: 'debug', sessionId: 's1', taskId: 't1', agentId: 'a1', source: 'task' }),
        entry({ ts: T0 + 10, level: 'info', sessionId: 's1', taskId: 't2', agentId: 'a2', source: 'agent' }),
        entry({ ts: T0 + 20, level: 'warn', sessionId: 's2', taskId: 't1', agentId: 'a1', source: 'agent' }),
        entry({ ts: T0 + 30, level: 'error', sessionId: 's1', agentId: 'a1' }),
        entry({ ts: T0 + 40, level: 'critical', sessionId: 's2' }),
      ]);
      const levels = async (q: Parameters<typeof store.queryLogs>[0]) => (await store.queryLogs(q)).map((e) => e.level);
      expect(await levels({ sessionId: 's1' })).toEqual(['debug', 'info', 'error']);
      expect(await levels({ taskId: 't1' })).toEqual(['debug', 'warn']);
      expect(await levels({ agentId: 'a1' })).toEqual(['debug', 'warn', 'error']);
      expect(await levels({ source: 'agent' })).toEqual(['info', 'warn']);
      expect(await levels({ levels: ['warn', 'critical'] })).toEqual(['warn', 'critical']);
      expect(await levels({ levels: [] })).toEqual([]);
      expect(await levels({ minLevel: 'warn' })).toEqual(['warn', 'error', 'critical']);
      expect(await levels({ minLevel: 'error', sessionId: 's1' })).toEqual(['error']);
      expect(await levels({ since: T0 + 10, until: T0 + 30 })).toEqual(['info', 'warn']);
      expect(await levels({ sessionId: 'nope' })).toEqual([]);
    });

    ctx.it('orders by time then append order, and pages with offset and limit', async () => {
      const { store } = ctx;
      // Appended out of time order: the query sorts by ts, ties by append order.
      await store.appendLogs([entry({ ts: T0 + 5, message: 'c' }), entry({ ts: T0, message: 'a' }), entry({ ts: T0 + 5, message: 'd' }), entry({ ts: T0 + 1, message: 'b' })]);
      const msgs = async (q: Parameters<typeof store.queryLogs>[0]) => (await store.queryLogs(q)).map((e) => e.message);
      expect(await msgs({})).toEqual(['a', 'b', 'c', 'd']);
      expect(await msgs({ order: 'desc' })).toEqual(['d', 'c', 'b', 'a']);
      expect(await msgs({ limit: 2 })).toEqual(['a', 'b']);
      expect(await msgs({ limit: 2, offset: 2 })).toEqual(['c', 'd']);
      expect(await msgs({ limit: 2, offset: 4 })).toEqual([]);
      expect(await msgs({ order: 'desc', limit: 1, offset: 1 })).toEqual(['c']);
    });

    ctx.it('counts by level and source under a filter', async () => {
      const { store } = ctx;
      await store.appendLogs([
        entry({ level: 'info', sessionId: 's1', source: 'orchestrator' }),
        entry({ level: 'error', sessionId: 's1', source: 'agent' }),
        entry({ level: 'critical', sessionId: 's1', source: 'agent' }),
        entry({ level: 'error', sessionId: 's2', source: 'agent' }),
      ]);
      expect(await store.countLogs({ sessionId: 's1' })).toEqual({
        total: 3,
        byLevel: { debug: 0, info: 1, warn: 0, error: 1, critical: 1 },
        bySource: { orchestrator: 1, agent: 2 },
      });
      expect((await store.countLogs()).total).toBe(4);
      expect(await store.countLogs({ sessionId: 'none' })).toEqual({ total: 0, byLevel: { debug: 0, info: 0, warn: 0, error: 0, critical: 0 }, bySource: {} });
    });

    ctx.it('prunes entries older than a time, then all but the newest N', async () => {
      const { store } = ctx;
      await store.appendLogs([0, 1, 2, 3, 4, 5].map((i) => entry({ ts: T0 + i * 10, message: `m${i}` })));
      expect(await store.pruneLogs({ before: T0 + 20 })).toBe(2);
      expect((await store.queryLogs()).map((e) => e.message)).toEqual(['m2', 'm3', 'm4', 'm5']);
      expect(await store.pruneLogs({ keep: 3 })).toBe(1);
      expect((await store.queryLogs()).map((e) => e.message)).toEqual(['m3', 'm4', 'm5']);
      expect(await store.pruneLogs({ before: T0, keep: 10 })).toBe(0);
      expect(await store.pruneLogs({ keep: 0 })).toBe(3);
      expect(await store.queryLogs()).toEqual([]);
    });

    ctx.it('seq keeps growing after pruning', async () => {
      const { store } = ctx;
      await store.appendLogs([entry(), entry()]);
      const before = Math.max(...(await store.queryLogs()).map((e) => e.seq));
      await store.pruneLogs({ keep: 0 });
      await store.appendLogs([entry()]);
      const [after] = await store.queryLogs();
      expect(after!.seq).toBeGreaterThan(before);
    });
  });
}
