/**
 * The `test` driver: deterministic and scriptable, for tests, demos and the seed `test` backends.
 * It only takes tasks that name its agent (by id or type), so it never catches real work.
 *
 * The task's `input` is a {@link TestScript}; with no input the attempt succeeds at once.
 */
import { z } from 'zod';
import type { AgentDriver, AttemptResult } from '../types.js';

export const testScriptSchema = z
  .strictObject({
    /** Final outcome. @default 'succeed' */
    outcome: z.enum(['succeed', 'fail']).default('succeed'),
    /** Fail the first N attempts, then follow `outcome`. */
    failTimes: z.number().int().min(0).default(0),
    /** Wait this long first, ms (cut short by abort). */
    sleepMs: z.number().int().min(0).default(0),
    /** Ignore success and wait until aborted. */
    hang: z.boolean().default(false),
    /** Lines emitted as stdout, one by one. */
    emit: z.array(z.string()).default([]),
    /** Output of a successful attempt. */
    output: z.unknown().optional(),
    /** Fail whenever the executing agent is one of these (fallback tests). */
    failAgents: z.array(z.string()).default([]),
    /** Kind of the scripted failure. */
    kind: z.enum(['exit_code', 'rate_limited', 'auth', 'not_installed', 'timeout', 'crashed', 'invalid_output', 'no_changes']).default('exit_code'),
    /** Failure details. */
    message: z.string().default('scripted failure'),
    exitCode: z.number().int().nullable().default(1),
    retryable: z.boolean().optional(),
    retryAfterMs: z.number().int().min(0).optional(),
  })
  .describe('Script of the test driver.');

export type TestScript = z.input<typeof testScriptSchema>;

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = ms === Infinity ? undefined : setTimeout(done, ms);
    function done() {
      if (t) clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export function createTestDriver(): AgentDriver {
  return {
    name: 'test',
    defaultMaxConcurrency: null,
    accepts(task, _agent, explicit) {
      if (!explicit) return 'the test driver only takes tasks that name its agent by id or type';
      const r = testScriptSchema.safeParse(task.input ?? {});
      return r.success ? null : `invalid test script: ${r.error.issues[0]?.message ?? 'bad input'}`;
    },
    async execute(ctx, signal): Promise<AttemptResult> {
      const script = testScriptSchema.parse(ctx.task.input ?? {});
      for (const text of script.emit) ctx.emit({ stream: 'stdout', text });
      if (script.sleepMs > 0) await wait(script.sleepMs, signal);
      if (script.hang) await wait(Infinity, signal);
      if (signal.aborted) return { status: 'cancelled' };
      const fail = ctx.attempt <= script.failTimes || script.outcome === 'fail' || script.failAgents.includes(ctx.agent.id);
      if (!fail) return script.output === undefined ? { status: 'succeeded', summary: 'test: succeeded' } : { status: 'succeeded', output: script.output, summary: 'test: succeeded' };
      return {
        status: 'failed',
        exitCode: script.exitCode,
        error: {
          kind: script.kind,
          message: `${script.message} (attempt ${ctx.attempt})`,
          ...(script.retryable === undefined ? {} : { retryable: script.retryable }),
          ...(script.retryAfterMs === undefined ? {} : { retryAfterMs: script.retryAfterMs }),
        },
      };
    },
  };
}
