/**
 * When a usage limit (or a capacity stop) ends, read from the words a CLI prints. Every form the
 * CLIs print today:
 * - relative: "try again in 2 hours 5 minutes", "Try again in 5m." (Codex ModelCapError), "Please
 *   retry in 12.5s", "Your quota will reset after 1h5m3s." (Gemini), "Suggested retry after 60s.",
 *   "Retry-After: 30", "Try again in less than a minute.";
 * - clock: "try again at 7:34 AM." (Codex, local time), "resets 4pm (America/Recife)", "resets
 *   6:20pm (Europe/Berlin)" (Claude Code), "resets at 15:30 UTC";
 * - dated: "try again at Dec 3rd, 2026 7:34 AM." (Codex, local time), "resets Apr 23 at 4pm
 *   (America/Recife)" and "resets Feb 16, 11am (Europe/Berlin)" (Claude Code);
 * - epoch seconds: "Claude AI usage limit reached|1712345678" (old Claude Code), "resetsAt": 1712345678;
 * - ISO: "resets at 2025-01-02T03:04:05Z".
 * A time without a zone is in this process's local zone (the CLI runs on the same machine).
 */

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
    if (lastEnd < 0 && m.index > 0 && !/^\s*$/.test(text.slice(0, m.index))) break;
    const unit = unitOf(m[2]!);
    if (unit === undefined) break;
    total += Number(m[1]) * unit;
    found = true;
    lastEnd = m.index + m[0].length;
  }
  return found ? Math.round(total) : undefined;
}

const ZONE_ABBREVIATIONS: Record<string, string> = { UTC: 'UTC', GMT: 'UTC', Z: 'UTC', PST: 'America/Los_Angeles', PDT: 'America/Los_Angeles', EST: 'America/New_York', EDT: 'America/New_York', CET: 'Europe/Paris', CEST: 'Europe/Paris' };
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** Minutes east of UTC of `zone` (undefined: local) at `at`; undefined for an unknown zone. */
function zoneOffsetMinutes(zone: string | undefined, at: number): number | undefined {
  if (zone === undefined) return -new Date(at).getTimezoneOffset();
  try {
    const parts = new Intl.DateTimeFormat('en-US', { timeZone: ZONE_ABBREVIATIONS[zone.toUpperCase()] ?? zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' }).formatToParts(new Date(at));
    const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
    const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour') % 24, get('minute'));
    return Math.round((asUtc - Math.floor(at / 60_000) * 60_000) / 60_000);
  } catch {
    return undefined;
  }
}

/** Epoch ms of a wall-clock time in `zone` (undefined: local). */
function fromWall(zone: string | undefined, y: number, mo: number, d: number, h: number, mi: number): number {
  const guess = Date.UTC(y, mo, d, h, mi);
  const off1 = zoneOffsetMinutes(zone, guess) ?? 0;
  const first = guess - off1 * 60_000;
  const off2 = zoneOffsetMinutes(zone, first) ?? off1;
  return guess - off2 * 60_000;
}

/** The wall date (y, m, d) in `zone` at `at`. */
function wallDate(zone: string | undefined, at: number): { y: number; mo: number; d: number } {
  const t = new Date(at + (zoneOffsetMinutes(zone, at) ?? 0) * 60_000);
  return { y: t.getUTCFullYear(), mo: t.getUTCMonth(), d: t.getUTCDate() };
}

function hour24(h: string, ampm: string | undefined): number | undefined {
  let hour = Number(h);
  const a = ampm?.toLowerCase();
  if (a === 'pm' && hour < 12) hour += 12;
  if (a === 'am' && hour === 12) hour = 0;
  return hour < 24 ? hour : undefined;
}

function zoneOf(z: string | undefined): string | undefined {
  if (!z) return undefined;
  return zoneOffsetMinutes(z, Date.now()) === undefined ? undefined : z;
}

const ZONE = String.raw`(?:\s*\(?\s*([A-Za-z_]+(?:\/[A-Za-z_+-]+)*)\s*\)?)?`;
const TIME = String.raw`(\d{1,2})(?::(\d{2}))?\s*(am|pm)?`;
const LEAD = String.raw`\b(?:resets?|reset at|try again|retry|available again|until)\s+(?:at\s+|on\s+)?`;

/**
 * When a usage limit resets, from a CLI's message; undefined when the text does not say.
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
  const dated = new RegExp(`${LEAD}(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?(?:,\\s*(\\d{4}))?,?\\s*(?:at\\s+)?${TIME}(?![\\d:])${ZONE}`, 'i').exec(text);
  if (dated && (dated[5] !== undefined || dated[6] !== undefined)) {
    const hour = hour24(dated[4]!, dated[6]);
    const minute = Number(dated[5] ?? 0);
    if (hour !== undefined && minute < 60) {
      const zone = zoneOf(dated[7]);
      const mo = MONTHS.indexOf(dated[1]!.toLowerCase());
      const day = Number(dated[2]);
      if (dated[3]) return Math.max(now, fromWall(zone, Number(dated[3]), mo, day, hour, minute));
      // No year: the next such date (a reset is never far in the past).
      const y = wallDate(zone, now).y;
      const t = fromWall(zone, y, mo, day, hour, minute);
      return t >= now - 86_400_000 ? Math.max(now, t) : fromWall(zone, y + 1, mo, day, hour, minute);
    }
  }
  const rel = /\b(?:try again|retry|resets?|reset|available again|wait)\s+(?:in|after)\s+(.{1,80})/i.exec(text);
  if (rel) {
    const ms = parseDuration(rel[1]!);
    if (ms !== undefined) return now + ms;
    if (/^less than a minute/i.test(rel[1]!)) return now + 60_000;
  }
  const after = /\bretry[- ]after:?\s*(\d+(?:\.\d+)?)\b/i.exec(text);
  if (after) return now + Math.round(Number(after[1]) * 1000);
  const clock = new RegExp(`${LEAD}${TIME}(?![\\d:])${ZONE}`, 'i').exec(text);
  if (clock && (clock[2] !== undefined || clock[3] !== undefined)) {
    const hour = hour24(clock[1]!, clock[3]);
    const minute = Number(clock[2] ?? 0);
    if (hour !== undefined && minute < 60) {
      const zone = zoneOf(clock[4]);
      const today = wallDate(zone, now);
      let t = fromWall(zone, today.y, today.mo, today.d, hour, minute);
      if (t <= now) t = fromWall(zone, today.y, today.mo, today.d + 1, hour, minute);
      return t;
    }
  }
  return undefined;
}
