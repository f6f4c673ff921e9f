/** Small I/O helpers of the CLI: reading plan files, printing JSON, options shared by commands. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parsePlanText } from '../core/plan/parse.js';
import type { Plan } from '../core/plan/schema.js';
import { UsageError } from './errors.js';

/** Reads and parses a plan file (`-` reads stdin). @throws UsageError, PlanValidationError */
export function readPlanFile(path: string): Plan {
  let text: string;
  try {
    text = path === '-' ? readFileSync(0, 'utf8') : readFileSync(resolve(path), 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read plan ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  return parsePlanText(text, path);
}

export { handler, parsePositiveInt, parsePositiveNumber, printJson, withStoreOptions } from './options.js';
