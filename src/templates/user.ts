/**
 * User templates: a YAML (or JSON) file holding a plan whose strings use `{{mission}}` and
 * `{{param}}` placeholders, with declared parameters and defaults (format in `docs/templates.md`).
 * Parsing and rendering are pure: the CLI reads the file.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { TuttiError } from '../core/errors.js';
import { formatPath } from '../core/plan/parse.js';
import type { PlanInput } from '../core/plan/schema.js';

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/** `{{ name }}` or `{{name}}`; names are letters, digits, `_` and `-`. */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_-]*)\s*\}\}/g;
const WHOLE = /^\{\{\s*([A-Za-z_][A-Za-z0-9_-]*)\s*\}\}$/;

const paramSpecSchema = z.strictObject({
  description: z.string().max(1000).optional(),
  default: z.unknown().optional(),
  required: z.boolean().default(false),
});

export const userTemplateFileSchema = z.strictObject({
  version: z.literal(1).default(1),
  name: z.string().regex(PARAM_NAME, 'letters, digits, _ and -').max(100).optional(),
  description: z.string().max(1000).default(''),
  params: z.record(z.string().regex(PARAM_NAME, 'parameter names are letters, digits, _ and -').refine((n) => n !== 'mission', '`mission` is always given'), paramSpecSchema).default({}),
  plan: z.record(z.string(), z.unknown()).describe('A plan (docs/plan-format.md) whose strings may use {{mission}} and {{param}}.'),
});

/** A parsed user template. */
export interface UserTemplate {
  name: string;
  description: string;
  params: Record<string, z.output<typeof paramSpecSchema>>;
  plan: Record<string, unknown>;
  /** Where it came from (a file path). */
  source: string;
}

function invalid(source: string, message: string, details?: Record<string, unknown>): TuttiError {
  return new TuttiError('ERR_INVALID_INPUT', `template ${source}: ${message}`, details ? { details } : undefined);
}

/**
 * Parses a template file's text.
 * @param fallbackName used when the file sets no `name` (the CLI passes the file's base name).
 * @throws TuttiError `ERR_INVALID_INPUT` for unreadable YAML or a bad structure.
 */
export function parseUserTemplate(text: string, source: string, fallbackName: string): UserTemplate {
  let raw: unknown;
  try {
    raw = parseYaml(text, { maxAliasCount: 1000 });
  } catch (e) {
    throw invalid(source, `not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  const r = userTemplateFileSchema.safeParse(raw ?? {});
  if (!r.success) throw invalid(source, r.error.issues.map((i) => `${formatPath(i.path) || '(root)'}: ${i.message}`).join('; '));
  return { name: r.data.name ?? fallbackName, description: r.data.description, params: r.data.params, plan: r.data.plan, source };
}

/** Placeholders used anywhere in the value, with the path of their first use. */
function placeholders(value: unknown, path: string, out: Map<string, string>): void {
  if (typeof value === 'string') {
    for (const m of value.matchAll(PLACEHOLDER)) if (!out.has(m[1]!)) out.set(m[1]!, path);
  } else if (Array.isArray(value)) value.forEach((v, i) => placeholders(v, `${path}[${i}]`, out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) placeholders(v, path ? `${path}.${k}` : k, out);
}

function substitute(value: unknown, values: Record<string, unknown>): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    // A string that is one placeholder takes the value as is: numbers, lists and objects keep their type.
    if (whole) return values[whole[1]!];
    return value.replace(PLACEHOLDER, (_, name: string) => {
      const v = values[name];
      return typeof v === 'string' ? v : JSON.stringify(v);
    });
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, values));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, values)]));
  return value;
}

/**
 * The plan of a user template for a mission: parameters checked (unknown, missing required),
 * defaults applied, placeholders replaced. The result still goes through plan validation.
 * @throws TuttiError `ERR_INVALID_INPUT` naming the parameter or placeholder at fault.
 */
export function renderUserTemplate(t: UserTemplate, mission: string, params: Record<string, unknown> = {}): PlanInput {
  const unknown = Object.keys(params).filter((k) => !(k in t.params));
  if (unknown.length) throw invalid(t.source, `unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (declared: ${Object.keys(t.params).join(', ') || 'none'})`, { unknown });
  const values: Record<string, unknown> = { mission };
  const missing: string[] = [];
  for (const [name, spec] of Object.entries(t.params)) {
    if (params[name] !== undefined) values[name] = params[name];
    else if (spec.default !== undefined) values[name] = spec.default;
    else if (spec.required) missing.push(name);
    else values[name] = '';
  }
  if (missing.length) throw invalid(t.source, `missing parameter${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`, { missing });
  const used = new Map<string, string>();
  placeholders(t.plan, '', used);
  const undeclared = [...used].filter(([name]) => !(name in values));
  if (undeclared.length) {
    throw invalid(t.source, `undeclared placeholder${undeclared.length > 1 ? 's' : ''} ${undeclared.map(([n, p]) => `{{${n}}} (at plan.${p})`).join(', ')}: declare them under params`, { undeclared: undeclared.map(([n]) => n) });
  }
  return substitute(t.plan, values) as PlanInput;
}
