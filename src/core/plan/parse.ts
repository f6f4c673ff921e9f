/**
 * Plan text → validated plan object. Accepts JSON and YAML; every problem is reported as a
 * {@link PlanValidationError} with a JSON path, before anything runs.
 */
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { PlanValidationError, type PlanIssue } from '../errors.js';
import { findDeepNesting, findNulByte, MAX_JSON_DEPTH, scanJsonDepth } from '../limits.js';
import { planSchema, type Plan } from './schema.js';

/** Maximum plan text size accepted, in bytes (64 MiB). */
export const MAX_PLAN_BYTES = 64 * 1024 * 1024;

export { formatPath } from './format-path.js';
import { formatPath } from './format-path.js';

/** Converts zod issues into plan issues. */
export function zodIssues(error: z.ZodError): PlanIssue[] {
  return error.issues.map((i) => ({ code: 'ERR_INVALID_PLAN' as const, path: formatPath(i.path), message: i.message }));
}

/**
 * Parses plan text (JSON, or YAML when it is not JSON) and checks it against the schema.
 * Semantic checks (duplicates, dependencies, cycles, agents) are done by `validatePlan`.
 * @param text the file's content.
 * @param source a name for messages (a file path).
 * @throws PlanValidationError `ERR_INVALID_PLAN` for unparseable text or schema violations.
 */
export function parsePlanText(text: string, source = 'plan'): Plan {
  if (Buffer.byteLength(text) > MAX_PLAN_BYTES) {
    throw new PlanValidationError([{ code: 'ERR_INVALID_PLAN', path: '', message: `${source} is larger than ${MAX_PLAN_BYTES} bytes` }]);
  }
  let raw: unknown;
  const trimmed = text.trimStart();
  const json = trimmed.startsWith('{') || trimmed.startsWith('[');
  // Refused before parsing: JSON.parse's cost grows steeply with depth, YAML's parser recurses.
  const deep = json ? scanJsonDepth(text, MAX_JSON_DEPTH) : null;
  if (deep) throw new PlanValidationError([{ code: 'ERR_INVALID_PLAN', path: deep.path === '(root)' ? '' : deep.path, message: `nested deeper than ${MAX_JSON_DEPTH} levels of arrays and objects (${source}, character ${deep.offset})` }]);
  try {
    raw = json ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 1000 });
  } catch (e) {
    if (e instanceof RangeError || /call stack/i.test((e as Error).message)) throw tooDeep(source);
    throw new PlanValidationError([
      { code: 'ERR_INVALID_PLAN', path: '', message: `${source} is neither valid JSON nor YAML: ${(e as Error).message.split('\n')[0]}` },
    ]);
  }
  return parsePlanObject(raw);
}

function tooDeep(where: string): PlanValidationError {
  return new PlanValidationError([{ code: 'ERR_INVALID_PLAN', path: '', message: `${where} is nested deeper than ${MAX_JSON_DEPTH} levels of arrays and objects` }]);
}

/** Where a NUL byte is data (a task's JSON `input`, free-form `metadata`), not text for argv, env or a prompt. */
const NUL_ALLOWED = /^(tasks\[\d+\]\.input|metadata)(\.|\[|$)/;

/**
 * Checks a plan object against the limits (nesting at most {@link MAX_JSON_DEPTH} levels; no NUL
 * byte outside task `input` and `metadata`), then the schema, and applies schema defaults.
 * @throws PlanValidationError `ERR_INVALID_PLAN`, each issue naming the field's path.
 */
export function parsePlanObject(raw: unknown): Plan {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new PlanValidationError([{ code: 'ERR_INVALID_PLAN', path: '', message: 'a plan is an object with a "tasks" array' }]);
  }
  const limit = findDeepNesting(raw, MAX_JSON_DEPTH) ?? findNulByte(raw, '', (p) => NUL_ALLOWED.test(p));
  if (limit) throw new PlanValidationError([{ code: 'ERR_INVALID_PLAN', path: limit.path, message: limit.message }]);
  const parsed = planSchema.safeParse(raw);
  if (!parsed.success) throw new PlanValidationError(zodIssues(parsed.error));
  return parsed.data;
}
