/**
 * The messages an `llm` attempt sends: the agent's system message, then one user message made of
 * the task prompt, its context and acceptance criteria, the work-dir files the task attaches
 * (`input.files`), and the feedback on the previous attempt (a failure, or a reviewer's rejection).
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { z } from 'zod';
import type { AttemptContext } from '../../types.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** The part of a task's `input` the llm driver reads. Other fields are ignored. */
const llmInputSchema = z.looseObject({
  files: z.array(z.string().min(1).max(4096)).max(100).optional(),
});

/** The prompt cannot be built (a bad `input.files`): not worth retrying. */
export class PromptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PromptError';
  }
}

function readCapped(path: string, maxBytes: number): { text: string; truncated: boolean } | null {
  let fd: number;
  try {
    if (!statSync(path).isFile()) return null;
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const buf = Buffer.alloc(maxBytes + 1);
    const n = readSync(fd, buf, 0, maxBytes + 1, 0);
    return { text: buf.subarray(0, Math.min(n, maxBytes)).toString('utf8'), truncated: n > maxBytes };
  } finally {
    closeSync(fd);
  }
}

/** The longest run of backticks in `text`, plus one (at least 3): a fence that cannot close early. */
function fenceFor(text: string): string {
  let longest = 0;
  for (const m of text.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  return '`'.repeat(Math.max(3, longest + 1));
}

/**
 * Work-dir files named by the task's `input.files`, as Markdown sections. Paths are relative to
 * the work dir and may not leave it; a missing file is said to be missing.
 * @throws PromptError for a path outside the work dir or a malformed `input.files`.
 */
export function attachedFiles(ctx: Pick<AttemptContext, 'task' | 'workDir'>, maxFileBytes: number): string[] {
  const parsed = llmInputSchema.safeParse(ctx.task.input ?? {});
  if (!parsed.success) return [];
  const out: string[] = [];
  for (const name of parsed.data.files ?? []) {
    const abs = resolve(ctx.workDir, name);
    const rel = relative(ctx.workDir, abs);
    if (isAbsolute(name) || rel.startsWith('..') || isAbsolute(rel)) throw new PromptError(`input.files: '${name}' is outside the work dir`);
    const file = readCapped(abs, maxFileBytes);
    if (!file) {
      out.push(`## File ${rel}\n\n(not found)`);
      continue;
    }
    const fence = fenceFor(file.text);
    out.push(`## File ${rel}${file.truncated ? ` (first ${maxFileBytes} bytes)` : ''}\n\n${fence}\n${file.text}\n${fence}`);
  }
  return out;
}

/**
 * Builds the request messages of an attempt.
 * @throws PromptError when the task has no prompt or attaches a file outside the work dir.
 */
export function buildMessages(ctx: Pick<AttemptContext, 'task' | 'workDir' | 'feedback'>, options: { system?: string; maxFileBytes: number }): ChatMessage[] {
  const { task } = ctx;
  if (task.prompt === undefined || task.prompt.trim() === '') throw new PromptError('the task has no prompt');
  const parts = [task.prompt.trim()];
  if (task.context) parts.push(`## Context\n\n${task.context.trim()}`);
  if (task.acceptanceCriteria?.length) parts.push(`## Acceptance criteria\n\n${task.acceptanceCriteria.map((c) => `- ${c}`).join('\n')}`);
  parts.push(...attachedFiles(ctx, options.maxFileBytes));
  if (ctx.feedback) parts.push(`## Feedback on your previous answer\n\n${ctx.feedback.trim()}\n\nAnswer again, taking this feedback into account.`);
  const messages: ChatMessage[] = [];
  if (options.system) messages.push({ role: 'system', content: options.system });
  messages.push({ role: 'user', content: parts.join('\n\n') });
  return messages;
}
