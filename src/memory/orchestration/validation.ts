/**
 * Seed 000's success-criteria flags (`{ tests, lint, typecheck }`) as validation commands: the
 * orchestrator's configured command, else the repository's package script run with its package
 * manager. A flag with no command is refused, never ignored.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TuttiError } from '../../core/errors.js';
import { toArgv } from '../../workspace/argv.js';

/** The flags of the reference's `SuccessCriteria` that name a check. */
export const CRITERIA_FLAGS = ['tests', 'lint', 'typecheck'] as const;
export type CriteriaFlag = (typeof CRITERIA_FLAGS)[number];

/** Package scripts looked for, in order, per flag. */
export const CRITERIA_SCRIPTS: Readonly<Record<CriteriaFlag, readonly string[]>> = {
  tests: ['test'],
  lint: ['lint'],
  typecheck: ['typecheck', 'type-check', 'tsc'],
};

type PackageManager = 'npm' | 'pnpm' | 'yarn' | 'bun';

/** The package manager of a repository: `packageManager` in package.json, else its lock file, else npm. */
export function packageManagerOf(dir: string, pkg: { packageManager?: unknown }): PackageManager {
  const declared = typeof pkg.packageManager === 'string' ? pkg.packageManager.split('@')[0] : '';
  if (declared === 'pnpm' || declared === 'yarn' || declared === 'bun' || declared === 'npm') return declared;
  if (existsSync(join(dir, 'pnpm-lock.yaml'))) return 'pnpm';
  if (existsSync(join(dir, 'yarn.lock'))) return 'yarn';
  if (existsSync(join(dir, 'bun.lockb')) || existsSync(join(dir, 'bun.lock'))) return 'bun';
  return 'npm';
}

function readScripts(dir: string): { scripts: Record<string, unknown>; pkg: Record<string, unknown> } | null {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return null;
  try {
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const scripts = pkg.scripts && typeof pkg.scripts === 'object' ? (pkg.scripts as Record<string, unknown>) : {};
    return { scripts, pkg };
  } catch (e) {
    throw new TuttiError('ERR_INVALID_INPUT', `cannot read ${file} for loopPolicy.successCriteria: ${(e as Error).message}`);
  }
}

/**
 * The validation commands (argv) of the flags set to true, in the order tests, lint, typecheck.
 * @param configured commands given by the orchestrator's config, by flag.
 * @param dir the repository the run works in.
 * @throws TuttiError `ERR_INVALID_INPUT` naming the flag that has no command.
 */
export function criteriaCommands(flags: Partial<Record<CriteriaFlag, boolean>>, configured: Partial<Record<CriteriaFlag, string | string[]>>, dir: string): Array<{ flag: CriteriaFlag; argv: string[] }> {
  const out: Array<{ flag: CriteriaFlag; argv: string[] }> = [];
  let repo: ReturnType<typeof readScripts> | undefined;
  for (const flag of CRITERIA_FLAGS) {
    if (flags[flag] !== true) continue;
    const given = configured[flag];
    if (given !== undefined) {
      out.push({ flag, argv: toArgv(given) });
      continue;
    }
    repo ??= readScripts(dir);
    const script = repo ? CRITERIA_SCRIPTS[flag].find((s) => typeof repo!.scripts[s] === 'string') : undefined;
    if (!repo || !script) {
      const where = repo ? `no ${CRITERIA_SCRIPTS[flag].map((s) => `'${s}'`).join(' or ')} script in ${join(dir, 'package.json')}` : `no package.json in ${dir}`;
      throw new TuttiError('ERR_INVALID_INPUT', `loopPolicy.successCriteria.${flag}: no command to check it (${where}); set createOrchestrator({ validation: { ${flag}: 'command' } }) or add the script`, { details: { field: `loopPolicy.successCriteria.${flag}` } });
    }
    out.push({ flag, argv: [packageManagerOf(dir, repo.pkg), 'run', script] });
  }
  return out;
}
