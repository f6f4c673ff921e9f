/**
 * One run of one coding-agent CLI: the headless argv (never a shell), stdin closed after the
 * prompt (or /dev/null), its own process group, a hard timeout, the event stream parsed while it
 * goes (progress lines, usage, session id), and the end classified (see {@link CliOutcomeKind}).
 * A CLI that keeps retrying an unreachable service, or its usage limit, is stopped early.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Usage } from '../../../core/model.js';
import { runProcessGroup, type ProcessOutcome } from '../../process.js';
import type { AttemptOutputLine } from '../../types.js';
import { AUTH_RE, CAPACITY_RE, CREDITS_RE, matchingLine, NETWORK_RE, parseResetTime, RATE_LIMIT_RE } from './classify.js';
import { LineSplitter } from './json-lines.js';
import type { CliAdapter, CliEvent, CliInvocation, CliOutcome, CliOutcomeKind } from './types.js';

export interface RunCliOptions {
  adapter: CliAdapter;
  invocation: CliInvocation;
  /** Program to run instead of the adapter's (a path, or a name on PATH). */
  program?: string;
  env: NodeJS.ProcessEnv;
  /** Log file (appended to; a header line precedes each run). */
  logPath: string;
  maxLogBytes: number;
  /** Kill the CLI after this long, ms. */
  timeoutMs: number;
  /** SIGTERM → SIGKILL grace, ms. */
  killGraceMs: number;
  /** Stop after this many consecutive retries of an unreachable service. @default 5 */
  networkRetryLimit?: number;
  /** Stop after this many retries on HTTP 429 (rate limited). @default 3 */
  rateLimitRetryLimit?: number;
  /** Stop after this many retries on HTTP 529/503 (overloaded, at capacity). @default 3 */
  capacityRetryLimit?: number;
  signal: AbortSignal;
  /** Progress lines (tool uses, messages, errors). */
  emit?: (line: AttemptOutputLine) => void;
  onSpawn?: (pid: number) => void;
  /** The CLI named its session (as soon as it does: a resume after a crash needs it). */
  onSession?: (cli: CliAdapter['name'], sessionId: string) => void;
  /** Epoch ms. @default Date.now */
  now?: () => number;
  /**
   * Budget check after each usage report, with the run's usage so far: a message stops the CLI
   * (outcome `budget`). See budget.ts.
   */
  budget?: (used: Usage) => string | null;
  /** Ms left of the attempt's wall-time budget share: when shorter than `timeoutMs` it ends the run as `budget`. */
  wallLeftMs?: () => number;
}

/** Time given to a preflight check, ms. */
const PREFLIGHT_TIMEOUT_MS = 30_000;

function header(o: RunCliOptions, text: string): void {
  try {
    mkdirSync(dirname(o.logPath), { recursive: true });
    appendFileSync(o.logPath, `\n=== tutti: ${text} ===\n`);
  } catch {
    // the log is best effort
  }
}

function outcome(o: RunCliOptions, kind: CliOutcomeKind, message: string, rest: Partial<CliOutcome> = {}): CliOutcome {
  return { cli: o.adapter.name, kind, message, exitCode: null, usage: {}, filesChanged: [], counts: {}, logBytes: 0, ms: 0, ...rest };
}

/** Runs the adapter's preflight; an outcome when the CLI cannot run, else null. */
async function preflight(o: RunCliOptions, program: string): Promise<CliOutcome | null> {
  const pf = o.adapter.preflight;
  if (!pf) return null;
  const timer = new AbortController();
  const t = setTimeout(() => timer.abort(), PREFLIGHT_TIMEOUT_MS);
  header(o, `${program} ${pf.args.join(' ')} (preflight)`);
  const r = await runProcessGroup({
    argv: [program, ...pf.args],
    cwd: o.invocation.cwd,
    env: o.env,
    logPath: o.logPath,
    maxLogBytes: 64 * 1024,
    killGraceMs: 1000,
    signal: AbortSignal.any([o.signal, timer.signal]),
  }).finally(() => clearTimeout(t));
  if (r.spawnError) return notInstalled(o, program, r);
  if (o.signal.aborted) return outcome(o, 'cancelled', 'cancelled');
  if (!pf.authenticated(r.exitCode, r.stdoutTail, o.env)) {
    const said = `${r.stdoutTail}\n${r.stderrTail}`.split('\n').map((l) => l.trim()).filter((l) => l && !/^WARNING:/.test(l)).pop();
    return outcome(o, 'auth', `not authenticated (${program} ${pf.args.join(' ')}: ${said ?? `exit ${r.exitCode}`})`, { exitCode: r.exitCode, logBytes: r.logBytes });
  }
  return null;
}

