/**
 * The prompt a coding agent gets: the task, its acceptance criteria, the context (a `--context`
 * file), the path rules and validation commands it will be judged by, and, from the second
 * iteration on, what went wrong last time (the engine's feedback).
 */
import type { TaskSpec } from '../../../core/plan/schema.js';

/** Longest context kept in a prompt, characters (the rest is cut with a marker). */
export const MAX_CONTEXT_CHARS = 64 * 1024;
/** Longest feedback kept, characters (its end is kept). */
export const MAX_FEEDBACK_CHARS = 8 * 1024;

/**
 * The engine's feedback minus the attempt's JSON output line it appends (a coding attempt's
 * artifacts: commits, changed files), which says nothing the message does not.
 */
export function cleanFeedback(feedback: string): string {
  const lines = feedback.trimEnd().split('\n');
  const last = lines[lines.length - 1] ?? '';
  if (lines.length > 1 && /^…?\{.*"(?:commits|changedFiles)":/.test(last)) lines.pop();
  return lines.join('\n').trim();
}

function cut(text: string, max: number, keep: 'start' | 'end'): string {
  if (text.length <= max) return text;
  return keep === 'start' ? `${text.slice(0, max)}\n[… ${text.length - max} more characters cut]` : `[… ${text.length - max} earlier characters cut]\n${text.slice(text.length - max)}`;
}

export interface PromptParts {
  task: Pick<TaskSpec, 'title' | 'prompt' | 'acceptanceCriteria' | 'context' | 'allowedPaths' | 'forbiddenPaths'>;
  /** Validation commands, as shown to the agent. */
  validate?: readonly string[];
  feedback: string | null;
  /** 1-based iteration. */
  iteration: number;
  maxIterations?: number;
  /** Sections about the workspace's state the agent must know first (a conflict to resolve, an interrupted attempt). */
  notes?: ReadonlyArray<{ title: string; body: string }>;
}

/** Composes the prompt (markdown). */
export function composePrompt(p: PromptParts): string {
  const { task } = p;
  const out: string[] = [];
  out.push(task.prompt?.trim() || task.title);
  if (task.acceptanceCriteria?.length) {
    out.push('', '## Acceptance criteria', ...task.acceptanceCriteria.map((c) => `- ${c}`));
  }
  const rules: string[] = [];
  if (task.allowedPaths?.length) rules.push(`- Change only files matching: ${task.allowedPaths.join(', ')}`);
  if (task.forbiddenPaths?.length) rules.push(`- Do not change files matching: ${task.forbiddenPaths.join(', ')}`);
  if (p.validate?.length) rules.push(`- When you are done, these commands must succeed in the repository: ${p.validate.map((c) => `\`${c}\``).join(', ')}`);
  rules.push('- Edit the files in the current directory; do not push, and do not switch branches. Your changes are committed for you.');
  out.push('', '## Rules', ...rules);
  if (task.context?.trim()) out.push('', '## Context', cut(task.context.trim(), MAX_CONTEXT_CHARS, 'start'));
  for (const n of p.notes ?? []) out.push('', `## ${n.title}`, n.body.trim());
  if (p.feedback?.trim()) {
    const it = p.maxIterations ? `${p.iteration} of ${p.maxIterations}` : String(p.iteration);
    out.push(
      '',
      `## Feedback from the previous attempt (this is iteration ${it})`,
      'The previous attempt did not pass. Fix what this output shows; keep the work that was right.',
      '```',
      cut(cleanFeedback(p.feedback), MAX_FEEDBACK_CHARS, 'end'),
      '```',
    );
  }
  return `${out.join('\n')}\n`;
}
