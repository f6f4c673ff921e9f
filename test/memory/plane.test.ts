/**
 * The memory plane over SQLite: what it stores, how it ranks, scope isolation, and the errors it
 * gives for mixed embedding models and failing providers (OpenAI-compatible `/v1/embeddings` over
 * a real local HTTP server).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmbedder } from '../../src/memory/embedders/index.js';
import { createHashEmbedder } from '../../src/memory/embedders/hash.js';
import { createOpenAIEmbedder } from '../../src/memory/embedders/openai.js';
import type { Embedder } from '../../src/memory/embedders/types.js';
import { MemoryPlane } from '../../src/memory/memory-plane.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function store(): SqliteStore {
  const s = new SqliteStore({ path: ':memory:' });
  cleanups.push(() => s.close());
  return s;
}

function plane(s = store(), embedder: Embedder = createHashEmbedder()): MemoryPlane {
  const p = new MemoryPlane({ store: s, embedder });
  cleanups.push(() => p.close());
  return p;
}

/** A fake OpenAI-compatible embeddings server: deterministic vectors from the hash embedder, or scripted failures. */
async function embeddingsServer(behaviour: { status?: number; dimension?: number; body?: unknown } = {}): Promise<{ url: string; requests: Array<{ auth: string | undefined; body: { model: string; input: string[]; dimensions?: number } }> }> {
  const requests: Array<{ auth: string | undefined; body: { model: string; input: string[]; dimensions?: number } }> = [];
  const hash = createHashEmbedder(behaviour.dimension ?? 64);
  const server: Server = createServer((req: IncomingMessage, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', async () => {
      const body = JSON.parse(raw) as { model: string; input: string[] };
      requests.push({ auth: req.headers.authorization, body });
      if (behaviour.status) {
        res.writeHead(behaviour.status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'model overloaded' } }));
        return;
      }
      const vectors = await hash.embed(body.input);
      const answer = behaviour.body ?? { object: 'list', model: body.model, data: vectors.map((v, index) => ({ object: 'embedding', index, embedding: [...v] })).reverse(), usage: { prompt_tokens: 1, total_tokens: 1 } };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => server.close(r)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, requests };
}

describe('memory plane: storing and searching', () => {
  it('stores entries with text, metadata, provenance and an embedding; a key replaces the run’s entry', async () => {
    const p = plane();
    const [first] = await p.seed('run-1', [{ key: 'lang', value: { name: 'TypeScript' }, metadata: { from: 'test' } }]);
    expect(first).toMatchObject({ runId: 'run-1', kind: 'entry', key: 'lang', text: '{"name":"TypeScript"}', value: { name: 'TypeScript' }, metadata: { from: 'test' }, provenance: { runId: 'run-1', source: 'seed' }, embedding: { model: 'hash-256', dim: 256 } });
    await p.seed('run-1', [{ key: 'lang', value: 'Rust' }]);
    const list = await p.list({ runId: 'run-1' });
    expect(list.map((m) => m.value)).toEqual(['Rust']);
    const l = await p.recordLearning('run-1', 'cargo test needs --workspace', 0.8, { taskId: 't', attempt: 2, agentId: 'a' });
    expect(l).toMatchObject({ kind: 'learning', score: 0.8, provenance: { taskId: 't', attempt: 2, agentId: 'a' } });
  });

  it('ranks best first, at most topK, fusing vector similarity and BM25', async () => {
    const p = plane();
    await p.seed('r', [
      { key: 'a', value: 'the deploy script pushes images to the registry' },
      { key: 'b', value: 'unit tests run with vitest in watch mode' },
      { key: 'c', value: 'the registry requires a token for pushes' },
      { key: 'd', value: 'lunch is at noon' },
    ]);
    const hits = await p.search({ runId: 'r' }, 'registry pushes', 2);
    expect(hits).toHaveLength(2);
    expect(hits.map((h) => h.key).sort()).toEqual(['a', 'c']);
    expect(hits[0]!.score).toBeGreaterThanOrEqual(hits[1]!.score);
    expect(hits[0]).toMatchObject({ vectorScore: expect.any(Number), textScore: expect.any(Number) });
    const all = await p.search({ runId: 'r' }, 'registry pushes', 10);
    for (let i = 1; i < all.length; i++) expect(all[i - 1]!.score).toBeGreaterThanOrEqual(all[i]!.score);
    expect(all.length).toBeLessThanOrEqual(4);
  });

  it('a run scope never returns another run’s or a global memory; global sees every run and global ones', async () => {
    const p = plane();
    for (let i = 0; i < 20; i++) await p.seed(`run-${i % 4}`, [{ value: `fact ${i} about the build cache of run ${i % 4}` }]);
    await p.seed(null, [{ key: 'g', value: 'global fact about the build cache' }]);
    for (let r = 0; r < 4; r++) {
      const hits = await p.search({ runId: `run-${r}` }, 'build cache', 50);
      expect(hits).toHaveLength(5);
      expect(hits.every((h) => h.runId === `run-${r}`)).toBe(true);
    }
    const global = await p.search('global', 'build cache', 50);
    expect(global).toHaveLength(21);
    expect(global.some((h) => h.runId === null)).toBe(true);
    expect(await p.search({ runId: 'run-none' }, 'build cache', 5)).toEqual([]);
  });

  it('refuses bad scopes, queries and entries with ERR_INVALID_INPUT', async () => {
    const p = plane();
    await expect(p.search('everything' as 'global', 'x', 1)).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
    await expect(p.search({ runId: 'bad id!' }, 'x', 1)).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
    await expect(p.search('global', '   ', 1)).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
    await expect(p.recordLearning('r', '')).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
  });

  it('is durable: a second plane over the same SQLite file finds what the first stored', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const path = join(mkdtempSync(join(tmpdir(), 'tutti-mem-')), 'tutti.db');
    const a = plane(new SqliteStore({ path }));
    await a.seed('r', [{ key: 'k', value: 'persisted through the store' }]);
    await a.close();
    await a.store.close();
    const b = plane(new SqliteStore({ path }));
    expect((await b.search({ runId: 'r' }, 'persisted', 1))[0]?.value).toBe('persisted through the store');
  });
});

