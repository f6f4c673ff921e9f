/**
 * The task dispatcher of seed 004: a task in words → agent specs `{ name, task, cli | cli_chain,
 * model, workspace }`. A task written as a list of independent items (`1. …`, `- …`) gets one
 * agent per item, each in its own worktree; anything else gets one agent. The CLI chain is the one
 * forced (`--agent-cli`), else the installed CLIs in the default order.
 */
import { CLI_NAMES, type CliName } from './types.js';

/** One planned agent (field names as in seed 004). */
export interface AgentSpec {
  name: string;
  task: string;
  /** The CLI, when the chain has one element. */
  cli?: CliName;
  /** The fallback chain, when it has more. */
  cli_chain?: CliName[];
  model: string | null;
  /** `branch` is `tutti/<runId>/main` unless one is forced (each agent is a run of its own). */
  workspace: { mode: 'worktree' | 'in-place'; branch: string; copyFiles: string[]; pr?: number };
}

export interface AnalyzeOptions {
  /** `--agent-cli`: the chain to use. */
  forcedCli?: readonly CliName[];
  /** CLIs found installed (default chain when nothing is forced). */
  installed?: readonly CliName[];
  model?: string;
  /** Work in place instead of worktrees. */
  inPlace?: boolean;
  /** Branch to use instead of `tutti/<runId>/<name>`. */
  branch?: string;
}

/** Chain when nothing is forced and nothing is known installed. */
export const DEFAULT_CHAIN: readonly CliName[] = ['claude', 'codex', 'gemini'];

const ITEM_RE = /^\s*(?:\d+[.)]|[-*•])\s+(.+?)\s*$/;

/** A lower-case name from the first words: `fix-flaky-integration-tests`. */
export function slug(text: string, words = 5): string {
  const s = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .filter(Boolean)
    .slice(0, words)
    .join('-');
  return s || 'task';
}

/** Splits a task into independent items (≥ 2 list items), with the other lines as shared context. */
export function splitTask(task: string): { preamble: string; items: string[] } {
  const lines = task.split('\n');
  const items: string[] = [];
  const rest: string[] = [];
  for (const l of lines) {
    const m = ITEM_RE.exec(l);
    if (m) items.push(m[1]!);
    else rest.push(l);
  }
  return items.length >= 2 ? { preamble: rest.join('\n').trim(), items } : { preamble: '', items: [task.trim()] };
}

/** Analyses a task into agent specs (no side effects). @throws Error for an empty task. */
export function analyzeTask(task: string, o: AnalyzeOptions = {}): AgentSpec[] {
  if (!task.trim()) throw new Error('the task is empty');
  const installed = o.installed?.length ? CLI_NAMES.filter((n) => o.installed!.includes(n)) : DEFAULT_CHAIN;
  const chain = o.forcedCli?.length ? [...o.forcedCli] : [...installed];
  const { preamble, items } = splitTask(task);
  const pr = /\bPR\s*#?(\d+)\b/i.exec(task);
  const used = new Set<string>();
  return items.map((item, i) => {
    let name = `task-${slug(item)}`;
    if (used.has(name)) name = `${name}-${i + 1}`;
    used.add(name);
    const text = preamble ? `${preamble}\n\n${item}` : item;
    return {
      name,
      task: text,
      ...(chain.length === 1 ? { cli: chain[0]! } : { cli_chain: chain }),
      model: o.model ?? null,
      workspace: {
        mode: o.inPlace ? 'in-place' : 'worktree',
        branch: o.branch ?? 'tutti/<runId>/main',
        copyFiles: ['.env'],
        ...(pr ? { pr: Number(pr[1]) } : {}),
      },
    };
  });
}