function notInstalled(o: RunCliOptions, program: string, r: ProcessOutcome): CliOutcome {
  const why = r.spawnError!.code === 'ENOENT' ? 'not installed (not found on PATH)' : `cannot be started (${r.spawnError!.code ?? r.spawnError!.message})`;
  const pkg = o.adapter.npmPackage ? `; npm install -g ${o.adapter.npmPackage}` : '';
  return outcome(o, 'not_installed', `${program} is ${why}${pkg}`, { logBytes: r.logBytes });
}

function short(s: string, n = 200): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}

/** A progress line for an event; null when not worth showing. */
function describe(cli: string, e: CliEvent): string | null {
  switch (e.kind) {
    case 'session':
      return `[${cli}] session ${e.sessionId}${e.model ? ` (${e.model})` : ''}`;
    case 'message':
      return e.role === 'assistant' && e.text.trim() ? `[${cli}] ${short(e.text)}` : null;
    case 'tool_use':
      return `[${cli}] tool ${e.tool}${e.detail ? ` ${short(e.detail, 120)}` : ''}`;
    case 'file_change':
      return `[${cli}] ${e.change} ${e.path}`;
    case 'retry':
      return `[${cli}] retrying its service${e.status ? ` (HTTP ${e.status})` : ' (no answer)'}`;
    case 'error':
      return `[${cli}] error: ${short(e.message, 300)}`;
    default:
      return null;
  }
}

/**
 * Runs one CLI to its end and classifies the end. Never throws for the CLI's failures.
 * @returns the outcome; `cancelled` when `signal` aborted it.
 */
