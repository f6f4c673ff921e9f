/**
 * Coding-agent CLIs (Claude Code, Codex, Gemini CLI, Cursor): adapters, the runner, fallback
 * chains, the `claude`/`codex`/`gemini`/`cursor` drivers and the `coding` driver (worktree + agent
 * + commit + path rules + validation). See docs/coding-agents.md.
 */
import type { AgentDriver } from '../../types.js';
import { createCodingDriver, type CodingDriverOptions } from './coding/driver.js';
import { createCliDriver } from './driver.js';
import { CLI_NAMES } from './types.js';

export { CLI_ADAPTERS } from './adapters.js';
export { CLI_NAMES, FALLBACK_KINDS, isCliName, type CliName, type CliAdapter, type CliEvent, type CliOutcome, type CliOutcomeKind, type AuthState } from './types.js';
export { parseClaudeLine } from './claude.js';
export { parseCodexLine } from './codex.js';
export { parseGeminiLine } from './gemini.js';
export { parseCursorLine } from './cursor.js';
export { parseTranscript, type TranscriptEntry, type TranscriptRun } from './transcript.js';
export { parseResetTime, parseDuration, RATE_LIMIT_RE, CAPACITY_RE, CREDITS_RE, AUTH_RE, NETWORK_RE } from './classify.js';
export { runCli, classifyEnd, type RunCliOptions } from './run-cli.js';
export { runChain, chainError, chainReport, chainUsage, type ChainOptions, type ChainResult } from './chain.js';
export { BudgetLedger, budgetLimitsSchema, usageTokens, DEFAULT_SOFT_FRACTION, BUDGET_DIMENSIONS, type BudgetLimits, type BudgetAmounts, type BudgetGrant, type BudgetRefusal, type BudgetDimension } from './budget.js';
export { composePrompt, cleanFeedback, type PromptParts } from './prompt.js';
export { cliAgentConfigSchema, codingAgentConfigSchema, parseCliList, type CliAgentConfig, type CodingAgentConfig } from './config.js';
export { createCliDriver, DEFAULT_CLI_TIMEOUT_MS, type CliDriverOptions } from './driver.js';
export { createCodingDriver, budgetKey, testLogPath, DEFAULT_VALIDATE_TIMEOUT_MS, type CodingDriverOptions, type CodingOutput } from './coding/driver.js';
export { killStragglers, processesWithKey } from './stragglers.js';
export { codingPlan, codingAgentId, DEFAULT_MAX_ITERATIONS, type CodingRunInput } from './coding/plan.js';
export { reconcileWithEngine } from './coding/reconcile.js';
export {
  analyzeTask,
  splitTask,
  DEFAULT_CHAIN,
  TaskDispatcher,
  usableClis,
  noUsableCli,
  runCommandOf,
  parseAgentSpec,
  tuttiBin,
  type AgentSpec,
  type AnalyzeOptions,
  type TaskDispatcherOptions,
  type CreatedAgent,
  type RunCommandOptions,
} from './dispatch.js';
export { probeCli, probeTools, findProgram, type CliProbe, type ToolProbe, type ProbeOptions } from './probe.js';
export { listSessions, newSession, killSession, hasSession, capturePane, sessionName, SESSION_PREFIX, type TmuxSession, type TmuxOptions } from './tmux.js';

/** The `claude`, `codex`, `gemini`, `cursor` and `coding` drivers. */
export function createCodingAgentDrivers(options: CodingDriverOptions): AgentDriver[] {
  const common = { ...(options.killGraceMs !== undefined ? { killGraceMs: options.killGraceMs } : {}), ...(options.baseEnv ? { baseEnv: options.baseEnv } : {}) };
  return [...CLI_NAMES.map((n) => createCliDriver(n, common)), createCodingDriver(options)];
}
