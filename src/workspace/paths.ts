/**
 * Path guards: which files an agent may change. Patterns are globs relative to the repository
 * root: `*` and `?` stay within one path segment, `**` crosses segments, `[abc]` and `{a,b}` work
 * as in shells. A pattern ending in `/`, or a plain path without glob characters, also covers
 * everything under it (`src/` and `src` both match `src/app/main.ts`).
 */

/** One changed path that breaks the task's path rules. */
export interface PathViolation {
  path: string;
  /** `outside allowedPaths`, or `forbidden by <pattern>`. */
  reason: string;
}

const GLOB_CHARS = /[*?[\]{}]/;

function escapeRe(c: string): string {
  return /[\\^$.|+()]/.test(c) ? `\\${c}` : c;
}

/** Normalises a repository-relative path or pattern: forward slashes, no leading `./` or `/`. */
export function normaliseRepoPath(p: string): string {
  let s = p.replace(/\\/g, '/');
  while (s.startsWith('./')) s = s.slice(2);
  while (s.startsWith('/')) s = s.slice(1);
  return s;
}

/**
 * Compiles a glob into an anchored regular expression over repository-relative paths.
 * @throws Error for an empty pattern or one that climbs out of the repository (`..`).
 */
export function globToRegExp(pattern: string): RegExp {
  let p = normaliseRepoPath(pattern.trim());
  if (!p) throw new Error('empty path pattern');
  if (p.split('/').includes('..')) throw new Error(`path pattern '${pattern}' climbs out of the repository`);
  const dirOnly = p.endsWith('/');
  if (dirOnly) p = p.replace(/\/+$/, '');
  let re = '';
  let braces = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*') {
      if (p[i + 1] === '*') {
        // `**/` matches zero or more directories; a trailing `**` matches the rest.
        if (p[i + 2] === '/') {
          re += '(?:[^/]+/)*';
          i += 2;
        } else {
          re += '.*';
          i += 1;
        }
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = p.indexOf(']', i + 1);
      if (end === -1) re += '\\[';
      else {
        const body = p.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = end;
      }
    } else if (c === '{') {
      braces++;
      re += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      re += ')';
    } else if (c === ',' && braces > 0) re += '|';
    else re += escapeRe(c);
  }
  if (braces > 0) throw new Error(`unbalanced braces in path pattern '${pattern}'`);
  // Directories cover their contents: `src/` and a plain `src` match `src/a/b.ts`.
  const subtree = dirOnly || !GLOB_CHARS.test(p);
  return new RegExp(`^${re}${subtree ? '(?:/.*)?' : ''}$`);
}

/** Whether a repository-relative path matches any of the patterns. */
export function matchesAny(path: string, patterns: readonly RegExp[]): boolean {
  const p = normaliseRepoPath(path);
  return patterns.some((re) => re.test(p));
}

/**
 * Checks changed paths against the task's rules: every path must match one of `allowed` (when
 * given, even empty) and none of `forbidden`.
 * @throws Error for an invalid pattern.
 */
export function checkPaths(changed: readonly string[], allowed: readonly string[] | undefined, forbidden: readonly string[] | undefined): PathViolation[] {
  const allow = allowed?.map((p) => globToRegExp(p));
  const deny = (forbidden ?? []).map((p) => [p, globToRegExp(p)] as const);
  const out: PathViolation[] = [];
  for (const path of changed) {
    const p = normaliseRepoPath(path);
    const hit = deny.find(([, re]) => re.test(p));
    if (hit) out.push({ path: p, reason: `forbidden by ${hit[0]}` });
    else if (allow && !allow.some((re) => re.test(p))) out.push({ path: p, reason: 'outside allowedPaths' });
  }
  return out;
}
