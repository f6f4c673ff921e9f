/**
 * Command lines typed by a person (`--validate "npm test"`, `--setup "npm ci"`) become argv arrays
 * without a shell: words split on blanks, with '…' and "…" quoting and backslash escapes. Shell
 * syntax (pipes, `&&`, redirections, `$VAR`, `VAR=x cmd`) is refused with a hint to write
 * `sh -c '…'`, which then runs exactly what the person wrote.
 */
import { TuttiError } from '../core/errors.js';

const OPERATORS = new Set(['|', '&', ';', '<', '>', '(', ')', '`', '$']);

function refuse(line: string, what: string): never {
  throw new TuttiError('ERR_INVALID_INPUT', `cannot run '${line}' without a shell (${what}); write it as: sh -c '${line.replace(/'/g, `'\\''`)}'`, { details: { command: line } });
}

/**
 * Splits a command line into argv.
 * @throws TuttiError `ERR_INVALID_INPUT` for an empty line, an unclosed quote, or shell syntax.
 * @example splitCommandLine(`node -e "console.log('hi')"`) // ['node', '-e', "console.log('hi')"]
 */
export function splitCommandLine(line: string): string[] {
  const out: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) word += line[++i];
      else if (c === '$' || c === '`') refuse(line, `'${c}' expands inside double quotes`);
      else word += c;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 < line.length) word += line[++i];
      inWord = true;
    } else if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) out.push(word);
      word = '';
      inWord = false;
    } else if (OPERATORS.has(c)) refuse(line, `'${c}' is shell syntax`);
    else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new TuttiError('ERR_INVALID_INPUT', `unclosed ${quote} quote in '${line}'`, { details: { command: line } });
  if (inWord) out.push(word);
  if (out.length === 0) throw new TuttiError('ERR_INVALID_INPUT', 'empty command', { details: { command: line } });
  if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(out[0]!)) refuse(line, 'a leading VAR=value assignment needs a shell');
  return out;
}

/** A command given as argv (kept) or as one line (split). @throws as {@link splitCommandLine}. */
export function toArgv(command: string | readonly string[]): string[] {
  if (typeof command === 'string') return splitCommandLine(command);
  if (command.length === 0) throw new TuttiError('ERR_INVALID_INPUT', 'empty command');
  return [...command];
}

/** A readable one-line form of argv (for messages and logs; never executed). */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
