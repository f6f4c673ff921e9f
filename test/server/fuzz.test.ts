/**
 * Property-based fuzzing of the whole HTTP surface: thousands of malformed or unauthorised
 * requests (bad ids, queries, bodies, JSON, content types, sizes, methods, cursors, tokens,
 * nesting far past the depth limit in any field, unicode, NUL bytes, foreign origins).
 * Properties: no 5xx, every refused request answers the JSON error shape, the server stays up
 * (it still answers over a real socket, also after raw garbage), and the stored state is unchanged.
 */
import { connect } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { agentInputSchema } from '../../src/core/plan/schema.js';
import { createHashEmbedder } from '../../src/memory/embedders/hash.js';
import { MemoryPlane } from '../../src/memory/memory-plane.js';
import { approveBody, rejectBody } from '../../src/server/routes/approvals.js';
import { cancelBody, createRunBody, idSchema, patchAgentBody, registerAgentsBody, updateAgentBody } from '../../src/server/schemas/requests.js';
import { orchestrateBody, seedAgentBody } from '../../src/server/seed/orchestrator-schemas.js';
import { startServer, TOKEN, type TestServer } from './helpers.js';

const RUNS = Number(process.env.TUTTI_FUZZ_RUNS ?? 3000);

interface Template {
  method: string;
  path: string;
  /** The schema of a body that would change state (undefined: the route never changes state). */
  body?: { safeParse(v: unknown): { success: boolean } };
  /** Which path parameter must name an existing record for the request to change state. */
  existing?: 'run' | 'agent';
  /** Any syntactically valid id changes state (an upsert). */
  upsert?: boolean;
}

const TEMPLATES: Template[] = [
  { method: 'GET', path: '/api/v1/runs' },
  { method: 'POST', path: '/api/v1/runs', body: createRunBody },
  { method: 'GET', path: '/api/v1/runs/:run' },
  { method: 'POST', path: '/api/v1/runs/:run/cancel', body: cancelBody, existing: 'run' },
  { method: 'POST', path: '/api/v1/runs/:run/approve', body: approveBody, existing: 'run' },
  { method: 'POST', path: '/api/v1/runs/:run/reject', body: rejectBody, existing: 'run' },
  { method: 'GET', path: '/api/v1/runs/:run/tasks' },
  { method: 'GET', path: '/api/v1/runs/:run/tasks/:task' },
  { method: 'GET', path: '/api/v1/runs/:run/attempts' },
  { method: 'GET', path: '/api/v1/runs/:run/events' },
  { method: 'GET', path: '/api/v1/runs/:run/logs' },
  { method: 'GET', path: '/api/v1/runs/:run/artifacts' },
  { method: 'GET', path: '/api/v1/runs/:run/tasks/:task/attempts/:n/output' },
  { method: 'GET', path: '/api/v1/runs/:run/events/stream' },
  { method: 'GET', path: '/api/v1/events/stream' },
  { method: 'GET', path: '/api/v1/agents' },
  { method: 'POST', path: '/api/v1/agents', body: registerAgentsBody },
  { method: 'GET', path: '/api/v1/agents/:agent' },
  { method: 'PUT', path: '/api/v1/agents/:agent', body: updateAgentBody, upsert: true },
  { method: 'PATCH', path: '/api/v1/agents/:agent', body: patchAgentBody, existing: 'agent' },
  { method: 'DELETE', path: '/api/v1/agents/:agent', body: { safeParse: () => ({ success: true }) }, existing: 'agent' },
  { method: 'GET', path: '/api/v1/stats' },
  { method: 'GET', path: '/api/v1/memory/search' },
  { method: 'POST', path: '/api/orchestrator/orchestrate', body: orchestrateBody },
  { method: 'GET', path: '/api/orchestrator/sessions/:run' },
  { method: 'GET', path: '/api/orchestrator/sessions/:run/logs' },
  { method: 'GET', path: '/api/orchestrator/agents' },
  { method: 'POST', path: '/api/orchestrator/agents', body: seedAgentBody },
  { method: 'GET', path: '/api/orchestrator/stats' },
  { method: 'GET', path: '/healthz' },
  { method: 'GET', path: '/readyz' },
  { method: 'GET', path: '/metrics' },
  { method: 'GET', path: '/openapi.json' },
];

const STREAMS = new Set(['/api/v1/runs/:run/events/stream', '/api/v1/events/stream']);

/** Strings that stress parsers: separators, encodings, unicode, traversal, very long. */
const nasty = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', ' ', '..', '../../etc/passwd', '%2e%2e%2f', '%00', '%', '%zz', '\u0000', '💥', 'a'.repeat(600), '__proto__', 'constructor', 'null', '-1', '1e309', 'NaN', '[]', '{}', "' OR 1=1 --", '<script>'),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);

