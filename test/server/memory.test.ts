/** `GET /api/v1/memory/search`: hybrid search of a run's memories or all of them, with validation. */
import { describe, expect, it } from 'vitest';
import { createHashEmbedder } from '../../src/memory/embedders/hash.js';
import { MemoryPlane } from '../../src/memory/memory-plane.js';
import { memorySearchResponse } from '../../src/server/schemas/responses.js';
import { startServer, TOKEN } from './helpers.js';

/** A server whose memory plane uses the hashing embedder of `dimension` (fast, deterministic). */
async function serverWithMemory(dimension = 256) {
  let plane!: MemoryPlane;
  const s = await startServer({
    server: (engine) => {
      plane = new MemoryPlane({ store: engine.store, embedder: createHashEmbedder(dimension), maintainIndex: false });
      return { memory: plane };
    },
  });
  return { s, plane };
}

const oneTask = { tasks: [{ id: 'a', agent: 'test' }] };

describe('memory search API', () => {
  it('finds a run’s memories best first, and every memory without a run id; secrets are redacted', async () => {
    const { s, plane } = await serverWithMemory();
    const run = (await s.call('POST', '/api/v1/runs', { body: { plan: oneTask } })).json;
    const other = (await s.call('POST', '/api/v1/runs', { body: { plan: oneTask } })).json;
    await plane.seed(run.id, [
      { key: 'api', value: 'the billing API is versioned under /v2' },
      { key: 'db', value: 'postgres stores the invoices' },
      { key: 'tok', value: `deploy with token ${TOKEN}` },
    ]);
    await plane.recordLearning(other.id, 'the billing API rejects amounts below one cent', 0.9);

    const res = await s.call('GET', `/api/v1/memory/search?q=${encodeURIComponent('billing API version')}&runId=${run.id}&topK=2`);
    expect(res.status).toBe(200);
    const body = memorySearchResponse.parse(res.json);
    // Fewer than topK: the invoices and the deploy token are not relevant to the query (docs/memory.md, "Relevance").
    expect(body.results).toHaveLength(1);
    expect(body.results[0]).toMatchObject({ runId: run.id, key: 'api', kind: 'entry', text: 'the billing API is versioned under /v2' });
    expect(body.results.every((r) => r.runId === run.id)).toBe(true);

    const global = memorySearchResponse.parse((await s.call('GET', '/api/v1/memory/search?q=billing')).json);
    expect(new Set(global.results.map((r) => r.runId))).toEqual(new Set([run.id, other.id]));
    expect(global.results.find((r) => r.kind === 'learning')).toMatchObject({ runId: other.id, recordedScore: 0.9 });

    const secret = await s.call('GET', `/api/v1/memory/search?q=deploy+token&runId=${run.id}`);
    expect(secret.text).toContain('deploy with token');
    expect(secret.text).not.toContain(TOKEN);
  });

  it('answers 400 with field errors, 404 for an unknown run, 401 without the token', async () => {
    const { s } = await serverWithMemory();
    const empty = await s.call('GET', '/api/v1/memory/search?q=%20%20');
    expect([empty.status, empty.json.error.code, empty.json.error.details.issues[0].path]).toEqual([400, 'ERR_INVALID_INPUT', 'querystring.q']);
    expect((await s.call('GET', '/api/v1/memory/search')).status).toBe(400);
    const topK = await s.call('GET', '/api/v1/memory/search?q=x&topK=0');
    expect([topK.status, topK.json.error.details.issues[0].path]).toEqual([400, 'querystring.topK']);
    expect((await s.call('GET', '/api/v1/memory/search?q=x&runId=..%2Fetc')).status).toBe(400);
    const unknown = await s.call('GET', '/api/v1/memory/search?q=x&runId=nope');
    expect([unknown.status, unknown.json.error.code]).toEqual([404, 'ERR_RUN_NOT_FOUND']);
    expect((await s.call('GET', '/api/v1/memory/search?q=x', { auth: false })).status).toBe(401);
  });

  it('refuses to mix embedding models: 400 ERR_EMBEDDING_MISMATCH', async () => {
    const { s } = await serverWithMemory(64);
    await new MemoryPlane({ store: s.engine.store, embedder: createHashEmbedder(32), maintainIndex: false }).seed(null, [{ value: 'written with another model' }]);
    const res = await s.call('GET', '/api/v1/memory/search?q=model');
    expect([res.status, res.json.error.code]).toEqual([400, 'ERR_EMBEDDING_MISMATCH']);
  });
});