export async function runCli(o: RunCliOptions): Promise<CliOutcome> {
  const now = o.now ?? Date.now;
  const started = now();
  const program = o.program ?? o.adapter.program;
  const pre = await preflight(o, program);
  if (pre) return { ...pre, ms: now() - started };

  const { args, stdin } = o.adapter.command(o.invocation);
  header(o, `${program} ${o.adapter.name === 'codex' ? args.join(' ') : args.map((a) => (a === o.invocation.prompt ? '<prompt>' : a)).join(' ')}`);
  const parser = o.adapter.newParser();
  const lines = new LineSplitter();
  const events: CliEvent[] = [];
  const counts: Record<string, number> = {};
  let usage: Usage = {};
  let sessionId: string | undefined;
  let finalText: string | undefined;
  let assistantTurn = '';
  const files = new Set<string>();
  const shown = new Set<string>();
  let networkRetries = 0;
  let rateRetries = 0;
  let capacityRetries = 0;
  const stop = new AbortController();
  let stopReason: { kind: CliOutcomeKind; message: string } | null = null;
  const wallLeft = o.wallLeftMs?.() ?? Infinity;
  const timer = setTimeout(
    () => {
      stopReason = wallLeft < o.timeoutMs ? { kind: 'budget', message: 'budget exhausted: the wall-time share of this attempt is used up' } : { kind: 'timeout', message: `killed after the hard timeout of ${o.timeoutMs} ms` };
      stop.abort();
    },
    Math.min(o.timeoutMs, wallLeft),
  );

  const onEvent = (e: CliEvent) => {
    events.push(e);
    counts[e.kind] = (counts[e.kind] ?? 0) + 1;
    if (e.kind === 'session') {
      if (e.sessionId !== sessionId) o.onSession?.(o.adapter.name, e.sessionId);
      sessionId = e.sessionId;
    }
    else if (e.kind === 'usage') usage = e.cumulative ? { ...e.usage } : addUsage(usage, e.usage);
    else if (e.kind === 'file_change') files.add(e.path);
    else if (e.kind === 'message' && e.role === 'assistant') {
      assistantTurn += e.text;
      finalText = assistantTurn;
    } else if (e.kind === 'tool_use') assistantTurn = '';
    if (e.kind === 'retry') {
      if (e.status === 429) rateRetries++;
      else if (e.status === 529 || e.status === 503) capacityRetries++;
      else if (e.network) networkRetries++;
    } else if (e.kind === 'error' && NETWORK_RE.test(e.message)) networkRetries++;
    else if (e.kind === 'message' || e.kind === 'tool_use' || e.kind === 'result') networkRetries = 0;
    if (!stopReason && networkRetries >= (o.networkRetryLimit ?? 5)) {
      stopReason = { kind: 'unavailable', message: `cannot reach its service (${networkRetries} retries without an answer: ${short(lastRetryText(events) ?? 'no network')})` };
      stop.abort();
    }
    if (!stopReason && e.kind === 'usage' && o.budget) {
      const why = o.budget(usage);
      if (why) {
        stopReason = { kind: 'budget', message: why };
        stop.abort();
      }
    }
    if (!stopReason && rateRetries >= (o.rateLimitRetryLimit ?? 3)) {
      stopReason = { kind: 'rate_limited', message: `rate limited (HTTP 429, ${rateRetries} retries)` };
      stop.abort();
    }
    if (!stopReason && capacityRetries >= (o.capacityRetryLimit ?? 3)) {
      stopReason = { kind: 'capacity', message: `the model is at capacity (HTTP ${e.kind === 'retry' ? e.status : 529}, ${capacityRetries} retries)` };
      stop.abort();
    }
    if (o.emit) {
      // The same session or error is often reported twice (an event, then the result): shown once.
      const key = e.kind === 'session' ? `s:${e.sessionId}` : e.kind === 'error' ? `e:${e.message.replace(/\s*\([a-z_]+\)$/, '')}` : null;
      const seen = key !== null && (shown.has(key) || [...shown].some((k) => k.startsWith('e:') && key.startsWith('e:') && k.includes(key.slice(2))));
      if (key) shown.add(key);
      const text = seen ? null : describe(o.adapter.name, e);
      if (text) o.emit({ stream: 'info', text });
    }
  };

  const r = await runProcessGroup({
    argv: [program, ...args],
    cwd: o.invocation.cwd,
    env: o.env,
    ...(stdin !== undefined ? { stdin } : {}),
    logPath: o.logPath,
    maxLogBytes: o.maxLogBytes,
    killGraceMs: o.killGraceMs,
    signal: AbortSignal.any([o.signal, stop.signal]),
    ...(o.onSpawn ? { onSpawn: o.onSpawn } : {}),
    onOutput: (stream, text) => {
      if (stream !== 'stdout') return;
      const dropped = lines.dropped;
      for (const line of lines.push(text)) for (const e of parser.line(line)) onEvent(e);
      if (lines.dropped > dropped) o.emit?.({ stream: 'info', text: `[${o.adapter.name}] skipped an output line larger than ${lines.maxLineBytes} bytes (not read as an event)` });
    },
  }).finally(() => clearTimeout(timer));
  for (const line of lines.end()) for (const e of parser.line(line)) onEvent(e);

  const base: Partial<CliOutcome> = {
    exitCode: r.exitCode,
    usage,
    filesChanged: [...files],
    counts,
    logBytes: r.logBytes,
    ms: now() - started,
    ...(sessionId ? { sessionId } : {}),
    ...(finalText ? { finalText: finalText.slice(-4000) } : {}),
  };
  if (r.spawnError) return { ...notInstalled(o, program, r), ms: now() - started };
  if (o.signal.aborted) return outcome(o, 'cancelled', 'cancelled', base);
  const reason = stopReason as { kind: CliOutcomeKind; message: string } | null;
  if (reason) {
    const errText = errorText(events, r.stderrTail);
    const resetAt = reason.kind === 'rate_limited' || reason.kind === 'capacity' ? (rejectedQuota(events)?.resetAt ?? parseResetTime(errText, now())) : undefined;
    return outcome(o, reason.kind, reason.message, { ...base, ...(resetAt !== undefined ? { resetAt } : {}) });
  }
  const c = classifyEnd(o.adapter, r, events, now());
  return outcome(o, c.kind, c.message, { ...base, ...(c.resetAt !== undefined ? { resetAt: c.resetAt } : {}) });
}