function seg(kind: 'run' | 'agent' | 'task' | 'n', existing: { runs: string[]; agents: string[] }): fc.Arbitrary<string> {
  const known = kind === 'run' ? existing.runs : kind === 'agent' ? existing.agents : kind === 'task' ? ['a', 'gate', 'b'] : ['1', '2'];
  return fc.oneof(fc.constantFrom(...known), fc.constantFrom('unknown-1', 'zz9', 'run_00000000000000000000'), nasty);
}

const jsonBody = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.record({ plan: fc.jsonValue({ maxDepth: 3 }) }),
  fc.record({ plan: fc.record({ tasks: fc.array(fc.record({ id: nasty, agent: fc.jsonValue({ maxDepth: 1 }), dependsOn: fc.array(nasty, { maxLength: 3 }) }), { maxLength: 4 }) }) }),
  fc.record({ id: nasty, driver: nasty, maxConcurrency: fc.oneof(fc.integer(), fc.double(), fc.string()) }),
  fc.record({ status: nasty }),
  fc.record({ feedback: fc.oneof(fc.constant(''), fc.constant('   '), fc.integer()), rewindTo: nasty }),
  fc.record({ goal: fc.oneof(fc.constant(''), fc.integer(), fc.constant(null)), steps: fc.jsonValue({ maxDepth: 2 }) }),
);

/** Text that stresses encodings: any code point (lone surrogates too), NUL bytes, long runs. */
const unicode = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 })).map(([a, b]) => `${a}\u0000${b}`),
  fc.constantFrom('\u202e\u0000', '\ud800', '\udfff\ud800', '\ufeff', '\u0000'.repeat(100), '𝕏'.repeat(3000)),
  fc.integer({ min: 10_000, max: 200_000 }).map((n) => 'x'.repeat(n)),
);

/** Where a body field sits in the bodies of the mutating routes (dotted, numbers index arrays). */
const FIELDS = ['metadata', 'metadata.k', 'plan', 'plan.metadata', 'plan.tasks.0.input', 'plan.tasks.0.prompt', 'plan.tasks.0.command.0', 'plan.tasks.0.env.A', 'plan.agents.0.config', 'config', 'config.command.0', 'capabilities.0', 'reason', 'comment', 'feedback', 'status', 'goal', 'initialContext', 'steps.0.input', 'steps.0.prompt', 'id'];

function setPath(root: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const keys = path.split('.');
  let at: Record<string, unknown> = root;
  keys.slice(0, -1).forEach((k, i) => {
    const next = /^\d+$/.test(keys[i + 1]!) ? [] : {};
    at[k] ??= next;
    at = at[k] as Record<string, unknown>;
  });
  at[keys[keys.length - 1]!] = value;
  return root;
}

/** A body with nesting `depth` deep (built as text: JSON.stringify overflows at a few thousand levels) or unicode text in one field. */
const hostileField = fc.oneof(
  fc.record({ field: fc.constantFrom(...FIELDS), depth: fc.oneof(fc.integer({ min: 65, max: 200 }), fc.integer({ min: 1000, max: 30_000 })), open: fc.constantFrom('[', '{"a":') }).map(({ field, depth, open }) => {
    const text = JSON.stringify(setPath({ plan: { tasks: [{ id: 'a', agent: 'test' }] } }, field, '__deep__')).replace('"__deep__"', `${open.repeat(depth)}1${(open === '[' ? ']' : '}').repeat(depth)}`);
    return { kind: 'raw', text, type: 'application/json' } as const;
  }),
  fc.record({ field: fc.constantFrom(...FIELDS), value: unicode }).map(({ field, value }) => ({ kind: 'json', value: setPath({ plan: { tasks: [{ id: 'a', agent: 'test', command: ['true'] }] } }, field, value) }) as const),
);

type Body = { kind: 'none' } | { kind: 'json'; value: unknown } | { kind: 'raw'; text: string; type: string };

const bodyArb: fc.Arbitrary<Body> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<Body>({ kind: 'none' }) },
  { weight: 6, arbitrary: jsonBody.map((value): Body => ({ kind: 'json', value })) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom('{', '{"plan":', '[1,2', '{"a":1}}', '\u0000', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}')), fc.constantFrom('application/json', 'text/plain', 'application/xml', 'multipart/form-data', 'application/x-www-form-urlencoded', ''))
      .map(([text, type]): Body => ({ kind: 'raw', text, type })),
  },
  { weight: 1, arbitrary: fc.constantFrom<Body>({ kind: 'raw', text: `{"plan":{"tasks":[${'{"id":"x"},'.repeat(20_000)}]}}`, type: 'application/json' }, { kind: 'raw', text: `"${'x'.repeat(40_000)}"`, type: 'application/json' }) },
  { weight: 4, arbitrary: hostileField as fc.Arbitrary<Body> },
);

