/**
 * Settings of an `llm` agent (its `config`), validated with zod, and the price table that turns
 * token counts into USD. Documented in `docs/llm-driver.md`.
 */
import { z } from 'zod';
import type { Usage } from '../../../core/model.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** USD per million tokens of one model. */
export const modelPriceSchema = z.strictObject({
  inputUsdPerMTok: z.number().min(0).describe('USD per 1,000,000 prompt (input) tokens.'),
  outputUsdPerMTok: z.number().min(0).describe('USD per 1,000,000 completion (output) tokens.'),
});

/** Model name → price. */
export const priceTableSchema = z.record(z.string().min(1).max(200), modelPriceSchema);

export type ModelPrice = z.output<typeof modelPriceSchema>;
export type PriceTable = z.output<typeof priceTableSchema>;

export const llmAgentConfigSchema = z.strictObject({
  baseUrl: z
    .string()
    .max(2000)
    .refine((s) => /^https?:\/\/[^\s]+$/i.test(s), 'an http(s) URL, e.g. https://api.openai.com/v1')
    .describe('Base URL of the OpenAI-compatible API; the driver POSTs to `<baseUrl>/chat/completions`.'),
  model: z.string().min(1).max(200).describe('Model name sent in the request.'),
  apiKeyEnv: z
    .string()
    .regex(ENV_NAME, 'an environment variable name')
    .optional()
    .describe('Name of the environment variable holding the API key (sent as a bearer token). Omitted: no Authorization header.'),
  system: z.string().max(100_000).optional().describe('System message put before the task prompt.'),
  temperature: z.number().min(0).max(2).optional(),
  maxTokens: z.number().int().positive().max(10_000_000).optional().describe('`max_tokens` of the request.'),
  stream: z.boolean().default(true).describe('Stream the answer (SSE). Default true.'),
  maxRetries: z.number().int().min(0).max(20).default(3).describe('Retries of one request after a 429, a 5xx or a network error. Default 3.'),
  retryBaseMs: z.number().int().min(0).max(600_000).default(1000).describe('First backoff when the server gives no Retry-After, ms (doubled each retry, ±20 %). Default 1000.'),
  maxRetryDelayMs: z
    .number()
    .int()
    .min(0)
    .max(3_600_000)
    .default(60_000)
    .describe('Longest wait between retries inside one attempt, ms. A longer Retry-After ends the attempt at once (a 429 as rate_limited). Default 60000.'),
  requestTimeoutMs: z.number().int().positive().max(3_600_000).default(600_000).describe('Longest time for one HTTP request, answer included, ms. Default 600000.'),
  headers: z.record(z.string().min(1).max(200), z.string().max(10_000)).optional().describe('Extra request headers (not secrets: they are stored with the agent).'),
  prices: priceTableSchema.optional().describe('Prices by model (USD per million tokens), over the driver’s table.'),
  maxFileBytes: z.number().int().positive().max(10_000_000).default(200_000).describe('Bytes of each work-dir file attached to the prompt (task input `files`). Default 200000.'),
});

export type LlmAgentConfig = z.output<typeof llmAgentConfigSchema>;

/** Formats zod issues as `field: message; …`. */
export function configIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`).join('; ');
}

/**
 * Cost of a request in USD, or undefined when the model has no price.
 * @param model looked up as given, then without a date suffix (`gpt-4o-2024-08-06` → `gpt-4o`).
 */
export function costUsd(usage: Pick<Usage, 'inputTokens' | 'outputTokens'>, model: string, prices: PriceTable): number | undefined {
  const price = prices[model] ?? prices[model.replace(/-\d{4}-\d{2}-\d{2}$/, '')];
  if (!price) return undefined;
  const cost = ((usage.inputTokens ?? 0) * price.inputUsdPerMTok + (usage.outputTokens ?? 0) * price.outputUsdPerMTok) / 1_000_000;
  return Math.round(cost * 1e9) / 1e9;
}