function lastRetryText(events: readonly CliEvent[]): string | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.kind === 'retry' && e.message) return e.message;
    if (e.kind === 'error') return e.message;
  }
  return undefined;
}

/** The sum of two usage records (fields present in either): tokens of each kind and USD. */
export function addUsage(a: Usage, b: Usage): Usage {
  const out: Usage = { ...a };
  for (const k of ['inputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'outputTokens', 'costUsd'] as const) if (b[k] !== undefined) out[k] = (a[k] ?? 0) + b[k];
  return out;
}

/** The error channels: error events and stderr (never the agent's own messages). */
function errorText(events: readonly CliEvent[], stderrTail: string): string {
  const errs = events.filter((e): e is Extract<CliEvent, { kind: 'error' }> => e.kind === 'error').map((e) => e.message);
  return [...errs, stderrTail].join('\n');
}

/** The last quota event saying the CLI's requests are refused (Claude rate_limit_event), if any. */
function rejectedQuota(events: readonly CliEvent[]): Extract<CliEvent, { kind: 'quota' }> | undefined {
  const last = [...events].reverse().find((e): e is Extract<CliEvent, { kind: 'quota' }> => e.kind === 'quota');
  return last?.status === 'rejected' ? last : undefined;
}

/**
 * Classifies a CLI that exited on its own. Order: the adapter's own success or budget stop; a
 * rejected quota event (rate-limited until its reset even when the text says nothing); then the
 * error channels' words: out of credits, at capacity, rate-limited (each with the reset time the
 * text gives); the adapter's other verdicts; missing credentials; a signal; a failure the agent
 * reported; a crash.
 */
export function classifyEnd(adapter: CliAdapter, r: Pick<ProcessOutcome, 'exitCode' | 'exitSignal' | 'stdoutTail' | 'stderrTail'>, events: readonly CliEvent[], now: number): Pick<CliOutcome, 'kind' | 'message' | 'resetAt'> {
  const specific = adapter.classify({ exitCode: r.exitCode, events, stdoutTail: r.stdoutTail, stderrTail: r.stderrTail, now });
  if (specific?.kind === 'succeeded' || specific?.kind === 'budget') return specific;
  const text = errorText(events, r.stderrTail) + (adapter.structured ? '' : `\n${r.stdoutTail}`);
  const reset = () => parseResetTime(text, now);
  const withReset = (kind: CliOutcomeKind, message: string, at: number | undefined) => ({ kind, message, ...(at !== undefined ? { resetAt: at } : {}) });
  const quota = rejectedQuota(events);
  if (quota) return withReset('rate_limited', `rate limited: ${matchingLine(text, RATE_LIMIT_RE) ?? `${quota.window ?? 'usage'} limit reached`}`, quota.resetAt ?? reset());
  const credits = matchingLine(text, CREDITS_RE);
  if (credits) return withReset('out_of_credits', `out of credits: ${credits}`, reset());
  const capacity = matchingLine(text, CAPACITY_RE);
  if (capacity) return withReset('capacity', `at capacity: ${short(capacity, 300)}`, reset());
  const rate = matchingLine(text, RATE_LIMIT_RE);
  if (rate) return withReset('rate_limited', `rate limited: ${rate}`, reset());
  if (specific) return specific;
  const auth = matchingLine(text, AUTH_RE);
  if (auth) return { kind: 'auth', message: `not authenticated: ${auth}` };
  const lastError = [...events].reverse().find((e): e is Extract<CliEvent, { kind: 'error' }> => e.kind === 'error');
  if (r.exitSignal) return { kind: 'crashed', message: `killed by ${r.exitSignal}${lastError ? `: ${short(lastError.message, 300)}` : ''}` };
  const result = [...events].reverse().find((e) => e.kind === 'result');
  const detail = lastError?.message ?? r.stderrTail.trim().split('\n').pop() ?? '';
  if (result && !result.ok) return { kind: 'failed', message: `the agent reported failure${detail ? `: ${short(detail, 300)}` : ''}` };
  if (r.exitCode === 0) return { kind: 'succeeded', message: 'done' };
  return { kind: 'crashed', message: `exited with code ${r.exitCode}${detail ? `: ${short(detail, 300)}` : ''}` };
}