describe('memory plane: embedders', () => {
  it('mixing embedding models in one store is a clear error, for writes and searches', async () => {
    const s = store();
    await plane(s, createHashEmbedder(64)).seed('r', [{ value: 'first model' }]);
    const other = plane(s, createHashEmbedder(128));
    const err = await other.seed('r', [{ value: 'second model' }]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_EMBEDDING_MISMATCH', message: expect.stringContaining("1 of 'hash-64' (64 dimensions)") });
    await expect(other.search('global', 'model', 3)).rejects.toMatchObject({ code: 'ERR_EMBEDDING_MISMATCH' });
    // A store refuses a vector of another dimension under the same model name.
    const liar: Embedder = { model: 'hash-64', dimension: 32, embed: async (t) => t.map(() => new Float32Array(32).fill(1 / Math.sqrt(32))) };
    await expect(plane(s, liar).seed('r', [{ value: 'wrong size' }])).rejects.toMatchObject({ code: 'ERR_EMBEDDING_MISMATCH' });
  });

  it('an OpenAI-compatible /v1/embeddings provider by config: key from the named env var, vectors recorded with model and dimension', async () => {
    const server = await embeddingsServer({ dimension: 48 });
    const embedder = createEmbedder({ provider: 'openai', baseUrl: server.url, model: 'text-embedding-3-small', apiKeyEnv: 'MY_EMBED_KEY', batchSize: 2 }, { MY_EMBED_KEY: 'sk-test' });
    expect(embedder.model).toBe('openai:text-embedding-3-small');
    const p = plane(store(), embedder);
    const written = await p.seed('r', [{ value: 'alpha beta' }, { value: 'gamma delta' }, { value: 'epsilon' }]);
    expect(written.map((m) => m.embedding)).toEqual(Array(3).fill({ model: 'openai:text-embedding-3-small', dim: 48 }));
    expect(server.requests).toHaveLength(2); // batches of 2
    expect(server.requests[0]).toEqual({ auth: 'Bearer sk-test', body: expect.objectContaining({ model: 'text-embedding-3-small', input: ['alpha beta', 'gamma delta'] }) });
    expect((await p.search({ runId: 'r' }, 'gamma delta', 1))[0]?.value).toBe('gamma delta');
    expect(embedder.dimension).toBe(48);
  });

  it('provider failures are ERR_EMBEDDER naming the endpoint and status, never the key; bad configs ERR_INVALID_OPTIONS', async () => {
    const down = await embeddingsServer({ status: 503 });
    const e1 = await createOpenAIEmbedder({ baseUrl: down.url, model: 'm', apiKey: 'sk-secret' })
      .embed(['x'])
      .then(() => null)
      .catch((e: unknown) => e as Error & { code: string });
    expect(e1).toMatchObject({ code: 'ERR_EMBEDDER', message: expect.stringContaining('answered 503: model overloaded') });
    expect(e1!.message).not.toContain('sk-secret');
    const garbage = await embeddingsServer({ body: { data: [{ nope: 1 }] } });
    await expect(createOpenAIEmbedder({ baseUrl: garbage.url, model: 'm' }).embed(['x'])).rejects.toMatchObject({ code: 'ERR_EMBEDDER', message: expect.stringContaining('not an embeddings response') });
    expect(() => createEmbedder({ provider: 'openai', baseUrl: 'not a url', model: 'm' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTIONS', message: expect.stringContaining('baseUrl') }));
    expect(() => createEmbedder({ provider: 'magic' } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTIONS' }));
    expect(createEmbedder({ provider: 'hash', dimension: 32 }).model).toBe('hash-32');
  });

  it('the bundled local model is the default and loads nothing until the first embed', () => {
    const p = new MemoryPlane({ store: store() });
    cleanups.push(() => p.close());
    expect(p.embedder.model).toBe('use-lite-512');
    expect(p.embedder.dimension).toBe(512);
  });
});
