/**
 * The simulator's main: which CLI it is (argv[2], else the name it was called by), what argv asks
 * (version, auth probe, interactive, a usage error, or a headless run), which scenario entry the
 * run matches, and then the run itself: session (new or resumed), the entry's actions done for real
 * and printed in the CLI's format, and its outcome (see scenario.ts). A bad scenario is exit 2 with
 * one line on stderr.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { claudeProtocol } from './claude.js';
import { codexProtocol } from './codex.js';
import { cursorProtocol } from './cursor.js';
import { geminiProtocol } from './gemini.js';
import { DEFAULT_TOKENS, NO_TOKENS, flagValue, type SimContext, type SimProtocol, type SimTokens } from './protocol.js';
import { loadScenario, matchEntry, SimScenarioError, simScenarioSchema, type SimCli, type SimEntry, type SimOutcome, type SimScenarioResolved } from './scenario.js';
import { loadSession, peekCallNumber, recordCall, recordHang, saveSession, sessionsIn, stateDirFor, takeCallNumber, type SimCallRecord, type SimSession } from './state.js';
import { Work } from './work.js';

export const SIM_PROTOCOLS: Readonly<Record<SimCli, SimProtocol>> = { claude: claudeProtocol, codex: codexProtocol, gemini: geminiProtocol, cursor: cursorProtocol };

/** The CLI for a program name (`cursor-agent` is cursor), or null. */
export function simCliOf(name: string): SimCli | null {
  const n = name === 'cursor-agent' ? 'cursor' : name;
  return n in SIM_PROTOCOLS ? (n as SimCli) : null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const forever = () => new Promise<never>(() => setInterval(() => undefined, 1 << 30));

/**
 * Exits once what stdout and stderr still queue is written: on a pipe Node writes what fits and
 * queues the rest, which process.exit() would drop (a large event line, and every line after it).
 */
async function exit(code: number): Promise<never> {
  await Promise.all([process.stdout, process.stderr].map((s) => new Promise<void>((r) => s.write('', () => r()))));
  process.exit(code);
}

function die(message: string, code = 2): never {
  process.stderr.write(`tutti-sim: ${message}\n`);
  process.exit(code);
}

function tokensOf(outcome: SimOutcome, actions: number): SimTokens {
  const u = 'usage' in outcome ? outcome.usage : undefined;
  if (u) return { input: u.input ?? DEFAULT_TOKENS.input, cacheWrite: u.cacheWrite ?? DEFAULT_TOKENS.cacheWrite, cacheRead: u.cacheRead ?? DEFAULT_TOKENS.cacheRead, output: u.output ?? DEFAULT_TOKENS.output };
  // A refused request (limits, auth, capacity) costs nothing unless the agent worked before it.
  return outcome.kind === 'success' || outcome.kind === 'error' || outcome.kind === 'budget' || actions > 0 ? { ...DEFAULT_TOKENS } : { ...NO_TOKENS };
}

/**
 * Runs one invocation and exits the process (never returns).
 * @param argv process.argv: [node, script, cli?, ...args].
 */
export async function main(argv: readonly string[]): Promise<never> {
  const byArg = argv[2] !== undefined ? simCliOf(argv[2]) : null;
  const cli = byArg ?? simCliOf(basename(argv[1] ?? '').replace(/\.(c|m)?js$/, ''));
  if (!cli) die(`which CLI? call me as claude, codex, gemini or cursor-agent, or pass one as the first argument (got ${JSON.stringify(argv[2] ?? '')})`);
  const args = argv.slice(byArg ? 3 : 2);
  const protocol = SIM_PROTOCOLS[cli];
  const env = process.env;
  const file = env.TUTTI_SIM_SCENARIO || undefined;
  let scenario: SimScenarioResolved;
  try {
    scenario = file ? loadScenario(file) : simScenarioSchema.parse({});
  } catch (e) {
    die(e instanceof SimScenarioError ? e.message : String(e));
  }
  const state = stateDirFor(env, file);
  const settings = scenario.clis[cli] ?? {};
  let stdin: string | undefined;
  const readStdin = () => (stdin ??= (() => {
    try {
      return readFileSync(0, 'utf8');
    } catch {
      return '';
    }
  })());
  const task = env.TUTTI_TASK_ID || undefined;
  const attempt = env.TUTTI_ATTEMPT ? Number(env.TUTTI_ATTEMPT) : undefined;
  const base = { cli, argv: [...args], cwd: process.cwd(), pid: process.pid, task: task ?? null, attempt: attempt ?? null, at: Date.now() };
  const record = (r: Omit<SimCallRecord, keyof typeof base>) => {
    if (state) recordCall(state, { ...base, ...r });
  };
  const probe = { prompt: null, call: null, sessionId: null, resumed: false, entry: null, entryName: null };

  const parsed = protocol.parse(args, readStdin);
  switch (parsed.kind) {
    case 'version':
      record({ ...probe, kind: 'version', outcome: 'version' });
      process.stdout.write(`${settings.version ?? protocol.version}\n`);
      return exit(0);
    case 'auth': {
      const next = matchEntry(scenario, { cli, ...(task ? { task } : {}), ...(attempt ? { attempt } : {}), ...(state ? { call: peekCallNumber(state, cli) } : {}) });
      const loggedIn = settings.loggedIn ?? next?.entry.outcome.kind !== 'auth';
      const r = protocol.authProbe(loggedIn);
      record({ ...probe, kind: 'auth', outcome: loggedIn ? 'logged_in' : 'logged_out' });
      if (r.stdout) process.stdout.write(r.stdout);
      if (r.stderr) process.stderr.write(r.stderr);
      return exit(r.exitCode);
    }
    case 'usage':
      record({ ...probe, kind: 'usage', outcome: 'usage' });
      process.stderr.write(`${parsed.message}\n`);
      return exit(parsed.exitCode);
    case 'interactive':
      process.stdout.write(`${cli} (tutti simulator) interactive session\n`);
      return forever();
  }

  const cwd = parsed.cwd ?? process.cwd();
  const call = state ? takeCallNumber(state, cli) : 1;
  let session: SimSession | null = null;
  if (parsed.resume !== undefined) {
    const known = state ? (cli === 'gemini' ? geminiSession(state, cwd, parsed.resume) : loadSession(state, parsed.resume)) : null;
    if (!known || known.cli !== cli) {
      const r = protocol.unknownSession(parsed.resume, { cwd });
      record({ kind: 'run', prompt: parsed.prompt, call, sessionId: parsed.resume, resumed: true, entry: null, entryName: null, outcome: 'unknown_session' });
      if (r.stdout) process.stdout.write(r.stdout);
      if (r.stderr) process.stderr.write(r.stderr);
      return exit(r.exitCode);
    }
    session = known;
  }
  const resumed = session !== null;
  const sessionId = session?.id ?? (cli === 'claude' ? flagValue(args, '--session-id') : undefined) ?? protocol.newSessionId();
  const matched = matchEntry(scenario, { cli, ...(task ? { task } : {}), ...(attempt ? { attempt } : {}), call, prompt: parsed.prompt, resume: resumed });
  const entry: SimEntry = matched?.entry ?? { match: {}, actions: [{ say: 'Nothing to do.' }], outcome: { kind: 'success' } };
  const outcome = entry.outcome;
  if (outcome.kind === 'budget' && cli !== 'claude') die(`entry ${matched?.index}: outcome 'budget' is Claude Code's (result error_max_budget_usd); ${cli} has no such stop`);
  record({ kind: 'run', prompt: parsed.prompt, call, sessionId, resumed, entry: matched?.index ?? null, entryName: entry.name ?? null, outcome: outcome.kind });
  if (state) saveSession(state, { id: sessionId, cli, cwd, created: session?.created ?? Date.now(), turns: (session?.turns ?? 0) + 1 });
  if (parsed.notice) process.stderr.write(parsed.notice);

  if (outcome.kind === 'invalid_output') {
    process.stdout.write(`${outcome.text}\n`);
    return exit(0);
  }
  const tools = entry.actions.filter((a) => !('say' in a) && !('sleep' in a) && !('chatter' in a)).length;
  const ctx: SimContext = {
    cli,
    argv: args,
    cwd,
    env: { ...env },
    prompt: parsed.prompt,
    sessionId,
    resumed,
    model: parsed.model ?? settings.model ?? protocol.defaultModel,
    startedAt: Date.now(),
    ...(parsed.lastMessageFile ? { lastMessageFile: parsed.lastMessageFile } : {}),
    ...(parsed.maxBudgetUsd !== undefined ? { maxBudgetUsd: parsed.maxBudgetUsd } : {}),
    settings,
    total: tokensOf(outcome, entry.actions.length),
    plannedMessages: tools + 1,
    extra: { ...NO_TOKENS },
  };
  const emitter = protocol.emitter(ctx);
  // Without credentials Gemini and Cursor stop before their session starts.
  const early = outcome.kind === 'auth' && (cli === 'gemini' || cli === 'cursor');
  if (!early) emitter.start();
  const work = new Work({ ctx, emitter, protocol, ...(parsed.confine ? { confine: parsed.confine } : {}) });
  if (outcome.kind !== 'auth') await work.run(entry.actions);

  switch (outcome.kind) {
    case 'network':
      for (let i = 1; ; i++) {
        emitter.retry(i);
        await sleep(Math.min(50 * i, 500));
      }
     
    case 'hang': {
      const grandchild = outcome.grandchild ? spawn('sleep', ['100000'], { stdio: 'ignore' }).pid ?? null : null;
      let escaped: number | null = null;
      if (outcome.escape) {
        const child = spawn('sleep', ['100001'], { stdio: 'ignore', detached: true });
        child.unref();
        escaped = child.pid ?? null;
      }
      if (state) recordHang(state, { pid: process.pid, grandchild, escaped });
      return forever();
    }
    case 'crash':
      if (outcome.stderr) process.stderr.write(`${outcome.stderr}\n`);
      if (outcome.signal) {
        process.kill(process.pid, outcome.signal);
        return forever();
      }
      return exit(outcome.exitCode);
    default: {
      const end = emitter.finish(outcome, outcome.kind === 'success' ? (outcome.text ?? work.lastText ?? 'Done.') : (work.lastText ?? ''));
      if (end.stderr) process.stderr.write(end.stderr);
      return exit(end.exitCode);
    }
  }
}

/** Gemini resumes by UUID, 1-based index or "latest", among the sessions of the project (cwd). */
function geminiSession(state: string, cwd: string, arg: string): SimSession | null {
  const all = sessionsIn(state, 'gemini', cwd);
  if (arg === 'latest') return all[all.length - 1] ?? null;
  const byId = all.find((s) => s.id === arg);
  if (byId) return byId;
  const n = Number(arg);
  return Number.isInteger(n) && n >= 1 && n <= all.length ? all[n - 1]! : null;
}
