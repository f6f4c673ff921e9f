/**
 * Context propagation (seed 003, "Context Propagation"): a session's shared context is the state
 * entry `context` of its run (durable, in the store). Before each attempt of a session step, the
 * context is appended to the prompt and passed as JSON in `TUTTI_CONTEXT`; after a step succeeds,
 * its result enriches the context: the keys of an output's `context` object are merged in, and
 * `steps.<stepId>` records the step's summary, so later steps receive everything before them.
 */
import type { AttemptContext, AttemptResult } from '../../agents/types.js';
import type { AttemptHooks, AttemptPreparation } from '../../core/attempt-runner.js';
import { isTuttiError } from '../../core/errors.js';
import type { Store } from '../../store/types.js';

/** The state key of a session's shared context. */
export const CONTEXT_KEY = 'context';
/** Run metadata marking a run as a seed 003 session. */
export const SESSION_MARK = 'seed-003';
/** Longest context put in a prompt, characters. */
const MAX_PROMPT_CONTEXT = 16_000;
/** Longest step summary kept in the context, characters. */
const MAX_SUMMARY = 2000;

/**
 * Reads a session's shared context ({} when none): every shared (and unexpired temporary) state
 * entry of the session by key — what `stateManager.setState(sessionId, { type: 'shared' })`
 * wrote — overlaid with the keys of the `context` entry the steps enrich.
 */
export async function readContext(store: Store, sessionId: string, now: number): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  let context: Record<string, unknown> = {};
  for (const e of await store.listState(sessionId, now, { owner: '' })) {
    if (e.key === CONTEXT_KEY) context = e.value !== null && typeof e.value === 'object' ? (e.value as Record<string, unknown>) : {};
    else out[e.key] = e.value;
  }
  return { ...out, ...context };
}

/** Merges keys into a session's shared context (compare-and-set, retried on a concurrent write). */
export async function mergeContext(store: Store, sessionId: string, update: (current: Record<string, unknown>) => Record<string, unknown>, now: () => number): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const e = await store.getState(sessionId, CONTEXT_KEY, '', now());
    const current = e && e.value !== null && typeof e.value === 'object' ? (e.value as Record<string, unknown>) : {};
    try {
      await store.applyState(sessionId, [{ op: 'set', key: CONTEXT_KEY, owner: '', type: 'shared', value: update(current), expiresAt: null, expectedVersion: e?.version ?? 0 }], now());
      return;
    } catch (err) {
      if (!isTuttiError(err, 'ERR_VERSION_CONFLICT')) throw err;
    }
  }
}

function summaryOf(result: AttemptResult): unknown {
  const o = result.output;
  if (typeof o === 'string') return o.length > MAX_SUMMARY ? `${o.slice(0, MAX_SUMMARY)}…` : o;
  if (o !== null && typeof o === 'object' && typeof (o as { summary?: unknown }).summary === 'string') return (o as { summary: string }).summary;
  return result.summary ?? null;
}

/**
 * The engine hooks that propagate a session's context between its steps. Only runs whose metadata
 * has `orchestration: 'seed-003'` are touched. Pass them to `createEngine({ attemptHooks })`
 * (the orchestrator does so for the engine it creates).
 */
export function createContextHooks(storeOf: Store | (() => Store), now: () => number = Date.now): AttemptHooks {
  const current = typeof storeOf === 'function' ? storeOf : () => storeOf;
  const sessions = new Map<string, boolean>();
  const isSession = async (runId: string): Promise<boolean> => {
    let known = sessions.get(runId);
    if (known === undefined) {
      const run = await current().getRun(runId);
      known = run?.metadata.orchestration === SESSION_MARK;
      if (sessions.size > 10_000) sessions.clear();
      sessions.set(runId, known);
    }
    return known;
  };
  return {
    async prepareAttempt(ctx: Readonly<AttemptContext>): Promise<AttemptPreparation | void> {
      if (!(await isSession(ctx.runId))) return;
      const context = await readContext(current(), ctx.runId, now());
      const json = JSON.stringify(context);
      const shown = json.length > MAX_PROMPT_CONTEXT ? `${json.slice(0, MAX_PROMPT_CONTEXT)}…` : json;
      const prompt = ctx.task.prompt !== undefined && Object.keys(context).length ? `${ctx.task.prompt}\n\nShared context (JSON):\n${shown}` : ctx.task.prompt;
      return { task: { ...ctx.task, ...(prompt !== undefined ? { prompt } : {}) }, env: { ...ctx.env, TUTTI_CONTEXT: json } };
    },
    async onAttemptFinished(ctx: Readonly<AttemptContext>, result: AttemptResult): Promise<void> {
      if (result.status !== 'succeeded' || !(await isSession(ctx.runId))) return;
      const out = result.output;
      const added = out !== null && typeof out === 'object' && !Array.isArray(out) ? (out as { context?: unknown }).context : undefined;
      const contributions = added !== null && typeof added === 'object' && !Array.isArray(added) ? (added as Record<string, unknown>) : {};
      const summary = summaryOf(result);
      await mergeContext(
        current(),
        ctx.runId,
        (current) => {
          const steps = current.steps !== null && typeof current.steps === 'object' ? (current.steps as Record<string, unknown>) : {};
          return { ...current, ...contributions, steps: { ...steps, [ctx.taskId]: summary } };
        },
        now,
      );
    },
  };
}
