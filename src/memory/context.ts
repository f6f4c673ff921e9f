/**
 * Context propagation: the engine hooks that put retrieved memory into an attempt's prompt and
 * record the learnings an agent reports in its output (docs/memory.md).
 *
 * - Before an attempt of a task with a `memory` query, the plane is searched and the results are
 *   prepended to the task's prompt (exec agents receive the prompt on stdin) and passed as JSON
 *   in `TUTTI_MEMORY`.
 * - After an attempt (succeeded or failed, not cancelled), learnings found in its output — a
 *   `learnings` array in a structured output, `TUTTI_LEARNING:` lines in text output, the text
 *   fields `message`/`text`/`result`/`agentMessage` of an output object, or an exec agent's whole log — are
 *   recorded with provenance (run, task, attempt, agent) before the attempt's end is committed.
 *   Recording is idempotent per attempt.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { AttemptContext, AttemptResult } from '../agents/types.js';
import type { AttemptHooks, AttemptPreparation } from '../core/attempt-runner.js';
import { learningsFromOutput, learningsFromText, uniqueLearnings, type ParsedLearning } from './learnings.js';
import type { MemoryPlane, MemorySearchResult } from './memory-plane.js';

export interface MemoryHooksOptions {
  /** Longest memory block put into a prompt, characters (results are dropped from the end to fit). @default 8000 */
  maxPromptChars?: number;
  /** Longest `TUTTI_MEMORY` value, characters. @default 32000 */
  maxEnvChars?: number;
  /** Record learnings from attempt outputs. @default true */
  recordLearnings?: boolean;
  /** Longest part of an exec attempt's log scanned for learnings (its end), bytes. @default 4 MiB */
  maxLogScanBytes?: number;
}

/** The heading of the memory block in prompts. */
export const MEMORY_HEADING = '## Relevant memory (retrieved by tutti)';

function describe(r: MemorySearchResult): string {
  const tags = [r.kind === 'learning' ? 'learning' : r.key ? `entry ${r.key}` : 'entry', r.runId ? `run ${r.runId}` : 'global', `relevance ${r.score.toFixed(2)}`];
  return `- [${tags.join(' · ')}] ${r.text.replace(/\s*\n\s*/g, ' ').trim()}`;
}

/** The prompt block for search results, at most `maxChars` (whole lines only). Empty when there are none. */
export function formatMemoryContext(results: readonly MemorySearchResult[], maxChars = 8000): string {
  if (results.length === 0) return '';
  const lines = [MEMORY_HEADING];
  let size = MEMORY_HEADING.length;
  for (const r of results) {
    let line = describe(r);
    if (line.length > 2000) line = `${line.slice(0, 1999)}…`;
    if (size + 1 + line.length > maxChars) break;
    lines.push(line);
    size += 1 + line.length;
  }
  return lines.length > 1 ? lines.join('\n') : '';
}

function textFields(output: unknown): string[] {
  if (output === null || typeof output !== 'object' || Array.isArray(output)) return [];
  const o = output as Record<string, unknown>;
  // `agentMessage`: the coding drivers' last message of the agent.
  return ['message', 'text', 'result', 'agentMessage'].map((k) => o[k]).filter((v): v is string => typeof v === 'string');
}

/** The last `maxBytes` of a log, read from its end (logs may be far larger). '' when absent. */
async function logTail(path: string, maxBytes: number): Promise<string> {
  let file: FileHandle | undefined;
  try {
    file = await open(path, 'r');
    const { size } = await file.stat();
    const length = Math.min(size, maxBytes);
    const buf = Buffer.alloc(length);
    const { bytesRead } = await file.read(buf, 0, length, size - length);
    return buf.subarray(0, bytesRead).toString('utf8');
  } catch {
    return ''; // no log written
  } finally {
    await file?.close();
  }
}

/** The learnings an attempt reported, deduplicated by text. */
export async function collectLearnings(ctx: Readonly<AttemptContext>, result: AttemptResult, maxLogScanBytes = 4 * 1024 * 1024): Promise<ParsedLearning[]> {
  const found: ParsedLearning[] = [...learningsFromOutput(result.output)];
  for (const t of textFields(result.output)) found.push(...learningsFromText(t));
  if (result.summary) found.push(...learningsFromText(result.summary));
  // An exec agent's log is its raw stdout/stderr: it holds lines the 4 KiB output tail lost.
  if (ctx.agent.driver === 'exec' && result.logBytes) found.push(...learningsFromText(await logTail(ctx.logPath, maxLogScanBytes)));
  return uniqueLearnings(found);
}

/**
 * Engine hooks for a memory plane: pass them as `createEngine({ attemptHooks })`.
 * @example
 * const plane = new MemoryPlane({ store });
 * const engine = createEngine({ store, attemptHooks: createMemoryHooks(plane) });
 */
export function createMemoryHooks(planeOrGetter: MemoryPlane | (() => MemoryPlane), options: MemoryHooksOptions = {}): AttemptHooks {
  // A getter lets an engine and a plane be made in either order over one store.
  const current = typeof planeOrGetter === 'function' ? planeOrGetter : () => planeOrGetter;
  const maxPrompt = options.maxPromptChars ?? 8000;
  const maxEnv = options.maxEnvChars ?? 32_000;
  return {
    async prepareAttempt(ctx): Promise<AttemptPreparation | void> {
      const m = ctx.task.memory;
      if (!m) return;
      const query = m.query ?? ctx.task.prompt ?? ctx.task.title;
      const results = await current().search(m.scope === 'global' ? 'global' : { runId: ctx.runId }, query, m.topK);
      const block = formatMemoryContext(results, maxPrompt);
      const env = results.map((r) => ({ text: r.text, kind: r.kind, key: r.key, runId: r.runId, score: Number(r.score.toFixed(4)) }));
      let json = JSON.stringify(env);
      while (json.length > maxEnv && env.length > 0) {
        env.pop();
        json = JSON.stringify(env);
      }
      const prompt = block ? (ctx.task.prompt ? `${block}\n\n${ctx.task.prompt}` : block) : ctx.task.prompt;
      return { task: { ...ctx.task, ...(prompt !== undefined ? { prompt } : {}) }, env: { ...ctx.env, TUTTI_MEMORY: json } };
    },
    async onAttemptFinished(ctx, result): Promise<void> {
      if (options.recordLearnings === false) return;
      const learnings = await collectLearnings(ctx, result, options.maxLogScanBytes);
      if (learnings.length === 0) return;
      await current().recordLearnings(
        ctx.runId,
        learnings,
        { runId: ctx.runId, taskId: ctx.taskId, attempt: ctx.attempt, agentId: ctx.agent.id, source: 'agent-output', status: result.status },
        ctx.idempotencyKey,
      );
    },
  };
}
