/**
 * A fallback chain inside one attempt (`--agent-cli claude,codex,gemini`): each CLI in order;
 * one that is not installed, not authenticated, rate-limited or cannot reach its service hands
 * over to the next. When none is left, the chain's end says what the engine should do: park the
 * task until the earliest reset (rate limits, no retry spent), retry later (unreachable), or fail
 * for good (no CLI installed or authenticated).
 *
 * Why inside one attempt rather than one engine agent per CLI: a missing or unauthenticated CLI
 * is not retryable for its agent, and the engine fails a task on a non-retryable error; in a chain
 * the next CLI is tried at once, in order, without a retry or a backoff per CLI, and a task whose
 * every CLI is rate-limited is parked once, until the first reset.
 */
import type { AttemptError } from '../../../core/model.js';
import type { Usage } from '../../../core/model.js';
import { describeQuota, QUOTA_OUTCOMES, type QuotaGate } from './quota.js';
import { addUsage, runCli, type RunCliOptions } from './run-cli.js';
import { FALLBACK_KINDS, type CliAdapter, type CliName, type CliOutcome } from './types.js';

export interface ChainOptions extends Omit<RunCliOptions, 'adapter' | 'program'> {
  chain: readonly CliName[];
  adapters: Readonly<Record<CliName, CliAdapter>>;
  /** Program per CLI (path or name on PATH). */
  programs?: Partial<Record<CliName, string>>;
  /** Per CLI: replacement of its default permission/sandbox flags. */
  flags?: Partial<Record<CliName, readonly string[]>>;
  /** Per CLI: extra argv appended. */
  args?: Partial<Record<CliName, readonly string[]>>;
  /** The quota ledger: a CLI it knows to be limited is skipped without being called; what CLIs say is recorded. */
  quota?: QuotaGate;
  /**
   * Continue a session of one CLI of the chain (after an interrupted attempt): that CLI is tried
   * first, with `--resume`-style arguments and `prompt`; the others get the normal prompt.
   */
  resume?: { cli: CliName; sessionId: string; prompt: string };
}

export interface ChainResult {
  /** The CLI that did the work, or the last one tried. */
  final: CliOutcome;
  /** Every CLI tried, in order. */
  tried: CliOutcome[];
  /** True when every CLI handed over (none could work). */
  exhausted: boolean;
}

/** Runs the chain until a CLI does the work (or fails at it), or none is left. */
export async function runChain(o: ChainOptions): Promise<ChainResult> {
  const tried: CliOutcome[] = [];
  // A budget sees what the CLIs tried before this one used too.
  let before: Usage = {};
  const resumable = o.resume && o.chain.includes(o.resume.cli) && o.adapters[o.resume.cli].supportsResume ? o.resume : undefined;
  const chain = resumable ? [resumable.cli, ...o.chain.filter((c) => c !== resumable.cli)] : o.chain;
  for (let i = 0; i < chain.length; i++) {
    const name = chain[i]!;
    const known = o.quota ? await o.quota.blocked(name) : null;
    if (known) {
      // Known to be limited until later: not called at all.
      const r: CliOutcome = { cli: name, kind: known.state, message: `${describeQuota(known, Date.now())}, known from an earlier call: ${known.message}`, resetAt: known.until, exitCode: null, usage: {}, filesChanged: [], counts: {}, logBytes: 0, ms: 0 };
      tried.push(r);
      o.emit?.({ stream: 'info', text: `[tutti] ${describeQuota(known, Date.now())}${chain[i + 1] ? ` → trying ${chain[i + 1]}` : ''}` });
      continue;
    }
    const program = o.programs?.[name];
    const flags = o.flags?.[name];
    const resuming = resumable?.cli === name;
    const invocation = {
      ...o.invocation,
      ...(flags ? { flags } : {}),
      ...(resuming ? { prompt: resumable.prompt, resumeSessionId: resumable.sessionId } : {}),
      extraArgs: [...o.invocation.extraArgs, ...(o.args?.[name] ?? [])],
    };
    const earlier = before;
    const budget = o.budget ? (u: Usage) => o.budget!(addUsage(earlier, u)) : undefined;
    if (resuming) o.emit?.({ stream: 'info', text: `[tutti] resuming ${name} session ${resumable.sessionId}` });
    const r = await runCli({ ...o, invocation, adapter: o.adapters[name], ...(program ? { program } : {}), ...(budget ? { budget } : {}) });
    before = addUsage(before, r.usage);
    tried.push(r);
    if (o.quota && r.kind !== 'cancelled') {
      const recorded = await o.quota.note(r);
      if (recorded) r.resetAt = recorded.until;
    }
    if (r.kind === 'cancelled' || !FALLBACK_KINDS.has(r.kind)) return { final: r, tried, exhausted: false };
    const next = chain[i + 1];
    o.emit?.({ stream: 'info', text: `[tutti] ${name}: ${r.message}${next ? ` → trying ${next}` : ''}` });
  }
  return { final: tried[tried.length - 1]!, tried, exhausted: true };
}

