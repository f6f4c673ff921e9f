/**
 * What coding-agent CLIs say when they cannot work, recognised across CLIs: usage limits and
 * quotas (with the reset time when the text gives one), missing or refused credentials, and an
 * unreachable service. Applied only to error channels (error events, error results, stderr),
 * never to what the agent writes about code, which may well mention "rate limit".
 */

/** Usage limits and quotas: rate-limited, not failed (seed 004). */
export const RATE_LIMIT_RE =
  /rate[ _-]?limit|quota (?:exceeded|exhausted|will reset)|exhausted your (?:capacity|quota)|usage limit|hit your (?:\w+ )?limit|limit reached|too many requests|resource[_ ]exhausted|\bstatus(?: code)?:? 429\b|\b429 too many/i;

/** Missing, expired or refused credentials. */
export const AUTH_RE =
  /not logged in|please run \/login|not authenticated|unauthori[sz]ed|invalid[ _-](?:x-)?api[ _-]?key|api key (?:not valid|is invalid|not found)|authentication[ _](?:failed|error|required)|please set an auth method|login required|(?:oauth )?token (?:has )?expired|\bstatus(?: code)?:? 401\b|\b401 unauthori|billing[_ ]error|credit balance is too low/i;

/** No route to the service. */
export const NETWORK_RE =
  /waiting for network|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|getaddrinfo|failed to lookup address|name does not resolve|fetch failed|network is unreachable|connection failed|error sending request|stream disconnected|ETIMEDOUT|socket hang up/i;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function unitOf(u: string): number | undefined {
  const s = u.toLowerCase();
  if (s === 'ms' || s.startsWith('millisecond')) return UNIT_MS.ms;
  if (s === 's' || s.startsWith('sec')) return UNIT_MS.s;
  if (s === 'm' || s.startsWith('min')) return UNIT_MS.m;
  if (s === 'h' || s === 'hr' || s === 'hrs' || s.startsWith('hour')) return UNIT_MS.h;
  if (s === 'd' || s.startsWith('day')) return UNIT_MS.d;
  return undefined;
}

const DURATION_PART = String.raw`(\d+(?:\.\d+)?)\s*(milliseconds?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d)(?![A-Za-z])`;

/** Parses "2 days 3 hours 5 minutes", "1h5m3s", "12.5s" into ms; undefined when none. */
export function parseDuration(text: string): number | undefined {
  const re = new RegExp(DURATION_PART, 'gi');
  let total = 0;
  let found = false;
  let lastEnd = -1;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    // Only a contiguous run of parts ("3 hours, 5 minutes", "1h5m"), starting at the first one.
    if (lastEnd >= 0 && !/^[\s,]*(?:and\s+)?$/i.test(text.slice(lastEnd, m.index))) break;
    const unit = unitOf(m[2]!);
    if (unit === undefined) break;
    total += Number(m[1]) * unit;
    found = true;
    lastEnd = m.index + m[0].length;
  }
  return found ? Math.round(total) : undefined;
}

/** Minutes east of UTC of `timeZone` at `at`; undefined for an unknown zone. */
function zoneOffsetMinutes(timeZone: string, at: number): number | undefined {
  try {
    const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' }).formatToParts(new Date(at));
    const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
    const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'));
    return Math.round((asUtc - Math.floor(at / 60_000) * 60_000) / 60_000);
  } catch {
    return undefined;
  }
}

const ZONE_ABBREVIATIONS: Record<string, string> = { UTC: 'UTC', GMT: 'UTC', Z: 'UTC', PST: 'America/Los_Angeles', PDT: 'America/Los_Angeles', EST: 'America/New_York', EDT: 'America/New_York', CET: 'Europe/Paris', CEST: 'Europe/Paris' };

/** The next time the wall clock of `zone` (local time when undefined) shows hh:mm after `now`. */
function nextClockTime(now: number, hour: number, minute: number, zone: string | undefined): number {
  const offset = zone ? zoneOffsetMinutes(ZONE_ABBREVIATIONS[zone.toUpperCase()] ?? zone, now) : undefined;
  const off = offset ?? -new Date(now).getTimezoneOffset();
  const wallNow = now + off * 60_000;
  const dayStart = Math.floor(wallNow / 86_400_000) * 86_400_000;
  let target = dayStart + (hour * 60 + minute) * 60_000;
  if (target <= wallNow) target += 86_400_000;
  return target - off * 60_000;
}

/**
 * When a usage limit resets, from a CLI's message; undefined when the text does not say.
 * Understands: `…|1712345678` (epoch seconds, Claude), `resets at 2025-01-02T03:04:05Z`,
 * `try again in 2 days 3 hours`, `retry in 12.5s`, `reset after 1h5m`, `Retry-After: 30`,
 * `resets 7pm (Europe/Berlin)`, `try again at 3:04 PM`, `resets at 15:30 UTC`.
 * @param now epoch ms.
 * @returns epoch ms, never before `now`.
 */
export function parseResetTime(text: string, now: number): number | undefined {
  const epoch = /\|(\d{10})(?:\d{3})?\b/.exec(text) ?? /\breset(?:s|_at|sAt)?["': ]+(\d{10})\b/i.exec(text);
  if (epoch) return Math.max(now, Number(epoch[1]) * 1000);
  const iso = /\b(?:resets?|reset at|resets at|until|try again at|available at)\s*(?:at\s+)?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)/i.exec(text);
  if (iso) {
    const t = Date.parse(iso[1]!.replace(' ', 'T'));
    if (!Number.isNaN(t)) return Math.max(now, t);
  }
  const rel = /\b(?:try again|retry|resets?|reset|available again|wait)\s+(?:in|after)\s+(.{1,80})/i.exec(text);
  if (rel) {
    const ms = parseDuration(rel[1]!);
    if (ms !== undefined) return now + ms;
  }
  const after = /\bretry[- ]after:?\s*(\d+(?:\.\d+)?)\b/i.exec(text);
  if (after) return now + Math.round(Number(after[1]) * 1000);
  const clock = /\b(?:resets?|reset|try again|available again)\s+(?:at\s+)?(\d{1,2})(?::(\d{2}))?\s*(am|pm)?(?:\s+\(?([A-Za-z_]+(?:\/[A-Za-z_]+)*)\)?)?/i.exec(text);
  if (clock && (clock[2] !== undefined || clock[3] !== undefined)) {
    let hour = Number(clock[1]);
    const minute = Number(clock[2] ?? 0);
    const ampm = clock[3]?.toLowerCase();
    if (ampm === 'pm' && hour < 12) hour += 12;
    if (ampm === 'am' && hour === 12) hour = 0;
    if (hour < 24 && minute < 60) return nextClockTime(now, hour, minute, clock[4]);
  }
  return undefined;
}

/** The first line of `text` matching `re`, trimmed to 300 characters. */
export function matchingLine(text: string, re: RegExp): string | undefined {
  const line = text.split('\n').find((l) => re.test(l));
  return line?.trim().slice(0, 300);
}
