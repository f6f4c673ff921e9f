/**
 * Contract tests of the `llm` driver against recorded chat-completions responses, replayed by a
 * local HTTP server: streaming, usage and cost, retries honouring Retry-After, classified errors.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLlmDriver, parseRetryAfter, type LlmDriverOptions } from '../../src/agents/drivers/llm/index.js';
import { agentRecord, attemptContext, spec } from '../../src/agents/drivers/conformance/index.js';
import type { AttemptContext } from '../../src/agents/types.js';
import { startFakeLlm, type FakeLlm } from './server.js';

const PRICES = { 'gpt-4o-mini': { inputUsdPerMTok: 0.15, outputUsdPerMTok: 0.6 } };

function setup(fake: FakeLlm, config: Record<string, unknown> = {}, options: LlmDriverOptions = {}) {
  const waits: number[] = [];
  const driver = createLlmDriver({
    env: { TEST_LLM_KEY: 'sk-test-123' },
    prices: PRICES,
    sleep: async (ms) => void waits.push(ms),
    random: () => 0.5,
    ...options,
  });
  const agent = agentRecord('llm', { id: 'writer', config: { baseUrl: fake.url, model: 'gpt-4o-mini', apiKeyEnv: 'TEST_LLM_KEY', retryBaseMs: 100, ...config } });
  const run = (part: Partial<AttemptContext> = {}, taskPart: Parameters<typeof spec>[0] = {}, prepare?: (workDir: string) => void) => {
    const ctx = attemptContext(spec({ prompt: 'Write the PRD for an encryption CLI.', ...taskPart }), agent, part);
    prepare?.(ctx.workDir);
    return { ctx, result: driver.execute(ctx, new AbortController().signal) };
  };
  return { driver, agent, waits, run };
}

describe('llm driver: answers', () => {
  it('streams an answer: the text is the output, usage and cost are recorded, the request is the documented one', async () => {
    const fake = await startFakeLlm();
    fake.queue({ fixture: 'stream-ok.sse' });
    const { run } = setup(fake, { system: 'You write concise documents.' });
    const { ctx, result } = run({ feedback: 'attempt 1 failed: the PRD lacks non-goals' }, { acceptanceCriteria: ['has goals'], input: { files: ['notes.md', 'missing.md'] } }, (dir) =>
      writeFileSync(join(dir, 'notes.md'), 'Users want AES-256.\n'),
    );
    const r = await result;
    expect(r.status).toBe('succeeded');
    expect(r.output).toBe('# PRD: encrypt-cli\n\n## Goals\n- Encrypt files with a passphrase.\n');
    expect(r.summary).toBe('PRD: encrypt-cli');
    expect(r.sessionId).toBe('chatcmpl-AbC123');
    // 1200 × 0.15 + 300 × 0.6 per million, priced by the configured model (the answer names a dated snapshot).
    expect(r.usage).toEqual({ inputTokens: 1200, outputTokens: 300, costUsd: 0.00036 });
    expect(ctx.lines.filter((l) => l.stream === 'stdout').map((l) => l.text).join('')).toBe(r.output);

    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBe('Bearer sk-test-123');
    expect(req.headers.accept).toBe('text/event-stream');
    expect(req.body).toMatchObject({ model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true } });
    const [system, user] = req.body.messages!;
    expect(system).toEqual({ role: 'system', content: 'You write concise documents.' });
    expect(user!.role).toBe('user');
    expect(user!.content).toContain('Write the PRD for an encryption CLI.');
    expect(user!.content).toContain('## Acceptance criteria\n\n- has goals');
    expect(user!.content).toContain('## File notes.md\n\n```\nUsers want AES-256.\n\n```');
    expect(user!.content).toContain('## File missing.md\n\n(not found)');
    expect(user!.content).toContain('## Feedback on your previous answer\n\nattempt 1 failed: the PRD lacks non-goals');
    // The transcript is in the attempt log, the key is not.
    const log = readFileSync(ctx.logPath, 'utf8');
    expect(log).toContain('Write the PRD for an encryption CLI.');
    expect(log).toContain('Encrypt files with a passphrase.');
    expect(log).not.toContain('sk-test-123');
    expect(r.logBytes).toBe(Buffer.byteLength(log));
  });

  it('reads a non-streamed chat.completion', async () => {
    const fake = await startFakeLlm();
    fake.queue({ fixture: 'completion-ok.json' });
    const { run } = setup(fake, { stream: false, model: 'gpt-4o', prices: { 'gpt-4o': { inputUsdPerMTok: 2.5, outputUsdPerMTok: 10 } } });
    const r = await run().result;
    expect(r).toMatchObject({ status: 'succeeded', output: expect.stringContaining('```sh scaffold.sh'), usage: { inputTokens: 19, outputTokens: 10, costUsd: 0.0001475 } });
    expect(fake.requests[0]!.body.stream).toBe(false);
    expect(fake.requests[0]!.body.stream_options).toBeUndefined();
  });

  it('records usage without cost for a model with no price', async () => {
    const fake = await startFakeLlm();
    fake.queue({ fixture: 'stream-ok.sse' });
    const r = await setup(fake, { model: 'local-llama' }, { prices: {} }).run().result;
    expect(r.usage).toEqual({ inputTokens: 1200, outputTokens: 300 });
  });

  it('an answer cut at the token limit fails as output_limit; a malformed chunk as invalid_output', async () => {
    const fake = await startFakeLlm();
    fake.queue({ fixture: 'stream-length.sse' }, { fixture: 'stream-bad-chunk.sse' }, { status: 200, body: '{"object":"chat.completion","choices":[]}' });
    const { run } = setup(fake, { maxTokens: 5 });
    expect(await run().result).toMatchObject({ status: 'failed', error: { kind: 'output_limit' }, output: '# A very long document that' });
    expect(fake.requests[0]!.body.max_tokens).toBe(5);
    expect(await run().result).toMatchObject({ status: 'failed', error: { kind: 'invalid_output', message: expect.stringContaining('not a chat.completion.chunk') } });
    const plain = await setup(fake, { stream: false }).run().result;
    expect(plain).toMatchObject({ status: 'failed', error: { kind: 'invalid_output', message: expect.stringContaining('no choices') } });
  });
});

describe('llm driver: retries and errors', () => {
  it('a 429 with Retry-After in seconds is retried after that wait', async () => {
    const fake = await startFakeLlm();
    fake.queue({ status: 429, headers: { 'retry-after': '2' }, fixture: 'error-429.json' }, { fixture: 'stream-ok.sse' });
    const { run, waits } = setup(fake);
    const r = await run().result;
    expect(r.status).toBe('succeeded');
    expect(waits).toEqual([2000]);
    expect(fake.requests).toHaveLength(2);
  });

  it('a 503 with Retry-After as an HTTP date waits until that date; one without it backs off exponentially', async () => {
    const fake = await startFakeLlm();
    const now = Date.parse('2055-01-26T12:00:00Z');
    fake.queue(
      { status: 503, headers: { 'retry-after': 'Wed, 26 Jan 2055 12:00:05 GMT' }, fixture: 'error-503.json' },
      { status: 502, body: 'bad gateway' },
      { status: 500, fixture: 'error-503.json' },
      { fixture: 'stream-ok.sse' },
    );
    const { run, waits } = setup(fake, {}, { now: () => now });
    expect((await run().result).status).toBe('succeeded');
    // 5 s from the date, then 100 ms × 2^1 and × 2^2 (jitter 0 at random 0.5).
    expect(waits).toEqual([5000, 200, 400]);
  });

  it('a 429 that exhausts the retries ends rate_limited with retryAfterMs, for the engine to park the task', async () => {
    const fake = await startFakeLlm();
    fake.fallback = { status: 429, headers: { 'retry-after': '7' }, fixture: 'error-429.json' };
    const { run, waits } = setup(fake, { maxRetries: 2 });
    const r = await run().result;
    expect(r).toMatchObject({ status: 'failed', error: { kind: 'rate_limited', retryAfterMs: 7000, message: expect.stringContaining('Rate limit reached for gpt-4o-mini') } });
    expect(r.error!.message).toContain('gave up after 3 requests');
    expect(fake.requests).toHaveLength(3);
    expect(waits).toEqual([7000, 7000]);
  });

  it('a Retry-After longer than maxRetryDelayMs ends the attempt at once', async () => {
    const fake = await startFakeLlm();
    fake.queue({ status: 429, headers: { 'retry-after-ms': '90000' }, fixture: 'error-429.json' });
    const { run, waits } = setup(fake, { maxRetryDelayMs: 60_000 });
    const r = await run().result;
    expect(r).toMatchObject({ status: 'failed', error: { kind: 'rate_limited', retryAfterMs: 90_000 } });
    expect(waits).toEqual([]);
    expect(fake.requests).toHaveLength(1);
  });

  it('401 is an auth failure and 400 a non-retryable error, neither retried', async () => {
    const fake = await startFakeLlm();
    fake.queue({ status: 401, fixture: 'error-401.json' }, { status: 400, fixture: 'error-400.json' });
    const { run } = setup(fake);
    expect(await run().result).toMatchObject({ status: 'failed', error: { kind: 'auth', retryable: false, message: expect.stringContaining('Incorrect API key') } });
    expect(await run().result).toMatchObject({ status: 'failed', error: { kind: 'exception', retryable: false, message: expect.stringContaining('HTTP 400') } });
    expect(fake.requests).toHaveLength(2);
  });

  it('a stream that breaks off is sent again', async () => {
    const fake = await startFakeLlm();
    fake.queue({ fixture: 'stream-cut.sse' }, { fixture: 'stream-ok.sse' });
    const { run } = setup(fake);
    const r = await run().result;
    expect(r.status).toBe('succeeded');
    expect(fake.requests).toHaveLength(2);
  });

  it('a server that cannot be reached fails after the retries, retryable by the task policy', async () => {
    const fake = await startFakeLlm();
    const url = fake.url;
    await fake.close();
    const driver = createLlmDriver({ env: {}, sleep: async () => undefined });
    const ctx = attemptContext(spec({ prompt: 'hi' }), agentRecord('llm', { config: { baseUrl: url, model: 'm', maxRetries: 1 } }));
    const r = await driver.execute(ctx, new AbortController().signal);
    expect(r).toMatchObject({ status: 'failed', error: { kind: 'exception', message: expect.stringContaining('cannot reach') } });
    expect(r.error!.retryable).toBeUndefined();
  });

  it('the API key comes from the env it was given, never from process.env', async () => {
    const fake = await startFakeLlm();
    process.env.TUTTI_TEST_ONLY_IN_PROCESS = 'sk-process';
    try {
      const driver = createLlmDriver({ env: {} });
      const ctx = attemptContext(spec({ prompt: 'hi' }), agentRecord('llm', { id: 'w', config: { baseUrl: fake.url, model: 'm', apiKeyEnv: 'TUTTI_TEST_ONLY_IN_PROCESS' } }));
      const r = await driver.execute(ctx, new AbortController().signal);
      expect(r).toMatchObject({ status: 'failed', error: { kind: 'auth', retryable: false, message: expect.stringContaining('TUTTI_TEST_ONLY_IN_PROCESS is not set') } });
      expect(fake.requests).toHaveLength(0);
    } finally {
      delete process.env.TUTTI_TEST_ONLY_IN_PROCESS;
    }
  });

  it('an abort while the answer streams ends the attempt cancelled', async () => {
    const fake = await startFakeLlm();
    fake.queue({ fixture: 'stream-ok.sse', dripMs: 200 });
    const { driver, agent } = setup(fake);
    const controller = new AbortController();
    const ctx = attemptContext(spec({ prompt: 'hi' }), agent, {
      emit: () => controller.abort(),
    });
    const r = await driver.execute(ctx, controller.signal);
    expect(r.status).toBe('cancelled');
  });

  it('a file outside the work dir is refused before any request', async () => {
    const fake = await startFakeLlm();
    const { run } = setup(fake);
    const r = await run({}, { input: { files: ['../etc/passwd'] } }).result;
    expect(r).toMatchObject({ status: 'failed', error: { kind: 'non_retryable', message: expect.stringContaining('outside the work dir') } });
    expect(fake.requests).toHaveLength(0);
  });
});

describe('llm driver: configuration', () => {
  it('validates agent config and takes only prompt tasks', () => {
    const driver = createLlmDriver({ env: {} });
    expect(() => driver.validateConfig!({ baseUrl: 'ftp://x', model: 'm' })).toThrow(/baseUrl/);
    expect(() => driver.validateConfig!({ baseUrl: 'https://api.example.com/v1' })).toThrow(/model/);
    expect(() => driver.validateConfig!({ baseUrl: 'https://api.example.com/v1', model: 'm', apiKey: 'sk-inline' })).toThrow(/apiKey/);
    expect(() => driver.validateConfig!({ baseUrl: 'https://api.example.com/v1', model: 'm', apiKeyEnv: 'OPENAI_API_KEY', prices: { m: { inputUsdPerMTok: 1, outputUsdPerMTok: 2 } } })).not.toThrow();
    const agent = { id: 'a', config: {} };
    expect(driver.accepts(spec({ prompt: 'x' }), agent, false)).toBeNull();
    expect(driver.accepts(spec({ command: ['ls'] }), agent, false)).toMatch(/commands/);
    expect(driver.accepts(spec({ function: 'noop' }), agent, false)).toMatch(/functions/);
    expect(driver.accepts(spec({}), agent, false)).toMatch(/no prompt/);
  });

  it('parses Retry-After: seconds, HTTP dates, retry-after-ms, garbage', () => {
    const now = Date.parse('2055-01-26T12:00:00Z');
    const h = (o: Record<string, string>) => new Headers(o);
    expect(parseRetryAfter(h({ 'retry-after': '20' }), now)).toBe(20_000);
    expect(parseRetryAfter(h({ 'retry-after': '0.5' }), now)).toBe(500);
    expect(parseRetryAfter(h({ 'retry-after': 'Wed, 26 Jan 2055 12:01:00 GMT' }), now)).toBe(60_000);
    expect(parseRetryAfter(h({ 'retry-after': 'Wed, 26 Jan 2055 11:00:00 GMT' }), now)).toBe(0);
    expect(parseRetryAfter(h({ 'retry-after-ms': '1500', 'retry-after': '2' }), now)).toBe(1500);
    expect(parseRetryAfter(h({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(parseRetryAfter(h({}), now)).toBeUndefined();
  });

  it('attaches files up to maxFileBytes and says when it cut them', async () => {
    const fake = await startFakeLlm();
    fake.queue({ fixture: 'stream-ok.sse' });
    const { run } = setup(fake, { maxFileBytes: 10 });
    const { result } = run({}, { input: { files: ['docs/big.md'] } }, (dir) => {
      mkdirSync(join(dir, 'docs'));
      writeFileSync(join(dir, 'docs/big.md'), 'x'.repeat(100));
    });
    await result;
    expect(fake.requests[0]!.body.messages![0]!.content).toContain(`## File docs/big.md (first 10 bytes)\n\n\`\`\`\n${'x'.repeat(10)}\n\`\`\``);
  });
});
