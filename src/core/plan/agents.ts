/** Parsing of agent definitions (plans, config files, the library, the API). */
import { TuttiError } from '../errors.js';
import { formatPath } from './parse.js';
import { agentInputSchema, type AgentDefinition, type AgentInput } from './schema.js';

/** @throws TuttiError `ERR_INVALID_INPUT` with the offending fields. */
export function parseAgentDefinition(input: AgentInput | unknown): AgentDefinition {
  const r = agentInputSchema.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
  const id = typeof input === 'object' && input !== null && 'id' in input ? String((input as { id: unknown }).id) : '?';
  throw new TuttiError('ERR_INVALID_INPUT', `invalid agent '${id}': ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`, { details: { issues } });
}
