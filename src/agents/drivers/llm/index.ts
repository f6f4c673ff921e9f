/**
 * The `llm` driver: text-producing agents backed by an OpenAI-compatible chat-completions
 * endpoint (OpenAI, Azure-style gateways, vLLM, Ollama, LM Studio…). One attempt is one chat
 * completion: the task prompt (with attached work-dir files and the previous attempt's feedback)
 * goes in, the answer text is the attempt's output, and token usage and cost are recorded.
 *
 * The API key is read from the environment variable the agent's config names (`apiKeyEnv`), in
 * the `env` the driver was created with (default `process.env`, read when an attempt executes —
 * never at import). Keys are never logged or stored. See `docs/llm-driver.md`.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AttemptError, Usage } from '../../../core/model.js';
import type { AgentDriver, AttemptContext, AttemptResult } from '../../types.js';
import { configIssues, costUsd, llmAgentConfigSchema, type LlmAgentConfig, type PriceTable } from './config.js';
import { buildMessages, PromptError } from './prompt.js';
import { ChatAborted, ChatError, chatCompletion, type ChatAnswer } from './request.js';

export { llmAgentConfigSchema, priceTableSchema, modelPriceSchema, costUsd, type LlmAgentConfig, type PriceTable, type ModelPrice } from './config.js';
export { buildMessages, type ChatMessage } from './prompt.js';
export { parseRetryAfter } from './request.js';
export { sseData } from './wire.js';

export interface LlmDriverOptions {
  /**
   * Where `apiKeyEnv` names are looked up.
   * @default process.env, read when an attempt executes
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** HTTP client. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Prices by model (USD per million tokens); an agent's `config.prices` wins. @default {} (no cost recorded) */
  prices?: PriceTable;
  /** `maxConcurrency` of llm agents that set none. @default 8 */
  defaultMaxConcurrency?: number | null;
  /** Waits between retries (tests pass a recorder). @default a timer that stops on abort */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Epoch ms, for HTTP-date `Retry-After`. @default Date.now */
  now?: () => number;
  /** [0, 1) for backoff jitter. @default Math.random */
  random?: () => number;
}

/** Waits `ms`, or less when `signal` aborts (never rejects). */
const abortableSleep = (ms: number, signal: AbortSignal): Promise<void> => delay(ms, undefined, { signal }).catch(() => undefined);

/** Appends lines to the attempt log, keeping at most `max` bytes (then one marker line). */
function attemptLog(path: string, max: number): { line(text: string): void; readonly bytes: number } {
  let bytes = 0;
  let full = false;
  return {
    line(text) {
      if (full) return;
      let chunk = `${text}\n`;
      if (bytes + Buffer.byteLength(chunk) > max) {
        chunk = `${chunk.slice(0, Math.max(0, max - bytes))}\n[log truncated at ${max} bytes]\n`;
        full = true;
      }
      if (bytes === 0) mkdirSync(dirname(path), { recursive: true });
      appendFileSync(path, chunk);
      bytes += Buffer.byteLength(chunk);
    },
    get bytes() {
      return bytes;
    },
  };
}

