/**
 * Limits every boundary applies to JSON-like data it accepts (HTTP bodies, plan and config files,
 * memory values, agent CLI output lines, LLM responses): a nesting depth, a size, and no NUL
 * bytes where text becomes argv, environment or a prompt. Checks are iterative (no recursion), so
 * a hostile input cannot overflow the stack of the check itself, and they name the offending
 * field's path (`body.metadata.a.b`, `tasks[0].command[1]`).
 */
import { TuttiError } from './errors.js';

/** Deepest nesting of arrays and objects accepted anywhere: a value inside 64 containers is the limit. */
export const MAX_JSON_DEPTH = 64;

/**
 * Largest single line of agent CLI output (JSON lines) buffered or parsed, bytes (8 MiB): a longer
 * line is skipped (agents/drivers/cli/json-lines.ts). Large enough for a real event carrying a big
 * file (Claude Code repeats a written or read file's content in its tool events).
 */
export const MAX_OUTPUT_LINE_BYTES = 8 * 1024 * 1024;

/** Largest LLM response body read, bytes (32 MiB). */
export const MAX_LLM_RESPONSE_BYTES = 32 * 1024 * 1024;

/** Largest config file read, bytes (4 MiB). */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** Largest memory value stored (its JSON), bytes (16 MiB). */
export const MAX_MEMORY_VALUE_BYTES = 16 * 1024 * 1024;

/** A limit a value broke: where (dotted path) and what. */
export interface LimitViolation {
  path: string;
  message: string;
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  const k = /^[A-Za-z_$][\w$-]*$/.test(key) ? key : JSON.stringify(key.length > 60 ? `${key.slice(0, 60)}…` : key);
  return path ? `${path}.${k}` : k;
}

/** `prefix` followed by a path from a scan (`(root)` means the value itself). */
export function joinPaths(prefix: string, path: string): string {
  if (path === '(root)') return prefix || path;
  if (!prefix) return path;
  return path.startsWith('[') ? `${prefix}${path}` : `${prefix}.${path}`;
}

/** Shortens a long path to its start and end, so a message stays one readable line. */
function shortPath(path: string): string {
  return path.length <= 240 ? path : `${path.slice(0, 120)}…${path.slice(-100)}`;
}

/**
 * The first place `value` nests deeper than `maxDepth` containers, or null. Iterative.
 * @param path the name of `value` itself (`body`, `tasks[0].input`), prefixed to the result.
 */
export function findDeepNesting(value: unknown, maxDepth = MAX_JSON_DEPTH, path = ''): LimitViolation | null {
  if (value === null || typeof value !== 'object') return null;
  const stack: Array<{ v: object; depth: number; path: string }> = [{ v: value, depth: 1, path }];
  while (stack.length) {
    const { v, depth, path: p } = stack.pop()!;
    if (depth > maxDepth) return { path: shortPath(p) || '(root)', message: `nested deeper than ${maxDepth} levels of arrays and objects` };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) {
        const c: unknown = v[i];
        if (c !== null && typeof c === 'object') stack.push({ v: c, depth: depth + 1, path: join(p, i) });
      }
    } else {
      for (const [k, c] of Object.entries(v)) if (c !== null && typeof c === 'object') stack.push({ v: c as object, depth: depth + 1, path: join(p, k) });
    }
  }
  return null;
}

/**
 * The first string (value or key) in `value` holding a NUL byte, or null. Iterative.
 * @param skip paths (as built by this function) whose content is not checked, e.g. `tasks[0].input`.
 */
export function findNulByte(value: unknown, path = '', skip: (path: string) => boolean = () => false): LimitViolation | null {
  const stack: Array<{ v: unknown; path: string }> = [{ v: value, path }];
  while (stack.length) {
    const { v, path: p } = stack.pop()!;
    if (skip(p)) continue;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return { path: shortPath(p) || '(root)', message: 'contains a NUL byte (\\u0000), which no command line, environment or prompt can carry' };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: join(p, i) });
    } else if (v !== null && typeof v === 'object') {
      for (const [k, c] of Object.entries(v)) {
        if (k.includes('\u0000')) return { path: shortPath(join(p, k)), message: 'a key contains a NUL byte (\\u0000)' };
        stack.push({ v: c, path: join(p, k) });
      }
    }
  }
  return null;
}

