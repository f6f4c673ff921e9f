/** Options of the farm `Orchestrator`, checked at the boundary, and its executors' outcomes. */
import type { Engine } from '../../core/engine.js';
import { TuttiError } from '../../core/errors.js';
import { AgentDispatcher, type FarmAgentInput } from './agents.js';
import type { FarmExecutor, FarmExecutorOutcome } from './types.js';

/**
 * The executor used when none is given: deterministic, succeeds at once with a line describing
 * the task and the agent. It does no real work: real agent CLIs (Claude Code, Codex, Gemini…)
 * come with the engine's coding-agent drivers; pass an `executor` to do real work here.
 */
export const defaultFarmExecutor: FarmExecutor = (task, agent) => `Completed: ${task.description} (${task.type} task by ${agent.id}; success criteria: ${task.successCriteria})`;

/** Options of the farm `Orchestrator`; all optional. */
export interface OrchestratorOptions {
  /**
   * The engine to execute on. A given engine is started if idle, and never stopped by `close()`.
   * @default a private engine: `createEngine({ dataDir, store: { sqlite: dbPath ?? ':memory:' }, runScope: 'own', builtinAgents: false })`, started on the first execution
   */
  engine?: Engine;
  /** Data dir of the private engine (attempt logs, large outputs). @default a fresh directory under the OS temp dir, removed by `close()` */
  dataDir?: string;
  /** SQLite file of the private engine, to keep the farm's runs after the process ends. @default ':memory:' */
  dbPath?: string;
  /** The agents: a dispatcher (shared, and mutable later), or a list replacing the seed's defaults. @default new AgentDispatcher(`<dataDir>/outputs`) */
  agents?: AgentDispatcher | FarmAgentInput[];
  /** Does the work of each task inside an engine attempt. @default defaultFarmExecutor */
  executor?: FarmExecutor;
  /** Where outputs go (`<outputDir>/<taskId>.output`) when `agents` is not a dispatcher. @default `<dataDir>/outputs` */
  outputDir?: string;
}

const OPTION_KEYS = new Set(['engine', 'dataDir', 'dbPath', 'agents', 'executor', 'outputDir']);

/** @throws TuttiError `ERR_INVALID_OPTIONS` naming an unknown or mistyped option. */
export function checkOptions(options: unknown): OrchestratorOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new TuttiError('ERR_INVALID_OPTIONS', 'new Orchestrator(options): options is an object, or the output directory as a string');
  const unknown = Object.keys(options).filter((k) => !OPTION_KEYS.has(k));
  if (unknown.length) throw new TuttiError('ERR_INVALID_OPTIONS', `new Orchestrator: unknown option ${unknown.map((k) => `'${k}'`).join(', ')} (known: ${[...OPTION_KEYS].join(', ')})`);
  const o = options as OrchestratorOptions;
  for (const k of ['dataDir', 'dbPath', 'outputDir'] as const) if (o[k] !== undefined && (typeof o[k] !== 'string' || o[k] === '')) throw new TuttiError('ERR_INVALID_OPTIONS', `new Orchestrator: ${k} is a non-empty string`);
  if (o.executor !== undefined && typeof o.executor !== 'function') throw new TuttiError('ERR_INVALID_OPTIONS', 'new Orchestrator: executor is a function');
  if (o.agents !== undefined && !(o.agents instanceof AgentDispatcher) && !Array.isArray(o.agents)) throw new TuttiError('ERR_INVALID_OPTIONS', 'new Orchestrator: agents is an AgentDispatcher or a list of agents');
  return o;
}

export interface Outcome {
  ok: boolean;
  output: string;
  error?: string;
  artifacts: string[];
}

export function normaliseOutcome(outcome: FarmExecutorOutcome): Outcome {
  if (outcome === undefined) return { ok: true, output: '', artifacts: [] };
  if (typeof outcome === 'string') return { ok: true, output: outcome, artifacts: [] };
  const r: Outcome = { ok: outcome.status === 'success', output: outcome.output ?? '', artifacts: [...(outcome.artifacts ?? [])] };
  if (outcome.error !== undefined) r.error = outcome.error;
  return r;
}
