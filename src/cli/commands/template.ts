/**
 * `tutti run --template NAME "mission" [--param key=value…]`: the plan comes from a template — a
 * built-in one (`single`, `dev-team`, `batch`), a YAML file given by path, or `NAME.yaml` found in
 * `./.tutti/templates/` then `<data-dir>/templates/`. Reading the file happens here (the CLI is
 * the only layer that reads files); parsing and rendering are in `src/templates`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { isTuttiError, PlanValidationError } from '../../core/errors.js';
import type { Plan } from '../../core/plan/schema.js';
import { BUILTIN_TEMPLATES, parseParamAssignments, parseUserTemplate, renderTemplate, type UserTemplate } from '../../templates/index.js';
import { resolveSettings, type StoreFlags } from '../config.js';
import { UsageError } from '../errors.js';

export interface TemplateFlags {
  template?: string;
  param?: string[];
}

const EXTENSIONS = ['.yaml', '.yml', '.json'];

/** Adds `--template NAME` and `--param key=value` (repeatable). */
export function withTemplateOptions(cmd: Command): Command {
  return cmd
    .option('--template <name>', `make the plan from a template: ${Object.keys(BUILTIN_TEMPLATES).join(', ')}, a YAML file, or NAME in .tutti/templates/ (the goal is the mission)`)
    .option('--param <key=value>', 'a template parameter (repeatable; dotted keys for nested fields, YAML values)', (v: string, prev: string[] = []) => [...prev, v]);
}

function readTemplateFile(path: string): UserTemplate {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read template ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  return parseUserTemplate(text, path, basename(path).replace(/\.(ya?ml|json)$/i, ''));
}

/** Finds a template by name or path. @throws UsageError when there is none. */
export function findTemplate(name: string, flags: StoreFlags, cwd: string = process.cwd()): string | UserTemplate {
  if (BUILTIN_TEMPLATES[name]) return name;
  if (name.includes('/') || EXTENSIONS.some((e) => name.endsWith(e))) return readTemplateFile(resolve(cwd, name));
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new UsageError(`invalid template name '${name}'`);
  const dirs = [join(cwd, '.tutti', 'templates'), join(resolveSettings(flags).dataDir, 'templates')];
  for (const dir of dirs) {
    for (const ext of EXTENSIONS) {
      const path = join(dir, `${name}${ext}`);
      if (existsSync(path)) return readTemplateFile(path);
    }
  }
  throw new UsageError(`unknown template '${name}': built-in ones are ${Object.keys(BUILTIN_TEMPLATES).join(', ')}; user templates are YAML files given by path or found as ${dirs.map((d) => join(d, `${name}.yaml`)).join(' or ')}`);
}

/**
 * The plan of `--template NAME` for a mission.
 * @throws UsageError (no template, no mission, `--param` without `--template`); TuttiError `ERR_INVALID_INPUT`
 *   (bad parameters); PlanValidationError (a template that renders an invalid plan).
 */
export function templatePlan(mission: string, flags: TemplateFlags & StoreFlags): Plan {
  if (!flags.template) throw new UsageError('--param needs --template NAME');
  if (!mission) throw new UsageError(`--template ${flags.template} needs a mission: tutti run --template ${flags.template} "what to build"`);
  const template = findTemplate(flags.template, flags);
  try {
    return renderTemplate(template, mission, parseParamAssignments(flags.param ?? []));
  } catch (e) {
    if (isTuttiError(e, 'ERR_UNKNOWN_TEMPLATE')) throw new UsageError(e.message);
    throw e;
  }
}

/**
 * When a template's roles have no agent, what exactly to add: a config snippet naming each
 * missing role with the capabilities its tasks ask for. Null when that is not the problem.
 */
export function missingRolesError(plan: Plan, e: unknown, template: string): UsageError | null {
  if (!(e instanceof PlanValidationError)) return null;
  const roles = new Map<string, string[]>();
  for (const issue of e.issues) {
    if (issue.code !== 'ERR_NO_CAPABLE_AGENT') continue;
    for (const id of issue.tasks ?? []) {
      const t = plan.tasks.find((x) => x.id === id);
      const sel = t?.agent;
      const caps = typeof sel === 'object' && sel && 'capabilities' in sel && Array.isArray(sel.capabilities) ? sel.capabilities : [];
      const name = typeof sel === 'string' ? sel : id;
      if (!roles.has(name)) roles.set(name, caps.length ? caps : [name]);
    }
  }
  if (!roles.size) return null;
  const list = [...roles].map(([name, caps]) => `${name} (capabilities [${caps.join(', ')}])`).join(', ');
  const snippet = [
    `Add an agent for each role to tutti.config.yaml (or pass --config FILE), e.g. coding-agent CLIs:`,
    '',
    'agents:',
    ...[...roles].flatMap(([name, caps]) => [`  - id: ${name}`, `    driver: coding          # or llm (an HTTP model), exec (a command)`, `    capabilities: [${caps.join(', ')}]`, `    config: { cli: [claude, codex] }`]),
    '',
    `then run: tutti run --template ${template} "…" again (tutti agents list shows what is registered).`,
  ].join('\n');
  return new UsageError(`no agent can play the ${template} template's roles: ${list}`, snippet);
}
