/**
 * The real coding-agent CLIs, installed from npm into test/agents/cli-real (install.sh; `.ci/run`
 * runs it). Each test skips, naming why, when its CLI is absent. They run with an empty HOME and no
 * API keys, so what they assert is the behaviour without credentials (and, on these machines,
 * without network) — the state `tutti run --agent-cli claude,codex,gemini` meets here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_ADAPTERS, runCli as runOneCli, type CliName } from '../../src/agents/drivers/cli/index.js';
import type { DoctorReport } from '../../src/cli/commands/doctor.js';
import { runCli } from '../helpers/cli.js';
import { gitRepo, sh, systemPath, tmp } from './helpers.js';

const DIR = resolve(import.meta.dirname, 'cli-real');
const BIN = join(DIR, 'node_modules/.bin');
const pinned = (JSON.parse(readFileSync(join(DIR, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies;
const installed = (cli: CliName) => existsSync(join(BIN, CLI_ADAPTERS[cli].program));
const skipNote = (cli: CliName) => (installed(cli) ? '' : ` [skipped: ${cli} is not installed in ${BIN}; run test/agents/cli-real/install.sh]`);
const all = (['claude', 'codex', 'gemini'] as const).every(installed);

/** No credentials: an empty HOME, no API-key variables, the real CLIs first on PATH. */
function bareEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: tmp('tutti-bare-home-'), PATH: systemPath(BIN) };
  for (const k of ['ANTHROPIC_API_KEY', 'CLAUDE_CODE_OAUTH_TOKEN', 'OPENAI_API_KEY', 'CODEX_API_KEY', 'GEMINI_API_KEY', 'GOOGLE_API_KEY', 'GOOGLE_GENAI_USE_VERTEXAI', 'GOOGLE_GENAI_USE_GCA', 'XDG_CONFIG_HOME', 'CODEX_HOME']) delete env[k];
  return env;
}

function once(cli: CliName, extra: Partial<Parameters<typeof runOneCli>[0]> = {}) {
  const cwd = tmp();
  return runOneCli({
    adapter: CLI_ADAPTERS[cli],
    invocation: { prompt: 'say hi', cwd, extraArgs: [], lastMessageFile: join(cwd, 'last.txt') },
    env: bareEnv(),
    logPath: join(tmp(), `${cli}.log`),
    maxLogBytes: 1 << 20,
    timeoutMs: 120_000,
    killGraceMs: 1000,
    signal: new AbortController().signal,
    ...extra,
  });
}

describe('real CLIs without credentials', () => {
  it.skipIf(!installed('claude'))(`claude -p --output-format stream-json: exit 1, "Not logged in", its session id${skipNote('claude')}`, async () => {
    const r = await once('claude');
    expect(r.kind).toBe('auth');
    expect(r.exitCode).toBe(1);
    expect(r.message).toContain('Not logged in');
    expect(r.sessionId).toMatch(/^[0-9a-f-]{36}$/);
  }, 60_000);

  it.skipIf(!installed('claude'))(`claude accepts --max-budget-usd (a budget's USD share): still just "Not logged in"${skipNote('claude')}`, async () => {
    const cwd = tmp();
    const r = await once('claude', { invocation: { prompt: 'say hi', cwd, extraArgs: [], lastMessageFile: join(cwd, 'last.txt'), maxBudgetUsd: 0.5 } });
    expect(r).toMatchObject({ kind: 'auth', exitCode: 1 });
    expect(r.message).toContain('Not logged in');
  }, 60_000);

  it.skipIf(!installed('codex'))(`codex: \`codex login status\` says "Not logged in" before exec would wait for the network${skipNote('codex')}`, async () => {
    const r = await once('codex');
    expect(r).toMatchObject({ kind: 'auth', exitCode: 1 });
    expect(r.message).toContain('Not logged in');
  }, 60_000);

  it.skipIf(!installed('codex'))(`codex exec without the preflight: stopped as unreachable (or refused), long before the hard timeout${skipNote('codex')}`, async () => {
    const adapter = { ...CLI_ADAPTERS.codex, preflight: undefined } as typeof CLI_ADAPTERS.codex;
    const r = await once('codex', { adapter, networkRetryLimit: 3 });
    // Here there is no network: "Reconnecting... waiting for network" (unavailable). With a network
    // but no key, the service refuses it (auth). Either way it ends, and not by the 120 s timeout.
    expect(['unavailable', 'auth']).toContain(r.kind);
  }, 120_000);

  it.skipIf(!installed('gemini'))(`gemini -p -o stream-json --skip-trust: exit 41 and its auth message${skipNote('gemini')}`, async () => {
    const r = await once('gemini');
    expect(r).toMatchObject({ kind: 'auth', exitCode: 41 });
    expect(r.message).toContain('Please set an Auth method');
  }, 60_000);

  it.skipIf(!all)(`tutti doctor: each installed at its pinned version, none authenticated${all ? '' : ' [skipped: the real CLIs are not all installed; run test/agents/cli-real/install.sh]'}`, async () => {
    const r = await runCli(['doctor', '--json'], { dataDir: tmp(), cwd: tmp(), env: bareEnv() as Record<string, string> });
    const d = JSON.parse(r.stdout) as DoctorReport;
    const by = Object.fromEntries(d.clis.map((c) => [c.name, c]));
    expect(by.claude!.version).toContain(pinned['@anthropic-ai/claude-code']);
    expect(by.codex!.version).toContain(pinned['@openai/codex']);
    expect(by.gemini!.version).toContain(pinned['@google/gemini-cli']);
    for (const c of ['claude', 'codex', 'gemini']) expect(by[c]).toMatchObject({ installed: true, auth: { authenticated: false } });
  }, 60_000);

  it.skipIf(!all)(`tutti run --agent-cli claude,codex,gemini --validate "npm test" "fix the failing test": each CLI's real state, then a clear failure${all ? '' : ' [skipped: the real CLIs are not all installed]'}`, async () => {
    const repo = gitRepo({ 'package.json': '{"name":"x","private":true,"scripts":{"test":"node test.js"}}\n', 'test.js': 'if (1 + 1 !== 3) { console.error("1+1 should be 3"); process.exit(1); }\n' });
    const r = await runCli(['run', '--agent-cli', 'claude,codex,gemini', '--validate', 'npm test', 'fix the failing test'], { dataDir: tmp(), cwd: repo, env: bareEnv() as Record<string, string> });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\[tutti\] claude: not authenticated: Not logged in.* → trying codex/);
    expect(r.stderr).toMatch(/\[tutti\] codex: not authenticated \(codex login status: Not logged in\) → trying gemini/);
    expect(r.stdout).toMatch(/no CLI of the chain can work: claude: not authenticated.*; codex: not authenticated.*; gemini: not authenticated: Please set an Auth method/);
    expect(r.stdout).toContain('Install or log in to one of them (tutti doctor shows what each needs), then run again.');
    expect(sh(repo, 'git', 'branch', '--list', 'tutti/*')).toBe('');
    expect(sh(repo, 'git', 'worktree', 'list').split('\n')).toHaveLength(1);
  }, 120_000);
});
