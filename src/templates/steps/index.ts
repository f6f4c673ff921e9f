/**
 * The built-in steps templates put between their agents' tasks, as functions of the `function`
 * driver. `createEngine` registers them on every engine (so a resumed run finds them in any
 * process); plans name them like any function (`function: tutti.check`).
 */
import type { TaskFunction } from '../../agents/types.js';
import { checkStep, scaffoldStep } from './commands.js';
import { documentsStep, type StepDeps } from './documents.js';
import { mergeStep } from './merge.js';

export type { StepDeps } from './documents.js';
export { documentsInputSchema, TEXT_DRIVERS, type DocumentsInput } from './documents.js';
export { checkInputSchema, scaffoldInputSchema, toArgv, type StepCommand } from './commands.js';
export { mergeInputSchema, type MergeStepOutput } from './merge.js';
export { blockForFile, fencedBlocks, unwrapDocument } from './blocks.js';
export { commitPaths, ensureGitRepo, inGitRepo } from './git.js';
export { attemptOutput, latestSuccess, HUMAN_AGENT } from './output.js';

/** Names of the built-in step functions. */
export const STEP_FUNCTIONS = {
  /** Writes (or checks) a role's documents in the work dir and commits them. */
  documents: 'tutti.documents',
  /** Runs the approved scaffold script and commits what it created. */
  scaffold: 'tutti.scaffold',
  /** Runs tests or a validation command (in a task's worktree with `in`); on failure writes a bug report and fails with the output. */
  check: 'tutti.check',
  /** Lands a task's branch in its target through the merge queue. */
  merge: 'tutti.merge',
} as const;

/** The step functions, by name, over a store and its data dir. */
export function templateStepFunctions(deps: StepDeps): Record<string, TaskFunction> {
  return {
    [STEP_FUNCTIONS.documents]: documentsStep(deps),
    [STEP_FUNCTIONS.scaffold]: scaffoldStep(deps),
    [STEP_FUNCTIONS.check]: checkStep(deps),
    [STEP_FUNCTIONS.merge]: mergeStep(deps),
  };
}
