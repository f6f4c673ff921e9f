/** What a template is: a name, its parameters (a zod schema) and a function from a mission to a plan. */
import type { z } from 'zod';
import type { PlanInput } from '../core/plan/schema.js';

/** A plan generator. */
export interface Template<S extends z.ZodType = z.ZodType> {
  /** The name `tutti run --template NAME` uses. */
  readonly name: string;
  /** One line for listings. */
  readonly description: string;
  /** Parameters (validated; defaults applied). */
  readonly params: S;
  /** One line per parameter, for `--help`-style listings. */
  readonly paramsHelp: Readonly<Record<string, string>>;
  /** The plan for a mission (the template's free text: a goal, a list of items…). */
  build(mission: string, params: z.output<S>): PlanInput;
}

/** A template as listed. */
export interface TemplateInfo {
  name: string;
  description: string;
  params: Record<string, string>;
  /** `builtin`, or the file a user template came from. */
  source: string;
}