const queryArb = fc.array(fc.tuple(fc.constantFrom('status', 'limit', 'cursor', 'after', 'types', 'taskId', 'attempt', 'offset', 'tail', 'q', 'runId', 'topK', 'x', '__proto__'), nasty), { maxLength: 4 });

/** The body the server parses from what is sent, for deciding whether a request could change state. */
function effectiveBody(b: Body): { ok: boolean; value?: unknown } {
  if (b.kind === 'none') return { ok: true, value: null };
  if (b.kind === 'json') return { ok: true, value: b.value };
  // An empty payload reads as no body whatever its type; text without a JSON type can only be a string.
  if (b.text === '' && b.type !== 'application/json') return { ok: true, value: null };
  if (b.type === 'text/plain' || b.type === '') return { ok: true, value: b.text };
  if (b.type !== 'application/json') return { ok: false };
  try {
    return { ok: true, value: JSON.parse(b.text) };
  } catch {
    return { ok: false };
  }
}

async function snapshot(s: TestServer) {
  const runs = await s.engine.listRuns({ limit: 1000 });
  const views = await Promise.all(runs.map((r) => s.engine.getRun(r.id)));
  const events = await s.engine.store.listAllEvents({ limit: 100_000 });
  const agents = await s.engine.store.listAgents();
  const memories = await s.engine.store.listMemories({});
  return { views, events, agents, memories };
}

