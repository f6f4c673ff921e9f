/**
 * The OpenAI chat-completions wire format, as zod schemas (responses are validated, never
 * trusted), and a reader of its Server-Sent Events stream (`data: {chunk}` … `data: [DONE]`).
 */
import { z } from 'zod';

export const wireUsageSchema = z.looseObject({
  prompt_tokens: z.number().int().min(0),
  completion_tokens: z.number().int().min(0),
  total_tokens: z.number().int().min(0).optional(),
});

/** `POST /chat/completions` without streaming: a `chat.completion` object. */
export const completionSchema = z.looseObject({
  id: z.string().optional(),
  object: z.string().optional(),
  model: z.string().optional(),
  choices: z
    .array(
      z.looseObject({
        index: z.number().int().optional(),
        message: z.looseObject({ role: z.string().optional(), content: z.string().nullable().optional(), refusal: z.string().nullable().optional() }),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .min(1, 'the answer has no choices'),
  usage: wireUsageSchema.nullable().optional(),
});

/** One `data:` event of a streamed answer: a `chat.completion.chunk`. */
export const chunkSchema = z.looseObject({
  id: z.string().optional(),
  object: z.string().optional(),
  model: z.string().optional(),
  choices: z
    .array(
      z.looseObject({
        index: z.number().int().optional(),
        delta: z.looseObject({ role: z.string().nullable().optional(), content: z.string().nullable().optional(), refusal: z.string().nullable().optional() }).nullable().optional(),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .nullable()
    .optional(),
  usage: wireUsageSchema.nullable().optional(),
});

/** The error body of a non-2xx answer (also sent as a `data:` event by some servers). */
export const errorBodySchema = z.looseObject({
  error: z.looseObject({
    message: z.string(),
    type: z.string().nullable().optional(),
    code: z.union([z.string(), z.number()]).nullable().optional(),
  }),
});

export type Completion = z.output<typeof completionSchema>;
export type Chunk = z.output<typeof chunkSchema>;
export type WireUsage = z.output<typeof wireUsageSchema>;

/** The message of an error body, when `text` is one. */
export function errorMessageOf(text: string): string | undefined {
  try {
    const r = errorBodySchema.safeParse(JSON.parse(text));
    return r.success ? r.data.error.message : undefined;
  } catch {
    return undefined;
  }
}

/** Largest single SSE event accepted, characters (a chunk is a few hundred bytes). */
const MAX_EVENT_CHARS = 4 * 1024 * 1024;

/**
 * Reads an SSE body and yields the `data` of each event (multi-line data joined by `\n`).
 * Comments (`:`) and other fields are skipped; ends at the end of the body.
 * @throws Error when one event exceeds 4 MiB.
 */
export async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffer = '';
  let data: string[] = [];
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buffer.search(/\r\n|\n|\r/)) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(buffer[nl] === '\r' && buffer[nl + 1] === '\n' ? nl + 2 : nl + 1);
        if (line === '') {
          if (data.length) yield data.join('\n');
          data = [];
        } else if (line.startsWith('data:')) {
          data.push(line.slice(line[5] === ' ' ? 6 : 5));
        }
      }
      if (buffer.length > MAX_EVENT_CHARS) throw new Error(`an event of the stream is larger than ${MAX_EVENT_CHARS} characters`);
      if (done) break;
    }
    finished = true;
    if (buffer.startsWith('data:')) data.push(buffer.slice(buffer[5] === ' ' ? 6 : 5));
    if (data.length) yield data.join('\n');
  } finally {
    // Stopped early (an abort, a bad event): close the connection instead of draining it.
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
