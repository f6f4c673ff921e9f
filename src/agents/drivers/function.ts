/**
 * The `function` driver: runs a registered in-process function. The return value (JSON) is the
 * attempt's output. Throw `NonRetryableError` to stop retries, `RetryAfterError` to delay the next
 * attempt. On abort the attempt ends `cancelled` at once; the function should honour `signal`
 * (in-process code cannot be killed).
 *
 * Agent config: `{ function?: string }` runs that function for every task given to the agent.
 */
import { AttemptFailure, NonRetryableError, RetryAfterError, errorMessage } from '../../core/errors.js';
import type { AgentDriver, AttemptResult, FunctionRegistry, TaskFunction } from '../types.js';

export type { FunctionContext, FunctionRegistry, TaskFunction } from '../types.js';

function abortable(signal: AbortSignal): Promise<'aborted'> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve('aborted');
    else signal.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
}

/** Built-in functions: `noop`, `sleep` ({ ms }), `echo` (returns input), `fail` ({ message?, retryable? }). */
export function builtinFunctions(): Array<[string, TaskFunction]> {
  return [
    ['noop', () => undefined],
    [
      'sleep',
      ({ input, signal }) =>
        new Promise<void>((resolve) => {
          const ms = Number((input as { ms?: unknown } | undefined)?.ms ?? 0);
          if (!(ms > 0)) return resolve();
          const t = setTimeout(resolve, ms);
          signal.addEventListener('abort', () => {
            clearTimeout(t);
            resolve();
          }, { once: true });
        }),
    ],
    ['echo', ({ input }) => input],
    [
      'fail',
      ({ input }) => {
        const i = (input ?? {}) as { message?: string; retryable?: boolean };
        const message = i.message ?? 'failed on purpose';
        throw i.retryable === false ? new NonRetryableError(message) : new Error(message);
      },
    ],
  ];
}

export function createFunctionDriver(functions: FunctionRegistry): AgentDriver {
  const nameOf = (task: { function?: string }, config: Record<string, unknown>) => task.function ?? (typeof config.function === 'string' ? config.function : undefined);
  return {
    name: 'function',
    defaultMaxConcurrency: null,
    accepts(task, agent) {
      if (task.command) return 'it runs functions, not commands';
      const name = nameOf(task, agent.config);
      if (name === undefined) return 'the task names no function';
      if (!functions.has(name)) return `no function '${name}' is registered`;
      return null;
    },
    async execute(ctx, signal): Promise<AttemptResult> {
      const name = nameOf(ctx.task, ctx.agent.config)!;
      const fn = functions.get(name);
      if (!fn) return { status: 'failed', error: { kind: 'non_retryable', message: `no function '${name}' is registered`, retryable: false } };
      try {
        const pending = Promise.resolve(
          fn({
            input: ctx.task.input,
            runId: ctx.runId,
            taskId: ctx.taskId,
            attempt: ctx.attempt,
            idempotencyKey: ctx.idempotencyKey,
            agent: ctx.agent,
            feedback: ctx.feedback,
            prompt: ctx.task.prompt,
            workDir: ctx.workDir,
            signal,
            log: (text) => ctx.emit({ stream: 'info', text }),
            ...(ctx.coordination ? { coordination: ctx.coordination } : {}),
          }),
        );
        const value = await Promise.race([pending, abortable(signal)]);
        if (signal.aborted) return { status: 'cancelled' };
        return value === undefined ? { status: 'succeeded' } : { status: 'succeeded', output: value };
      } catch (e) {
        if (signal.aborted) return { status: 'cancelled' };
        if (e instanceof NonRetryableError) return { status: 'failed', error: { kind: 'non_retryable', message: e.message, retryable: false } };
        if (e instanceof RetryAfterError) return { status: 'failed', error: { kind: 'exception', message: e.message, retryAfterMs: e.retryAfterMs } };
        if (e instanceof AttemptFailure) return { status: 'failed', error: { kind: e.kind, message: e.message, ...(e.retryable ? {} : { retryable: false }) } };
        return { status: 'failed', error: { kind: 'exception', message: errorMessage(e) } };
      }
    },
  };
}
