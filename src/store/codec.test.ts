import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, type TaskSpec } from '../core/plan/schema.js';
import { decodeSpec, encodeSpec, fromJson, fromJsonList, toJson, toJsonList } from './codec.js';

const base: TaskSpec = { title: 'build', retry: DEFAULT_RETRY, timeoutMs: null, continueOnFailure: false };

describe('encodeSpec / decodeSpec', () => {
  it('stores a spec made only of defaults as an empty object', () => {
    expect(encodeSpec(base, 'build')).toBe('{}');
    expect(decodeSpec('{}', 'build')).toEqual(base);
  });

  it('keeps every field that differs from its default', () => {
    const spec: TaskSpec = {
      title: 'Build everything',
      agent: { type: 'coder', capabilities: ['code'] },
      command: ['make', '-j4'],
      prompt: 'do it',
      input: { n: 1, list: [1, 2] },
      env: { CI: '1' },
      cwd: 'sub/dir',
      retry: { maxAttempts: 3, backoff: { initialMs: 10, factor: 3, maxMs: 100, jitter: 0 } },
      timeoutMs: 60_000,
      continueOnFailure: true,
    };
    const json = encodeSpec(spec, 'build');
    expect(JSON.parse(json)).toEqual(spec);
    expect(decodeSpec(json, 'build')).toEqual(spec);
  });

  it('drops the title only when it equals the task id', () => {
    expect(JSON.parse(encodeSpec({ ...base, title: 'other' }, 'build'))).toEqual({ title: 'other' });
    expect(decodeSpec(encodeSpec(base, 'build'), 'renamed').title).toBe('renamed');
  });

  it('drops a retry policy only when every field equals the default', () => {
    const retry = { ...DEFAULT_RETRY, backoff: { ...DEFAULT_RETRY.backoff } };
    expect(encodeSpec({ ...base, retry }, 'build')).toBe('{}');
    const jittery = { ...retry, backoff: { ...retry.backoff, jitter: 0.5 } };
    expect(decodeSpec(encodeSpec({ ...base, retry: jittery }, 'build'), 'build').retry).toEqual(jittery);
  });

  it('round-trips a function task with its input', () => {
    const spec: TaskSpec = { ...base, function: 'noop', input: null };
    expect(decodeSpec(encodeSpec(spec, 'build'), 'build')).toEqual(spec);
  });
});

describe('JSON columns', () => {
  it('store null and undefined as NULL and parse them back to null', () => {
    expect(toJson(undefined)).toBeNull();
    expect(toJson(null)).toBeNull();
    expect(fromJson(toJson({ a: [1] }))).toEqual({ a: [1] });
    expect(fromJson(toJson(0))).toBe(0);
    expect(fromJson(null)).toBeNull();
  });

  it('store an empty list as NULL', () => {
    expect(toJsonList([])).toBeNull();
    expect(fromJsonList(null)).toEqual([]);
    expect(fromJsonList(toJsonList(['a', 'b']))).toEqual(['a', 'b']);
  });
});
