/**
 * A local OpenAI-compatible endpoint for tests: it replays recorded responses (fixtures/) in the
 * order they are queued and records every request it got.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach } from 'vitest';

export const FIXTURES = join(import.meta.dirname, 'fixtures');

export function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  /** Body text, or a fixture file name (`stream-ok.sse`, `error-429.json`). */
  body?: string;
  fixture?: string;
  /** Send the body in pieces with this pause between them, ms (an SSE stream arriving slowly). */
  dripMs?: number;
  /** Compute the reply from the request (a fake model). */
  respond?: (request: RecordedRequest) => Reply;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: { model?: string; messages?: Array<{ role: string; content: string }>; stream?: boolean; stream_options?: unknown; [k: string]: unknown };
}

export interface FakeLlm {
  url: string;
  requests: RecordedRequest[];
  /** Queues replies, used in order; `fallback` answers once the queue is empty. */
  queue(...replies: Reply[]): void;
  fallback: Reply | null;
  close(): Promise<void>;
}

const open: FakeLlm[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

/** A streamed answer with this text and usage, in the recorded format. */
export function sseAnswer(text: string, usage = { prompt_tokens: 100, completion_tokens: 50 }): string {
  const base = { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1737892800, model: 'fake-model' };
  const events = [
    { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] },
    ...text.match(/[\s\S]{1,40}/g)!.map((piece) => ({ ...base, choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] })),
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
    { ...base, choices: [], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } },
  ];
  return `${events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('')}data: [DONE]\n\n`;
}

export async function startFakeLlm(): Promise<FakeLlm> {
  const replies: Reply[] = [];
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      let body: RecordedRequest['body'] = {};
      try {
        body = JSON.parse(raw) as RecordedRequest['body'];
      } catch {
        // recorded as empty
      }
      const recorded: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      requests.push(recorded);
      let reply = replies.shift() ?? fake.fallback ?? { status: 500, body: '{"error":{"message":"no reply queued"}}' };
      if (reply.respond) reply = reply.respond(recorded);
      const text = reply.fixture ? fixture(reply.fixture) : (reply.body ?? '');
      const isSse = (reply.fixture ?? '').endsWith('.sse') || text.startsWith('data:');
      res.writeHead(reply.status ?? 200, { 'content-type': isSse ? 'text/event-stream' : 'application/json', ...reply.headers });
      if (!reply.dripMs) return res.end(text);
      const pieces = text.split(/(?<=\n\n)/);
      const next = () => {
        const p = pieces.shift();
        if (p === undefined) return res.end();
        res.write(p);
        setTimeout(next, reply.dripMs);
      };
      next();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const fake: FakeLlm = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    requests,
    fallback: null,
    queue: (...r) => void replies.push(...r),
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
  open.push(fake);
  return fake;
}
