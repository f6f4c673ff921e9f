/** Redaction, the token check, the loopback rule and the error mapping. */
import { describe, expect, it } from 'vitest';
import { TuttiError } from '../../src/core/errors.js';
import { createTokenCheck, isLoopbackHost } from '../../src/server/auth.js';
import { statusOfCode, toHttpError } from '../../src/server/errors.js';
import { isSecretKey, redactText, redactUrl, redactValue } from '../../src/server/redact.js';

describe('redaction', () => {
  it('masks secret-looking keys at any depth, keeps the rest', () => {
    const v = redactValue({ env: { GITHUB_TOKEN: 'abc', PATH: '/bin' }, apiKey: 'k', nested: [{ password: 'p', name: 'n' }], inputTokens: 5, accessToken: 'x' });
    expect(v).toEqual({ env: { GITHUB_TOKEN: '[REDACTED]', PATH: '/bin' }, apiKey: '[REDACTED]', nested: [{ password: '[REDACTED]', name: 'n' }], inputTokens: 5, accessToken: '[REDACTED]' });
    for (const k of ['token', 'api_key', 'OPENAI_API_KEY', 'Authorization', 'clientSecret', 'x-api-key']) expect([k, isSecretKey(k)]).toEqual([k, true]);
    for (const k of ['tokens', 'outputTokens', 'author', 'keyboard', 'passed']) expect([k, isSecretKey(k)]).toEqual([k, false]);
  });

  it('masks secrets inside text: bearer tokens, key formats, KEY=value, JSON fields, given strings', () => {
    expect(redactText('Authorization: Bearer abcdef123456789')).toBe('Authorization: Bearer [REDACTED]');
    expect(redactText('key sk-ant-abcdefghijklmnopqrstu end')).toBe('key [REDACTED] end');
    expect(redactText('ghp_abcdefghijklmnopqrstuvwxyz0123')).toBe('[REDACTED]');
    expect(redactText('export DB_PASSWORD="hunter two" && go')).toBe('export DB_PASSWORD=[REDACTED] && go');
    expect(redactText('{"api_key": "v\\"x", "b": 1}')).toBe('{"api_key": "[REDACTED]", "b": 1}');
    expect(redactText('my-server-token here', ['my-server-token'])).toBe('[REDACTED] here');
    expect(redactText('nothing to hide, 42 tokens used')).toBe('nothing to hide, 42 tokens used');
  });

  it('masks secret query values and given strings in URLs, keeps the rest', () => {
    expect(redactUrl('/api/v1/runs?limit=5&token=abc&api_key=k&status=running')).toBe('/api/v1/runs?limit=5&token=[REDACTED]&api_key=[REDACTED]&status=running');
    expect(redactUrl('/x/my-server-token/y?q=%zz', ['my-server-token'])).toBe('/x/[REDACTED]/y?q=%zz');
    expect(redactUrl('/api/v1/runs')).toBe('/api/v1/runs');
  });
});

describe('auth', () => {
  it('accepts exactly the bearer token', () => {
    const check = createTokenCheck('the-right-token-123456');
    expect(check('Bearer the-right-token-123456')).toBe(true);
    expect(check('bearer the-right-token-123456')).toBe(true);
    expect(check('Bearer the-right-token-12345')).toBe(false);
    expect(check('Bearer the-right-token-1234567')).toBe(false);
    expect(check('Basic the-right-token-123456')).toBe(false);
    expect(check('the-right-token-123456')).toBe(false);
    expect(check('Bearer ')).toBe(false);
    expect(check(undefined)).toBe(false);
  });

  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.8.9.10', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) expect([h, isLoopbackHost(h)]).toEqual([h, true]);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.com', '::ffff:10.0.0.1']) expect([h, isLoopbackHost(h)]).toEqual([h, false]);
  });
});

describe('error mapping', () => {
  it('maps codes to statuses and never answers 500 for client errors', () => {
    expect(statusOfCode('ERR_RUN_NOT_FOUND')).toBe(404);
    expect(statusOfCode('ERR_CYCLE')).toBe(400);
    expect(statusOfCode('ERR_NOT_AWAITING_APPROVAL')).toBe(409);
    expect(statusOfCode('ERR_ENGINE_STOPPED')).toBe(503);
    expect(statusOfCode('ERR_SOMETHING_NOT_FOUND')).toBe(404);
    expect(statusOfCode('ERR_UNKNOWN_TEMPLATE')).toBe(400);
    expect(statusOfCode('ERR_INVALID_OPTIONS')).toBe(400);
    expect(statusOfCode('ERR_PLANNER_FAILED')).toBe(502);
    expect(statusOfCode('ERR_LIMIT_EXCEEDED')).toBe(429);
    expect(toHttpError(new TuttiError('ERR_INVALID_INPUT', 'bad', { details: { x: 1 } }))).toEqual({ status: 400, body: { error: { code: 'ERR_INVALID_INPUT', message: 'bad', details: { x: 1 } } }, internal: false });
    expect(toHttpError({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413, message: 'too big' }).status).toBe(413);
    expect(toHttpError({ statusCode: 415, message: 'unsupported' }).body.error.code).toBe('ERR_UNSUPPORTED_MEDIA_TYPE');
    const internal = toHttpError(new Error('secret internals'));
    expect(internal).toEqual({ status: 500, body: { error: { code: 'ERR_INTERNAL', message: 'internal server error (see the server log)' } }, internal: true });
  });
});
