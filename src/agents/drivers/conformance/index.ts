/**
 * The driver conformance suite: what every AgentDriver must do, whatever it runs. Each driver's
 * test file calls {@link describeDriverConformance} with tasks that succeed, fail and hang.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TaskSpec } from '../../../core/plan/schema.js';
import { DEFAULT_RETRY } from '../../../core/plan/schema.js';
import type { AgentDriver, AgentRecord, AttemptContext, AttemptOutputLine } from '../../types.js';

export interface DriverConformanceInit {
  name: string;
  createDriver(): AgentDriver;
  /** The agent the tasks run on (its driver field is filled in). */
  agent?: Partial<AgentRecord>;
  /** Task parts (without title/retry) that succeed, fail, and run until aborted. */
  tasks: { succeed: Partial<TaskSpec>; fail: Partial<TaskSpec>; hang: Partial<TaskSpec> };
  /** Whether tasks must name the agent (drivers that only take explicit work). */
  explicit?: boolean;
}

export function spec(part: Partial<TaskSpec>): TaskSpec {
  return { title: 't', retry: DEFAULT_RETRY, timeoutMs: null, continueOnFailure: false, ...part };
}

export function agentRecord(driver: string, part: Partial<AgentRecord> = {}): AgentRecord {
  return { id: 'agent-1', name: 'Agent', type: driver, driver, capabilities: [], maxConcurrency: null, priority: 0, status: 'active', config: {}, running: 0, createdAt: 0, updatedAt: 0, ...part };
}

/** An attempt context in a fresh temp dir; `lines` collects emitted output. */
export function attemptContext(task: TaskSpec, agent: AgentRecord, part: Partial<AttemptContext> = {}): AttemptContext & { lines: AttemptOutputLine[] } {
  const dir = mkdtempSync(join(tmpdir(), 'tutti-driver-'));
  const lines: AttemptOutputLine[] = [];
  return {
    runId: 'run_test',
    taskId: 'task-1',
    attempt: 1,
    idempotencyKey: 'run_test/task-1/1',
    feedback: null,
    task,
    agent,
    workDir: dir,
    logPath: join(dir, 'attempt.log'),
    maxLogBytes: 1 << 20,
    env: { TUTTI_RUN_ID: 'run_test', TUTTI_TASK_ID: 'task-1', TUTTI_ATTEMPT: '1', TUTTI_IDEMPOTENCY_KEY: 'run_test/task-1/1' },
    streamOutput: true,
    emit: (l) => lines.push(l),
    lines,
    ...part,
  };
}

export function describeDriverConformance(init: DriverConformanceInit): void {
  describe(`driver conformance: ${init.name}`, () => {
    const driver = init.createDriver();
    const agent = agentRecord(driver.name, init.agent);
    const explicit = init.explicit ?? false;

    it('accepts the tasks it can run', () => {
      for (const t of Object.values(init.tasks)) expect(driver.accepts(spec(t), agent, explicit)).toBeNull();
    });

    it('a succeeding task resolves succeeded', async () => {
      const r = await driver.execute(attemptContext(spec(init.tasks.succeed), agent), new AbortController().signal);
      expect(r.status).toBe('succeeded');
      expect(r.error).toBeUndefined();
    });

    it('a failing task resolves failed with a classified error (never throws)', async () => {
      const r = await driver.execute(attemptContext(spec(init.tasks.fail), agent), new AbortController().signal);
      expect(r.status).toBe('failed');
      expect(typeof r.error?.kind).toBe('string');
      expect(r.error?.message.length).toBeGreaterThan(0);
    });

    it('an abort ends a running attempt as cancelled', async () => {
      const ctl = new AbortController();
      const pending = driver.execute(attemptContext(spec(init.tasks.hang), agent), ctl.signal);
      setTimeout(() => ctl.abort({ kind: 'cancel' }), 50);
      const r = await pending;
      expect(r.status).toBe('cancelled');
    });

    it('an attempt aborted before it starts is cancelled', async () => {
      const ctl = new AbortController();
      ctl.abort({ kind: 'cancel' });
      const r = await driver.execute(attemptContext(spec(init.tasks.hang), agent), ctl.signal);
      expect(r.status).toBe('cancelled');
    });
  });
}
