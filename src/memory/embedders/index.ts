/**
 * Embedders by config: the bundled local model (default), an OpenAI-compatible `/v1/embeddings`
 * provider, or the lexical hashing embedder (tests). The config is what `tutti.config.*`,
 * `TUTTI_EMBEDDER*` variables (read by the CLI) or a library caller give.
 */
import { z } from 'zod';
import { TuttiError } from '../../core/errors.js';
import { createHashEmbedder } from './hash.js';
import { createLocalEmbedder } from './local.js';
import { createOpenAIEmbedder } from './openai.js';
import type { Embedder } from './types.js';

export const embedderConfigSchema = z.discriminatedUnion('provider', [
  z.strictObject({
    provider: z.literal('local'),
    thread: z.enum(['worker', 'main']).optional(),
    batchSize: z.number().int().min(1).max(1024).optional(),
  }),
  z.strictObject({
    provider: z.literal('openai'),
    /** Up to and including `/v1`. */
    baseUrl: z.string().url(),
    model: z.string().min(1).max(200),
    /** The environment variable holding the API key (read from the given env when embedding starts). @default OPENAI_API_KEY */
    apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional(),
    dimensions: z.number().int().min(1).max(65_536).optional(),
    batchSize: z.number().int().min(1).max(2048).optional(),
    timeoutMs: z.number().int().positive().optional(),
  }),
  z.strictObject({ provider: z.literal('hash'), dimension: z.number().int().min(8).max(65_536).optional() }),
]);

/** An embedder configuration: `{ provider: 'local' }` (default), `{ provider: 'openai', baseUrl, model, apiKeyEnv?, dimensions? }` or `{ provider: 'hash', dimension? }`. */
export type EmbedderConfig = z.input<typeof embedderConfigSchema>;

/**
 * Creates the embedder a config names.
 * @param env where `apiKeyEnv` is looked up. @default process.env (read now, not on import)
 * @throws TuttiError `ERR_INVALID_OPTIONS` for a bad config, naming the field.
 * @example
 * createEmbedder({ provider: 'openai', baseUrl: 'http://127.0.0.1:11434/v1', model: 'nomic-embed-text' });
 */
export function createEmbedder(config: EmbedderConfig = { provider: 'local' }, env: Record<string, string | undefined> = process.env, fetchImpl?: typeof fetch): Embedder {
  const r = embedderConfigSchema.safeParse(config);
  if (!r.success) throw new TuttiError('ERR_INVALID_OPTIONS', `invalid embedder config: ${r.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`).join('; ')}`);
  const c = r.data;
  switch (c.provider) {
    case 'local':
      return createLocalEmbedder({ ...(c.thread ? { thread: c.thread } : {}), ...(c.batchSize ? { batchSize: c.batchSize } : {}) });
    case 'hash':
      return createHashEmbedder(c.dimension);
    case 'openai': {
      const key = env[c.apiKeyEnv ?? 'OPENAI_API_KEY'];
      return createOpenAIEmbedder({
        baseUrl: c.baseUrl,
        model: c.model,
        ...(key ? { apiKey: key } : {}),
        ...(c.dimensions ? { dimensions: c.dimensions } : {}),
        ...(c.batchSize ? { batchSize: c.batchSize } : {}),
        ...(c.timeoutMs ? { timeoutMs: c.timeoutMs } : {}),
        ...(fetchImpl ? { fetch: fetchImpl } : {}),
      });
    }
  }
}

/** Embedder settings as the CLI names them (flags; the env fills what they leave out). */
export interface EmbedderSettings {
  embedder?: string;
  embeddingsUrl?: string;
  embeddingsModel?: string;
  embeddingsKeyEnv?: string;
  embeddingsDimensions?: number;
}

/**
 * The embedder config from settings, then the given environment (`TUTTI_EMBEDDER` = local |
 * openai | hash, `TUTTI_EMBEDDINGS_URL`, `TUTTI_EMBEDDINGS_MODEL`, `TUTTI_EMBEDDINGS_KEY_ENV`,
 * `TUTTI_EMBEDDINGS_DIMENSIONS`), then the bundled model. Reads only what it is given.
 * @throws TuttiError `ERR_INVALID_OPTIONS`
 */
export function embedderConfigFrom(settings: EmbedderSettings, env: Record<string, string | undefined>): EmbedderConfig {
  const provider = settings.embedder ?? (env.TUTTI_EMBEDDER || undefined) ?? 'local';
  if (provider === 'local') return { provider: 'local' };
  if (provider === 'hash') return { provider: 'hash' };
  if (provider !== 'openai') throw new TuttiError('ERR_INVALID_OPTIONS', `unknown embedder '${provider}': use local, openai or hash`);
  const baseUrl = settings.embeddingsUrl ?? (env.TUTTI_EMBEDDINGS_URL || undefined);
  const model = settings.embeddingsModel ?? (env.TUTTI_EMBEDDINGS_MODEL || undefined);
  if (!baseUrl || !model) throw new TuttiError('ERR_INVALID_OPTIONS', '--embedder openai needs --embeddings-url and --embeddings-model (or TUTTI_EMBEDDINGS_URL and TUTTI_EMBEDDINGS_MODEL)');
  const keyEnv = settings.embeddingsKeyEnv ?? (env.TUTTI_EMBEDDINGS_KEY_ENV || undefined);
  const dims = settings.embeddingsDimensions ?? (env.TUTTI_EMBEDDINGS_DIMENSIONS ? Number(env.TUTTI_EMBEDDINGS_DIMENSIONS) : undefined);
  if (dims !== undefined && (!Number.isInteger(dims) || dims <= 0)) throw new TuttiError('ERR_INVALID_OPTIONS', `TUTTI_EMBEDDINGS_DIMENSIONS must be a positive integer, got '${env.TUTTI_EMBEDDINGS_DIMENSIONS}'`);
  return { provider: 'openai', baseUrl, model, ...(keyEnv ? { apiKeyEnv: keyEnv } : {}), ...(dims ? { dimensions: dims } : {}) };
}