/**
 * Scans JSON text, without parsing it, for nesting deeper than `maxDepth`: returns where it first
 * goes deeper (the character offset and the path of the field, e.g. `metadata.a.a[0]`), else
 * null. Linear, no recursion: run it before `JSON.parse`, whose cost grows steeply with depth
 * (5 million levels take ~9 s). The path is exact for valid JSON (keys shown with their escapes).
 */
export function scanJsonDepth(text: string, maxDepth = MAX_JSON_DEPTH): { offset: number; path: string } | null {
  // One frame per open container: an array's current index, or an object's current key.
  const frames: Array<{ array: boolean; index: number; key: string | null; expectKey: boolean }> = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      const start = i + 1;
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) i++;
        else if (d === 34) break;
      }
      const top = frames[frames.length - 1];
      if (top && !top.array && top.expectKey) {
        top.key = text.slice(start, Math.min(i, start + 200));
        top.expectKey = false;
      }
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (frames.length >= maxDepth) {
        let path = '';
        for (const f of frames) path = f.array ? `${path}[${f.index}]` : join(path, f.key ?? '?');
        return { offset: i, path: shortPath(path) || '(root)' };
      }
      frames.push({ array: c === 91, index: 0, key: null, expectKey: c === 123 });
    } else if (c === 125 /* } */ || c === 93 /* ] */) frames.pop();
    else if (c === 44 /* , */) {
      const top = frames[frames.length - 1];
      if (top?.array) top.index++;
      else if (top) top.expectKey = true;
    }
  }
  return null;
}

/** Throws `ERR_INVALID_INPUT` naming the path when `value` nests deeper than `maxDepth`. */
export function assertJsonDepth(value: unknown, options: { maxDepth?: number; path?: string; what?: string } = {}): void {
  const v = findDeepNesting(value, options.maxDepth ?? MAX_JSON_DEPTH, options.path ?? '');
  if (v) throw limitError(options.what ?? 'input', v);
}

/** The error of a broken limit: `ERR_INVALID_INPUT` with `details.issues: [{ path, message }]`. */
export function limitError(what: string, v: LimitViolation): TuttiError {
  return new TuttiError('ERR_INVALID_INPUT', `invalid ${what}: ${v.path}: ${v.message}`, { details: { issues: [v] } });
}

export interface ParseLimits {
  /** @default {@link MAX_JSON_DEPTH} */
  maxDepth?: number;
  /** Largest text accepted, bytes (UTF-8). @default unlimited */
  maxBytes?: number;
  /** Name of the text for messages (`stdout line`, `LLM response`). @default 'JSON' */
  what?: string;
  /** Path prefix of the value in messages. @default '' */
  path?: string;
}

/**
 * `JSON.parse` with a size and a depth limit checked before parsing.
 * @throws TuttiError `ERR_INVALID_INPUT` (too large, too deep, or not JSON), naming the path.
 */
export function parseJsonLimited(text: string, limits: ParseLimits = {}): unknown {
  const what = limits.what ?? 'JSON';
  const path = limits.path ?? '';
  if (limits.maxBytes !== undefined && (text.length > limits.maxBytes || Buffer.byteLength(text) > limits.maxBytes)) {
    throw limitError(what, { path: path || '(root)', message: `larger than ${limits.maxBytes} bytes` });
  }
  const maxDepth = limits.maxDepth ?? MAX_JSON_DEPTH;
  const deep = scanJsonDepth(text, maxDepth);
  if (deep) throw limitError(what, { path: joinPaths(path, deep.path), message: `nested deeper than ${maxDepth} levels of arrays and objects (at character ${deep.offset})` });
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw limitError(what, { path: path || '(root)', message: `not JSON: ${(e as Error).message}` });
  }
}

/**
 * Depth and size limits of a value about to be stored (memory entries, state values): nested at
 * most {@link MAX_JSON_DEPTH} levels, its JSON at most `maxBytes`.
 * @throws TuttiError `ERR_INVALID_INPUT` naming the path.
 */
export function assertValueLimits(value: unknown, what: string, maxBytes = MAX_MEMORY_VALUE_BYTES): void {
  assertJsonDepth(value, { what });
  const json = JSON.stringify(value);
  if (json !== undefined && json.length > maxBytes) throw limitError(what, { path: '(value)', message: `its JSON is larger than ${maxBytes} bytes` });
}
