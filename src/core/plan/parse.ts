/**
 * Plan text → validated plan object. Accepts JSON and YAML; every problem is reported as a
 * {@link PlanValidationError} with a JSON path, before anything runs.
 */
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { PlanValidationError, type PlanIssue } from '../errors.js';
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
  try {
    raw = trimmed.startsWith('{') || trimmed.startsWith('[') ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 1000 });
  } catch (e) {
    throw new PlanValidationError([
      { code: 'ERR_INVALID_PLAN', path: '', message: `${source} is neither valid JSON nor YAML: ${(e as Error).message.split('\n')[0]}` },
    ]);
  }
  return parsePlanObject(raw);
}

/**
 * Checks a plan object against the schema and applies schema defaults.
 * @throws PlanValidationError `ERR_INVALID_PLAN`.
 */
export function parsePlanObject(raw: unknown): Plan {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new PlanValidationError([{ code: 'ERR_INVALID_PLAN', path: '', message: 'a plan is an object with a "tasks" array' }]);
  }
  const parsed = planSchema.safeParse(raw);
  if (!parsed.success) throw new PlanValidationError(zodIssues(parsed.error));
  return parsed.data;
}