/** What every CLI tried used together. */
export function chainUsage(r: ChainResult): Usage {
  return r.tried.reduce<Usage>((acc, t) => addUsage(acc, t.usage), {});
}

/** One line per CLI tried: `claude: not authenticated (…)`. */
export function chainReport(tried: readonly CliOutcome[]): string {
  return tried.map((t) => `${t.cli}: ${t.kind === 'succeeded' ? 'did the work' : t.message}`).join('; ');
}

/** What to do when no CLI of a chain can work. */
export const CHAIN_HINT = 'Install or log in to one of them (tutti doctor shows what each needs), then run again.';

/** Shortest park after a rate limit whose reset is unknown or already past, ms. */
const MIN_PARK_MS = 1000;

/**
 * The attempt error for a chain that did not succeed; null when it did (or was cancelled).
 * Precedence when none is left: any rate limit parks (until the earliest known reset), then an
 * unreachable service retries, then missing credentials, then missing programs (both final).
 */
export function chainError(r: ChainResult, now: number): AttemptError | null {
  const { final, tried } = r;
  if (final.kind === 'succeeded' || final.kind === 'cancelled') return null;
  const report = chainReport(tried);
  if (!r.exhausted) {
    if (final.kind === 'budget') return { kind: 'budget_exhausted', message: `${final.cli} stopped: ${final.message}`, retryable: false };
    const kind = final.kind === 'timeout' ? 'timeout' : final.kind === 'invalid_output' ? 'invalid_output' : final.kind === 'failed' ? 'exit_code' : 'crashed';
    return { kind, message: tried.length > 1 ? `${final.cli} ${final.message} (${report})` : `${final.cli} ${final.message}` };
  }
  // Rate limits, capacity and credits park the task until the first CLI may be called again.
  const limited = tried.filter((t) => QUOTA_OUTCOMES[t.kind] !== undefined);
  if (limited.length) {
    const resets = limited.map((t) => t.resetAt).filter((x): x is number => x !== undefined);
    const until = resets.length ? Math.min(...resets) : undefined;
    const each = limited.map((t) => (t.resetAt !== undefined ? describeQuota({ cli: t.cli, state: QUOTA_OUTCOMES[t.kind]!, until: t.resetAt, known: true }, now) : `${t.cli} ${t.kind.replace(/_/g, ' ')}`));
    return {
      kind: 'rate_limited',
      message: `no CLI of the chain can be called now: ${each.join('; ')} (${report})`,
      retryable: true,
      ...(until !== undefined ? { retryAfterMs: Math.max(MIN_PARK_MS, until - now) } : {}),
    };
  }
  if (tried.some((t) => t.kind === 'unavailable')) return { kind: 'crashed', message: `no CLI could reach its service (${report})`, retryable: true };
  if (tried.some((t) => t.kind === 'auth')) return { kind: 'auth', message: `no CLI of the chain can work: ${report}. ${CHAIN_HINT}`, retryable: false };
  return { kind: 'not_installed', message: `no CLI of the chain is installed: ${report}. ${CHAIN_HINT}`, retryable: false };
}
