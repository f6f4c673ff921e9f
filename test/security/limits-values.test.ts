/**
 * Limits at the other boundaries: LLM responses (too deep, too large — plain and streamed) fail
 * the attempt as `invalid_output` instead of crashing it; memory and state values nested too deep
 * are refused naming the field; config files nested too deep or carrying NUL bytes exit 2.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chatCompletion, ChatError } from '../../src/agents/drivers/llm/request.js';
import { createEngine } from '../../src/create-engine.js';
import { MAX_LLM_RESPONSE_BYTES } from '../../src/core/limits.js';
import { MemoryPlane } from '../../src/memory/memory-plane.js';
import { StateManager } from '../../src/memory/state.js';
import { createHashEmbedder } from '../../src/memory/embedders/hash.js';
import { runCli, tempDir } from '../helpers/cli.js';

const servers: Server[] = [];
afterEach(async () => {
  while (servers.length) await new Promise((r) => servers.pop()!.close(r));
});

/** An endpoint answering every request with `body` (written in 1 MiB pieces). */
async function endpoint(type: string, body: () => Iterable<string>): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': type });
    void (async () => {
      for (const piece of body()) {
        if (res.destroyed) return;
        if (!res.write(piece)) await new Promise((r) => res.once('drain', r).once('close', r));
      }
      res.end();
    })();
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`;
}

const deps = { fetch, sleep: async () => undefined, now: () => Date.now(), random: () => 0.5, log: () => undefined };
const settings = { maxRetries: 0, retryBaseMs: 1, maxRetryDelayMs: 1, requestTimeoutMs: 30_000 };

async function failure(url: string, stream: boolean): Promise<ChatError> {
  const e = await chatCompletion({ url, headers: {}, body: { model: 'm', messages: [] }, stream }, settings, deps, new AbortController().signal).catch((err: unknown) => err);
  expect(e).toBeInstanceOf(ChatError);
  return e as ChatError;
}

const deep = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;

describe('LLM responses', () => {
  it('a response nested past the limit, plain or streamed, is invalid output naming the field', async () => {
    const plain = await failure(await endpoint('application/json', () => [`{"id":"x","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi","extra":${deep(100)}}}]}`]), false);
    expect(plain.failure).toMatchObject({ kind: 'invalid_output' });
    expect(plain.failure.message).toMatch(/choices\[0\]\.message\.extra(\.a)+: nested deeper than 64/);
    const streamed = await failure(await endpoint('text/event-stream', () => [`data: {"id":"x","model":"m","choices":[{"index":0,"delta":${deep(200_000)}}]}\n\n`]), true);
    expect(streamed.failure.kind).toBe('invalid_output');
    expect(streamed.failure.message).toMatch(/nested deeper than 64/);
  });

  it('a response larger than 32 MiB is refused without reading it all', { timeout: 60_000 }, async () => {
    const mib = 'x'.repeat(1024 * 1024);
    const big = await failure(await endpoint('application/json', function* () {
      yield '{"choices":[{"message":{"content":"';
      for (let i = 0; i < MAX_LLM_RESPONSE_BYTES / mib.length + 2; i++) yield mib;
      yield '"}}]}';
    }), false);
    expect(big.failure).toMatchObject({ kind: 'invalid_output' });
    expect(big.failure.message).toMatch(/larger than 33554432 bytes/);
  });
});

describe('memory and state values', () => {
  it('refuses values nested past the limit, naming the field, and stores nothing', async () => {
    const dataDir = tempDir('tutti-values-');
    const engine = createEngine({ dataDir, workDir: dataDir });
    const plane = new MemoryPlane({ store: engine.store, embedder: createHashEmbedder(), maintainIndex: false });
    const nested: Record<string, unknown> = {};
    let at = nested;
    for (let i = 0; i < 100; i++) at = at.k = {} as Record<string, unknown>;
    await expect(plane.seed(null, [{ key: 'deep', value: nested }])).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT', message: expect.stringMatching(/\[0\]\.value(\.k)+: nested deeper than 64/) });
    expect(await engine.store.listMemories({})).toEqual([]);
    const state = new StateManager(engine.store);
    await expect(state.set('run-1', { key: 'deep', value: nested })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
    await plane.close();
    await engine.stop();
  });
});

describe('config files', () => {
  it('a config nested past the limit or with a NUL byte in an agent command exits 2 naming the field', { timeout: 60_000 }, async () => {
    const dir = tempDir('tutti-config-');
    writeFileSync(join(dir, 'tutti.config.json'), JSON.stringify({ agents: [{ id: 'a', driver: 'exec', config: { command: ['echo', 'x\u0000y'] } }] }));
    const nul = await runCli(['list'], { dataDir: dir });
    expect(nul.code).toBe(2);
    expect(nul.stderr).toMatch(/agents\[0\]\.config\.command\[1\]: contains a NUL byte/);
    writeFileSync(join(dir, 'tutti.config.json'), `{"agents":[{"id":"a","driver":"exec","config":${deep(5000)}}]}`);
    const tooDeep = await runCli(['list'], { dataDir: dir });
    expect(tooDeep.code).toBe(2);
    expect(tooDeep.stderr).toMatch(/agents\[0\]\.config(\.a)+: nested deeper than 64/);
    expect(tooDeep.stderr.trim().split('\n')).toHaveLength(1);
  });
});