function firstLine(text: string): string | undefined {
  const line = text.split('\n').find((l) => l.trim() !== '');
  return line ? line.trim().replace(/^#+\s*/, '').slice(0, 200) : undefined;
}

function usageOf(answer: ChatAnswer, model: string, prices: PriceTable): Usage | undefined {
  if (!answer.usage) return undefined;
  const usage: Usage = { inputTokens: answer.usage.prompt_tokens, outputTokens: answer.usage.completion_tokens };
  const cost = costUsd(usage, model, prices) ?? (answer.model ? costUsd(usage, answer.model, prices) : undefined);
  if (cost !== undefined) usage.costUsd = cost;
  return usage;
}

/** Creates the `llm` driver. */
export function createLlmDriver(options: LlmDriverOptions = {}): AgentDriver {
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const sleep = options.sleep ?? abortableSleep;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;

  async function execute(ctx: AttemptContext, signal: AbortSignal): Promise<AttemptResult> {
    const log = attemptLog(ctx.logPath, ctx.maxLogBytes);
    const fail = (error: AttemptError, extra: Partial<AttemptResult> = {}): AttemptResult => ({ status: 'failed', error, logBytes: log.bytes, ...extra });
    const parsed = llmAgentConfigSchema.safeParse(ctx.agent.config);
    if (!parsed.success) return fail({ kind: 'non_retryable', message: `llm agent '${ctx.agent.id}' config: ${configIssues(parsed.error)}`, retryable: false });
    const config: LlmAgentConfig = parsed.data;
    let key: string | undefined;
    if (config.apiKeyEnv) {
      key = (options.env ?? process.env)[config.apiKeyEnv];
      if (!key) return fail({ kind: 'auth', message: `environment variable ${config.apiKeyEnv} is not set (llm agent '${ctx.agent.id}' reads its API key from it)`, retryable: false });
    }
    let messages;
    try {
      messages = buildMessages(ctx, { maxFileBytes: config.maxFileBytes, ...(config.system ? { system: config.system } : {}) });
    } catch (e) {
      if (e instanceof PromptError) return fail({ kind: 'non_retryable', message: e.message, retryable: false });
      throw e;
    }
    const url = `${config.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    const body: Record<string, unknown> = { model: config.model, messages, stream: config.stream };
    if (config.stream) body.stream_options = { include_usage: true };
    if (config.temperature !== undefined) body.temperature = config.temperature;
    if (config.maxTokens !== undefined) body.max_tokens = config.maxTokens;
    const headers: Record<string, string> = { ...config.headers, 'content-type': 'application/json', accept: config.stream ? 'text/event-stream' : 'application/json' };
    if (key) headers.authorization = `Bearer ${key}`;
    log.line(`model ${config.model}, ${messages.length} message${messages.length > 1 ? 's' : ''}`);
    for (const m of messages) log.line(`--- ${m.role} ---\n${m.content}`);
    log.line('--- answer ---');

    let answer: ChatAnswer;
    try {
      answer = await chatCompletion(
        { url, headers, body, stream: config.stream },
        config,
        {
          fetch: doFetch,
          sleep,
          now,
          random,
          log: (line) => log.line(`[tutti] ${line}`),
          ...(ctx.streamOutput ? { onDelta: (text: string) => ctx.emit({ stream: 'stdout', text }) } : {}),
        },
        signal,
      );
    } catch (e) {
      if (e instanceof ChatAborted) return { status: 'cancelled', logBytes: log.bytes };
      if (e instanceof ChatError) return fail(e.failure);
      throw e;
    }
    log.line(answer.content);
    const usage = usageOf(answer, config.model, { ...options.prices, ...config.prices });
    log.line(`[tutti] finish ${answer.finishReason ?? 'unknown'}${usage ? `, ${usage.inputTokens} in / ${usage.outputTokens} out tokens${usage.costUsd !== undefined ? `, $${usage.costUsd}` : ''}` : ''}`);
    const common = { ...(usage ? { usage } : {}), ...(answer.id ? { sessionId: answer.id } : {}) };
    if (answer.finishReason === 'length') return fail({ kind: 'output_limit', message: `the answer was cut at the token limit${config.maxTokens ? ` (maxTokens ${config.maxTokens})` : ''}` }, { ...common, output: answer.content });
    if (answer.finishReason === 'refusal' || answer.finishReason === 'content_filter') {
      return fail({ kind: 'invalid_output', message: `the model did not answer (${answer.finishReason}): ${answer.content.slice(0, 300)}` }, common);
    }
    if (answer.content.trim() === '') return fail({ kind: 'invalid_output', message: 'the model answered nothing' }, common);
    const summary = firstLine(answer.content);
    return { status: 'succeeded', output: answer.content, ...(summary ? { summary } : {}), ...common, logBytes: log.bytes };
  }

  return {
    name: 'llm',
    defaultMaxConcurrency: options.defaultMaxConcurrency === undefined ? 8 : options.defaultMaxConcurrency,
    accepts(task) {
      if (task.command) return 'it answers prompts, not commands';
      if (task.function !== undefined) return 'it answers prompts, not functions';
      if (task.prompt === undefined) return 'the task has no prompt';
      return null;
    },
    validateConfig(config) {
      const r = llmAgentConfigSchema.safeParse(config);
      if (!r.success) throw new Error(`llm agent config: ${configIssues(r.error)}`);
    },
    execute,
  };
}
