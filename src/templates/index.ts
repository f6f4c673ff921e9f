/**
 * Templates generate plans from a mission: the built-in `single`, `dev-team` and `batch`, and user
 * templates from YAML files (`docs/templates.md`). `renderTemplate` returns a schema-checked plan
 * with `metadata.template` and `metadata.mission` set; the engine validates it like any plan.
 */
import { TuttiError } from '../core/errors.js';
import { parsePlanObject } from '../core/plan/parse.js';
import type { Plan, PlanInput } from '../core/plan/schema.js';
import { batchTemplate } from './batch.js';
import { devTeamTemplate } from './dev-team.js';
import { singleTemplate } from './single.js';
import type { Template, TemplateInfo } from './types.js';
import { renderUserTemplate, type UserTemplate } from './user.js';

export type { Template, TemplateInfo } from './types.js';
export { singleTemplate, singleParamsSchema, type SingleParams } from './single.js';
export { batchTemplate, batchParamsSchema, type BatchParams } from './batch.js';
export {
  devTeamTemplate,
  devTeamParamsSchema,
  devTeamPhase,
  DEV_TEAM_TASKS,
  DEV_TEAM_FILES,
  DEV_TEAM_PHASES,
  DEV_TEAM_REWIND_TARGETS,
  type DevTeamParams,
  type DevTeamPhase,
} from './dev-team.js';
export { parseUserTemplate, renderUserTemplate, userTemplateFileSchema, type UserTemplate } from './user.js';
export { parseParamAssignments } from './params.js';
export { STEP_FUNCTIONS, templateStepFunctions, type StepDeps } from './steps/index.js';

/** The built-in templates by name. */
export const BUILTIN_TEMPLATES: Readonly<Record<string, Template>> = {
  [singleTemplate.name]: singleTemplate as unknown as Template,
  [devTeamTemplate.name]: devTeamTemplate as unknown as Template,
  [batchTemplate.name]: batchTemplate as unknown as Template,
};

/** The built-in templates, for listings. */
export function listTemplates(): TemplateInfo[] {
  return Object.values(BUILTIN_TEMPLATES).map((t) => ({ name: t.name, description: t.description, params: { ...t.paramsHelp }, source: 'builtin' }));
}

function isUserTemplate(t: Template | UserTemplate): t is UserTemplate {
  return 'source' in t && 'plan' in t;
}

/**
 * The plan a template makes for a mission.
 * @param template a built-in name, a built-in template, or a parsed user template.
 * @param params template parameters (defaults applied; unknown ones refused).
 * @returns the plan, checked against the plan schema, with `metadata.template` and `metadata.mission`.
 * @throws TuttiError `ERR_UNKNOWN_TEMPLATE`, `ERR_INVALID_INPUT` (empty mission, bad parameters);
 *   PlanValidationError when the generated plan breaks the schema.
 */
export function renderTemplate(template: string | Template | UserTemplate, mission: string, params: Record<string, unknown> = {}): Plan {
  const t = typeof template === 'string' ? BUILTIN_TEMPLATES[template] : template;
  if (!t) throw new TuttiError('ERR_UNKNOWN_TEMPLATE', `no template '${String(template)}' (built-in: ${Object.keys(BUILTIN_TEMPLATES).join(', ')}; or a YAML template file)`, { details: { template } });
  if (typeof mission !== 'string' || mission.trim() === '') throw new TuttiError('ERR_INVALID_INPUT', `template ${t.name} needs a mission (the text after the options)`);
  let plan: PlanInput;
  if (isUserTemplate(t)) plan = renderUserTemplate(t, mission, params);
  else {
    const r = t.params.safeParse(params);
    if (!r.success) {
      const issues = r.error.issues.map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`);
      throw new TuttiError('ERR_INVALID_INPUT', `template ${t.name} parameters: ${issues.join('; ')}`, { details: { issues } });
    }
    plan = t.build(mission, r.data);
  }
  const metadata = { ...((plan as { metadata?: Record<string, unknown> }).metadata ?? {}), template: t.name, mission };
  return parsePlanObject({ ...plan, metadata });
}
