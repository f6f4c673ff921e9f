/** The planner's instructions: the goal, the plan format in brief, and the agents that exist. */
import type { AgentRecord } from '../agents/types.js';

function agentLine(a: AgentRecord): string {
  return `- ${a.id} (driver ${a.driver}${a.type !== a.driver ? `, type ${a.type}` : ''}; capabilities: ${a.capabilities.length ? a.capabilities.join(', ') : 'none'})`;
}

/** The prompt of the planning task. */
export function plannerPrompt(goal: string, agents: readonly AgentRecord[], extra?: string): string {
  const usable = agents.filter((a) => a.status !== 'disabled' && a.id !== 'test');
  return [
    'You are the planner of tutti, an engine that runs a plan — a DAG of tasks — on agents. Turn the goal below into a plan.',
    'Answer with one JSON object and nothing else, of this shape:',
    '{"name": "short name", "tasks": [{"id": "design", "title": "…", "agent": {"capabilities": ["…"]}, "prompt": "what to do", "dependsOn": []}]}',
    [
      'Rules:',
      '- Task ids use letters, digits, . _ : - and are unique; `dependsOn` lists ids of tasks of this plan that must succeed first; no cycles.',
      '- `agent` is an agent id or {"capabilities": [...]} / {"type": "…"}; every task must be runnable by one of the agents listed below.',
      '- Tasks for agents that answer prompts (drivers llm, claude, codex, gemini, cursor, exec agents with a command) have a `prompt`; tasks for exec agents may instead have `command`, an argv array (never a shell string).',
      '- Optional task fields: title, timeoutMs, retry {"maxAttempts": n}, acceptanceCriteria [..], continueOnFailure, priority.',
      '- Independent tasks should not depend on each other, so they can run in parallel.',
    ].join('\n'),
    `Agents:\n${usable.map(agentLine).join('\n') || '- (none registered)'}`,
    ...(extra ? [extra.trim()] : []),
    `Goal:\n${goal.trim()}`,
  ].join('\n\n');
}