describe('HTTP fuzzing', () => {
  it(`answers ${RUNS} malformed requests without a 5xx and without changing stored state`, { timeout: 180_000 }, async () => {
    // Small limits so oversized bodies are cheap to send.
    let plane!: MemoryPlane;
    const s = await startServer({
      server: (engine) => {
        plane = new MemoryPlane({ store: engine.store, embedder: createHashEmbedder(), maintainIndex: false });
        return { planBodyLimitBytes: 128 * 1024, bodyLimitBytes: 16 * 1024, memory: plane };
      },
    });
    // State to protect: a finished run, a run waiting at a gate, a failed run, and a registered agent.
    const done = (await s.call('POST', '/api/v1/runs', { body: { plan: { tasks: [{ id: 'a', agent: 'test', input: { output: 1 } }] } } })).json;
    const gated = (await s.call('POST', '/api/v1/runs', { body: { plan: { tasks: [{ id: 'a', agent: 'test' }, { id: 'gate', approval: true, dependsOn: ['a'] }] } } })).json;
    const failed = (await s.call('POST', '/api/v1/runs', { body: { plan: { tasks: [{ id: 'b', agent: 'test', input: { outcome: 'fail' } }] } } })).json;
    await s.call('POST', '/api/v1/agents', { body: { id: 'keeper', driver: 'test', capabilities: ['x'] } });
    await plane.seed(done.id, [{ key: 'k', value: 'a memory the searches find' }]);
    await s.engine.waitForRun(done.id);
    await s.engine.waitForRun(failed.id);
    for (let i = 0; i < 200 && (await s.engine.getRun(gated.id))!.status !== 'awaiting_approval'; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await s.engine.getRun(gated.id))!.status).toBe('awaiting_approval');
    const existing = { runs: [done.id, gated.id, failed.id], agents: ['keeper', 'test', 'shell'] };
    const before = await snapshot(s);

    const requestArb = fc.record({
      template: fc.constantFrom(...TEMPLATES),
      method: fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS') }),
      run: seg('run', existing),
      agent: seg('agent', existing),
      task: seg('task', existing),
      n: seg('n', existing),
      query: queryArb,
      body: bodyArb,
      auth: fc.oneof({ weight: 8, arbitrary: fc.constant('good') }, { weight: 1, arbitrary: fc.constant('none') }, { weight: 1, arbitrary: fc.constantFrom('Bearer wrong', `Bearer ${TOKEN}x`, TOKEN, `Basic ${TOKEN}`, 'Bearer') }),
      origin: fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('https://evil.example', 'null', 'http://localhost:1', 'file://', '\u0000') }),
      lastEventId: fc.option(nasty.map((v) => v.replace(/[\r\n]/g, '')).filter((v) => !/^\d{1,15}$/.test(v)), { nil: undefined }),
    });

    let sent = 0;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(requestArb, async (r) => {
        const method = r.method ?? r.template.method;
        const params = { run: r.run, agent: r.agent, task: r.task, n: r.n };
        const path = r.template.path.replace(/:(run|agent|task|n)/g, (_m, k: keyof typeof params) => encodeURIComponent(params[k]));
        const authorised = r.auth === 'good';
        // A well-formed event stream never ends: streams are only sent with a bad cursor or no token.
        if (STREAMS.has(r.template.path) && method === 'GET' && authorised && r.lastEventId === undefined) return;
        // Skip the rare generated request that is valid and would change state (the property is about bad input).
        const route = TEMPLATES.find((t) => t.path === r.template.path && t.method === method);
        const mutating = authorised && route?.body !== undefined && r.origin === undefined;
        if (mutating && route?.body) {
          const body = effectiveBody(r.body);
          const idOk = route.existing ? existing[route.existing === 'run' ? 'runs' : 'agents'].includes(params[route.existing]) : route.upsert ? idSchema.safeParse(params.agent).success : true;
          if (body.ok && idOk && route.body.safeParse(body.value).success) return;
          if (route.path === '/api/v1/agents' && body.ok && agentInputSchema.safeParse(body.value).success) return;
        }
        const headers: Record<string, string> = {};
        if (r.auth === 'good') headers.authorization = `Bearer ${TOKEN}`;
        else if (r.auth !== 'none') headers.authorization = r.auth;
        if (r.lastEventId !== undefined) headers['last-event-id'] = r.lastEventId;
        if (r.origin !== undefined) headers.origin = r.origin;
        const query = r.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
        let payload: string | undefined;
        if (r.body.kind === 'json') {
          payload = JSON.stringify(r.body.value) ?? 'null';
          headers['content-type'] = 'application/json';
        } else if (r.body.kind === 'raw') {
          payload = r.body.text;
          if (r.body.type) headers['content-type'] = r.body.type;
        }
        const request = s.server.app.inject({ method: method as 'GET', url: `${path}${query ? `?${query}` : ''}`, headers, ...(payload !== undefined && method !== 'GET' && method !== 'HEAD' ? { payload } : {}) });
        let timer: ReturnType<typeof setTimeout> | undefined;
        const res = await Promise.race([
          request,
          new Promise<never>((_r, reject) => (timer = setTimeout(() => reject(new Error(`${method} ${path}?${query} (${JSON.stringify(headers)}) did not answer within 5 s`)), 5000))),
        ]).finally(() => clearTimeout(timer));
        sent++;
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        if (res.statusCode >= 500) throw new Error(`${method} ${path}?${query} answered ${res.statusCode}: ${res.body.slice(0, 500)}`);
        if (res.statusCode >= 400 && method !== 'HEAD') {
          const body = JSON.parse(res.body) as { error?: { code?: unknown; message?: unknown } };
          expect(typeof body.error?.code).toBe('string');
          expect(typeof body.error?.message).toBe('string');
        }
        if (!authorised && /^\/(api|metrics)/.test(path) && res.statusCode < 400) throw new Error(`${method} ${path} answered ${res.statusCode} without a valid token`);
        if (mutating && res.statusCode < 300) throw new Error(`${method} ${path} accepted a request the test thought invalid: ${res.body.slice(0, 300)}`);
      }),
      { numRuns: RUNS },
    );
    const fives = [...statuses.entries()].filter(([code]) => code >= 500).reduce((n, [, c]) => n + c, 0);
    process.stdout.write(`HTTP fuzz: ${sent} requests, ${fives} × 5xx; by status ${JSON.stringify(Object.fromEntries([...statuses.entries()].sort(([a], [b]) => a - b)))}\n`);
    expect(fives).toBe(0);
    expect(sent).toBeGreaterThan(RUNS * 0.8);
    // Refusals dominate: most requests were bad.
    expect([...statuses.entries()].filter(([code]) => code >= 400).reduce((n, [, c]) => n + c, 0)).toBeGreaterThan(sent / 2);

    // Raw garbage on the socket: the HTTP parser refuses it; the server keeps serving.
    const url = await s.listen();
    const { port } = new URL(url);
    for (const junk of ['GARBAGE\r\n\r\n', 'GET / HTTP/9.9\r\n\r\n', `GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 'POST /api/v1/runs HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n{', '\u0000\u0001\u0002']) {
      await new Promise<void>((resolve) => {
        const sock = connect(Number(port), '127.0.0.1', () => sock.end(junk));
        sock.on('data', () => undefined);
        sock.on('error', () => resolve());
        sock.on('close', () => resolve());
        setTimeout(() => {
          sock.destroy();
          resolve();
        }, 2000);
      });
    }
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/api/v1/stats`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);

    const after = await snapshot(s);
    expect(after).toEqual(before);
  });
});
