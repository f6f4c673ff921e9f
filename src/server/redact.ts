/**
 * Secret redaction for everything the server sends or logs: event payloads, live output, agent
 * configs, attempt errors. Two rules: values under secret-looking keys (`token`, `apiKey`,
 * `password`, `authorization`…) are replaced whole, and secret-looking substrings of text (bearer
 * tokens, `sk-…` keys, GitHub tokens, `KEY=value` assignments) are masked.
 */

/** What replaces a secret. */
export const REDACTED = '[REDACTED]';

/** Matched against the key in snake case (`githubToken` → `github_token`). */
const SECRET_KEY = /(^|_)(pass(word|wd)?|secret|token|api_?key|auth(orization)?|credentials?|private_key|access_key|cookie|session_key)$/;

/** `KEY=value` or `"key": "value"` where the key looks secret, bearer tokens, and well-known key formats. */
const TEXT_PATTERNS: Array<[RegExp, string]> = [
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, `$1 ${REDACTED}`],
  [/\b(sk|pk|rk)-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}/g, REDACTED],
  [/\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{30,})\b/g, REDACTED],
  [/\b([A-Za-z0-9_]*(?:PASSWORD|SECRET|TOKEN|API_KEY|APIKEY|PRIVATE_KEY|ACCESS_KEY)[A-Za-z0-9_]*)=("[^"]*"|'[^']*'|\S+)/gi, `$1=${REDACTED}`],
  [/("(?:[A-Za-z0-9_-]*(?:password|secret|token|api[_-]?key|authorization)[A-Za-z0-9_-]*)"\s*:\s*)"(?:[^"\\]|\\.)*"/gi, `$1"${REDACTED}"`],
];

/** Whether a property name holds a secret. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/-/g, '_').toLowerCase());
}

/**
 * Masks secrets inside a string.
 * @param extra exact strings to mask as well (the server's own token).
 */
export function redactText(text: string, extra: readonly string[] = []): string {
  let out = text;
  for (const s of extra) if (s.length >= 4 && out.includes(s)) out = out.split(s).join(REDACTED);
  for (const [re, by] of TEXT_PATTERNS) out = out.replace(re, by);
  return out;
}

/**
 * A deep copy of a JSON value with secrets removed: values under secret keys become
 * {@link REDACTED}, strings are passed through {@link redactText}. Cycles and depth past 32 are cut.
 */
export function redactValue<T>(value: T, extra: readonly string[] = []): T {
  return walk(value, extra, 0) as T;
}

function walk(value: unknown, extra: readonly string[], depth: number): unknown {
  if (typeof value === 'string') return redactText(value, extra);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 32) return '[…]';
  if (Array.isArray(value)) return value.map((v) => walk(v, extra, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = isSecretKey(k) && v !== null && v !== undefined && typeof v !== 'boolean' && typeof v !== 'number' ? REDACTED : walk(v, extra, depth + 1);
  }
  return out;
}

/**
 * A request URL fit for logs: query values under secret-looking names (`?token=`, `?api_key=`)
 * become {@link REDACTED}; the path and the other values are passed through {@link redactText}
 * (the `extra` strings and secret formats are masked).
 */
export function redactUrl(url: string, extra: readonly string[] = []): string {
  const q = url.indexOf('?');
  if (q < 0) return redactText(url, extra);
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return redactText(pair, extra);
      const raw = pair.slice(0, eq);
      let name = raw;
      try {
        name = decodeURIComponent(raw);
      } catch {
        /* a malformed name is checked as it is */
      }
      return `${redactText(raw, extra)}=${isSecretKey(name) ? REDACTED : redactText(pair.slice(eq + 1), extra)}`;
    })
    .join('&');
  return `${redactText(url.slice(0, q), extra)}?${query}`;
}
