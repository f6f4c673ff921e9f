/** Small I/O helpers of the CLI: reading plan files, printing JSON, options shared by commands. */
import { MAX_PLAN_BYTES, parsePlanText } from '../core/plan/parse.js';
import type { Plan } from '../core/plan/schema.js';
import { readTextFile } from './read-file.js';

/** Reads and parses a plan file (`-` reads stdin; at most {@link MAX_PLAN_BYTES}). @throws UsageError, PlanValidationError */
export function readPlanFile(path: string): Plan {
  return parsePlanText(readTextFile(path, 'plan', MAX_PLAN_BYTES), path);
}

export { handler, parsePositiveInt, parsePositiveNumber, printJson, withStoreOptions } from './options.js';
export { readTextFile } from './read-file.js';
