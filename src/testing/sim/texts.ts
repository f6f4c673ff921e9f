/**
 * Times and ids as the real CLIs print them: Claude Code's reset time ("4pm", "4:30pm", past 24 h
 * "Apr 23 at 4pm", with " (Zone)"), codex-rs `format_retry_timestamp` ("7:34 AM" the same local
 * day, else "Dec 3rd, 2026 7:34 AM") and `format_duration_short` ("2m", "1h"), and Google's
 * duration strings in quota messages ("1h5m3s"). Sources are cited in claude.ts, codex.ts, gemini.ts.
 */
import { randomBytes } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `n` random base-62 characters (Anthropic message and tool-use ids). */
export function randomId(n: number): string {
  const bytes = randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += BASE62[bytes[i]! % 62];
  return s;
}

interface WallParts {
  year: number;
  month: string;
  day: number;
  hour: number;
  minute: number;
}

/** The wall clock of `zone` (undefined: the process's zone, TZ) at `ms`. */
function wall(ms: number, zone: string | undefined): WallParts {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: 'numeric', hourCycle: 'h23' }).formatToParts(new Date(ms));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return { year: Number(get('year')), month: get('month'), day: Number(get('day')), hour: Number(get('hour')) % 24, minute: Number(get('minute')) };
}

const h12 = (h: number) => (h % 12 === 0 ? 12 : h % 12);

/** Claude Code's reset time: "4pm (UTC)", "4:30pm (Europe/Berlin)", "Apr 23 at 4pm (America/Recife)". */
export function claudeResetText(resetMs: number, nowMs: number, zone: string): string {
  const w = wall(resetMs, zone);
  const time = `${h12(w.hour)}${w.minute === 0 ? '' : `:${String(w.minute).padStart(2, '0')}`}${w.hour < 12 ? 'am' : 'pm'}`;
  if ((resetMs - nowMs) / 3_600_000 <= 24) return `${time} (${zone})`;
  const year = w.year !== wall(nowMs, zone).year ? `, ${w.year}` : '';
  return `${w.month} ${w.day}${year} at ${time} (${zone})`;
}

function daySuffix(day: number): string {
  if (day >= 11 && day <= 13) return 'th';
  return ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[day % 10] ?? 'th';
}

/** codex-rs `format_retry_timestamp`, in the local zone (TZ): "7:34 AM" or "Dec 3rd, 2026 7:34 AM". */
export function codexRetryTimestamp(resetMs: number, nowMs: number, form?: 'clock' | 'dated'): string {
  const w = wall(resetMs, undefined);
  const n = wall(nowMs, undefined);
  const time = `${h12(w.hour)}:${String(w.minute).padStart(2, '0')} ${w.hour < 12 ? 'AM' : 'PM'}`;
  const sameDay = w.year === n.year && w.month === n.month && w.day === n.day;
  if (form === 'clock' || (form === undefined && sameDay)) return time;
  return `${w.month} ${w.day}${daySuffix(w.day)}, ${w.year} ${time}`;
}

/** codex-rs `format_duration_short`: "less than a minute", "5m", "2h", "3d". */
export function codexDurationShort(seconds: number): string {
  if (seconds < 60) return 'less than a minute';
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** A Go-style duration as Google's quota messages print it: "1h5m3s", "5m0s", "42s". */
export function goDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (h > 0) return `${h}h${m}m${r}s`;
  if (m > 0) return `${m}m${r}s`;
  return `${r}s`;
}
