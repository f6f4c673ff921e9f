/**
 * Template parameters written as `key=value` (the CLI's `--param`): dotted keys make objects
 * (`agents.pm=writer`), values are read as YAML scalars or flow collections (`3` is a number,
 * `true` a boolean, `[sh, test.sh]` a list), anything else stays a string.
 */
import { parse as parseYaml } from 'yaml';
import { TuttiError } from '../core/errors.js';

const KEY = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$/;

function valueOf(text: string): unknown {
  if (text === '') return '';
  try {
    const v = parseYaml(text) as unknown;
    // A line such as `npm test` is a plain YAML string too; `a: b` would become an object: keep the text.
    return v !== null && typeof v === 'object' && !Array.isArray(v) && !text.trimStart().startsWith('{') ? text : v;
  } catch {
    return text;
  }
}

/**
 * Parses `key=value` assignments into one parameters object.
 * @throws TuttiError `ERR_INVALID_INPUT` for a missing `=`, a bad key, or a key set twice.
 */
export function parseParamAssignments(pairs: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new TuttiError('ERR_INVALID_INPUT', `template parameter '${pair}' is not key=value`);
    const key = pair.slice(0, eq).trim();
    if (!KEY.test(key)) throw new TuttiError('ERR_INVALID_INPUT', `template parameter name '${key}': use letters, digits, _ and -, dotted for nested fields`);
    const parts = key.split('.');
    let obj = out;
    for (const part of parts.slice(0, -1)) {
      const next = obj[part];
      if (next === undefined) obj = obj[part] = {};
      else if (next && typeof next === 'object' && !Array.isArray(next)) obj = next as Record<string, unknown>;
      else throw new TuttiError('ERR_INVALID_INPUT', `template parameter '${key}': '${part}' is already a value`);
    }
    const last = parts[parts.length - 1]!;
    if (last in obj) throw new TuttiError('ERR_INVALID_INPUT', `template parameter '${key}' is given twice`);
    obj[last] = valueOf(pair.slice(eq + 1));
  }
  return out;
}
