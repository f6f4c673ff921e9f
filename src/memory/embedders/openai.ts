/**
 * An embedder over any OpenAI-compatible `POST /v1/embeddings` endpoint (OpenAI, Azure OpenAI,
 * vLLM, Ollama, LM Studio, text-embeddings-inference…). Responses are checked with a schema;
 * failures are `ERR_EMBEDDER` errors naming the endpoint and the status, never the API key.
 */
import { z } from 'zod';
import { TuttiError, errorMessage } from '../../core/errors.js';
import { normalise, type Embedder } from './types.js';

export interface OpenAIEmbedderOptions {
  /** Base URL up to and including the version segment, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1`. */
  baseUrl: string;
  /** Model name sent to the endpoint, e.g. `text-embedding-3-small`. */
  model: string;
  /** Sent as `Authorization: Bearer …` when set. */
  apiKey?: string;
  /** Requested output dimension (models that support shortening, e.g. text-embedding-3-*). */
  dimensions?: number;
  /** Texts per request. @default 64 */
  batchSize?: number;
  /** Per-request timeout, ms. @default 30000 */
  timeoutMs?: number;
  /** The fetch implementation. @default globalThis.fetch */
  fetch?: typeof fetch;
}

const responseSchema = z.object({
  data: z.array(z.object({ embedding: z.array(z.number()), index: z.number().int().min(0) })),
});

/** The model id recorded with this provider's vectors: `openai:<model>` (and `@<dimensions>` when set). */
export function openAIModelId(model: string, dimensions?: number): string {
  return `openai:${model}${dimensions ? `@${dimensions}` : ''}`;
}

/**
 * An OpenAI-compatible embedder.
 * @example
 * const embedder = createOpenAIEmbedder({ baseUrl: 'https://api.openai.com/v1', model: 'text-embedding-3-small', apiKey });
 * @throws TuttiError `ERR_INVALID_OPTIONS` for a base URL that is not http(s).
 */
export function createOpenAIEmbedder(options: OpenAIEmbedderOptions): Embedder {
  let url: URL;
  try {
    url = new URL(`${options.baseUrl.replace(/\/+$/, '')}/embeddings`);
  } catch {
    throw new TuttiError('ERR_INVALID_OPTIONS', `embeddings base URL '${options.baseUrl}' is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TuttiError('ERR_INVALID_OPTIONS', `embeddings base URL must be http(s), got '${options.baseUrl}'`);
  if (!options.model) throw new TuttiError('ERR_INVALID_OPTIONS', 'an embeddings model name is required');
  const doFetch = options.fetch ?? globalThis.fetch;
  const batchSize = Math.max(1, options.batchSize ?? 64);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const where = `${url.origin}${url.pathname}`;
  let dimension: number | null = options.dimensions ?? null;

  async function request(input: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const body: Record<string, unknown> = { model: options.model, input, encoding_format: 'float' };
    if (options.dimensions) body.dimensions = options.dimensions;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
    const timeout = AbortSignal.timeout(timeoutMs);
    let res: Response;
    try {
      res = await doFetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (e) {
      const why = timeout.aborted ? `no answer within ${timeoutMs} ms` : errorMessage(e);
      throw new TuttiError('ERR_EMBEDDER', `POST ${where} failed: ${why}`, { cause: e });
    }
    const text = await res.text();
    if (!res.ok) {
      let detail = text.slice(0, 300);
      try {
        const j = JSON.parse(text) as { error?: { message?: string } | string };
        detail = typeof j.error === 'string' ? j.error : (j.error?.message ?? detail);
      } catch {
        // not JSON: keep the text
      }
      throw new TuttiError('ERR_EMBEDDER', `POST ${where} answered ${res.status}: ${detail}`, { details: { status: res.status } });
    }
    let parsed: z.infer<typeof responseSchema>;
    try {
      parsed = responseSchema.parse(JSON.parse(text));
    } catch (e) {
      throw new TuttiError('ERR_EMBEDDER', `POST ${where} answered something that is not an embeddings response: ${errorMessage(e).slice(0, 200)}`, { cause: e });
    }
    if (parsed.data.length !== input.length) throw new TuttiError('ERR_EMBEDDER', `POST ${where} returned ${parsed.data.length} embeddings for ${input.length} inputs`);
    const out = new Array<Float32Array>(input.length);
    for (const d of parsed.data) {
      if (d.index >= input.length) throw new TuttiError('ERR_EMBEDDER', `POST ${where} returned an embedding for input ${d.index} of ${input.length}`);
      out[d.index] = normalise(Float32Array.from(d.embedding));
    }
    for (const v of out) {
      if (!v) throw new TuttiError('ERR_EMBEDDER', `POST ${where} left some inputs without an embedding`);
      dimension ??= v.length;
      if (v.length !== dimension) {
        throw new TuttiError('ERR_EMBEDDING_MISMATCH', `POST ${where} returned vectors of ${v.length} dimensions after ${dimension}: model '${options.model}' must answer one dimension`);
      }
    }
    return out;
  }

  return {
    model: openAIModelId(options.model, options.dimensions),
    get dimension() {
      return dimension;
    },
    async embed(texts, signal) {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += batchSize) out.push(...(await request(texts.slice(i, i + batchSize), signal)));
      return out;
    },
  };
}
