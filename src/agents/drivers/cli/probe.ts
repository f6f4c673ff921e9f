/**
 * What `tutti doctor` reports about the coding-agent CLIs and the tools around them: installed or
 * not (and where), version, and whether it is authenticated as far as can be told without calling
 * its service (each CLI's own status command, its API-key variable, its settings file).
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { killGroup, processGroupAlive } from '../../process.js';
import type { AuthState, CliAdapter } from './types.js';

export interface ProbeOptions {
  env: NodeJS.ProcessEnv;
  /** Home directory (where CLIs keep their settings). */
  home: string;
  /** Per command, ms. @default 20000 */
  timeoutMs?: number;
  /** Program to probe instead of the adapter's. */
  program?: string;
}

export interface CliProbe {
  name: string;
  title: string;
  program: string;
  installed: boolean;
  /** Absolute path of the program, when found. */
  path: string | null;
  version: string | null;
  auth: AuthState;
  npmPackage: string | null;
}

export interface ToolProbe {
  name: string;
  installed: boolean;
  path: string | null;
  version: string | null;
  /** Extra state (gh: authenticated or not). */
  detail?: string;
  ok?: boolean;
}

/** The absolute path of `program` on `PATH` (or itself when it is a path), or null. */
export function findProgram(program: string, env: NodeJS.ProcessEnv): string | null {
  const candidates = isAbsolute(program) || program.includes('/') ? [program] : (env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, program));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      if (statSync(c).isFile()) return c;
    } catch {
      // not here
    }
  }
  return null;
}

/** What {@link runBrief} answers. */
export interface BriefResult {
  /** Exit code; null when killed or not started. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** The program was not found or could not start (its errno code, e.g. `ENOENT`). */
  spawnError?: string;
  /** It outlived `timeoutMs` and its whole process group was killed. */
  timedOut: boolean;
}

const BRIEF_MAX_OUTPUT = 4 * 1024 * 1024;

/**
 * Runs a program briefly, in a process group of its own with stdin closed, capturing its output
 * (4 MiB each at most). Past `timeoutMs` the whole group is killed (SIGTERM, 500 ms, SIGKILL) —
 * a grandchild the program started dies with it — and the answer says `timedOut`. When the
 * program exits first, members of its group left behind are killed too. Never throws.
 * @param timeoutMs ms.
 */
export function runBrief(program: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number, options: { cwd?: string } = {}): Promise<BriefResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(program, [...args], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...(options.cwd ? { cwd: options.cwd } : {}) });
    } catch (e) {
      resolve({ code: null, stdout, stderr, spawnError: (e as NodeJS.ErrnoException).code ?? 'ESPAWN', timedOut });
      return;
    }
    const pid = child.pid;
    child.stdout!.on('data', (b: Buffer) => {
      if (stdout.length < BRIEF_MAX_OUTPUT) stdout += b.toString('utf8');
    });
    child.stderr!.on('data', (b: Buffer) => {
      if (stderr.length < BRIEF_MAX_OUTPUT) stderr += b.toString('utf8');
    });
    let killing: Promise<void> | null = null;
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid !== undefined) killing = killGroup(pid, 500);
    }, timeoutMs);
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (pid !== undefined) return;
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr, spawnError: err.code ?? 'ESPAWN', timedOut });
    });
    const closed = new Promise<void>((r) => child.once('close', () => r()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      void (async () => {
        if (killing) await killing;
        else if (pid !== undefined && processGroupAlive(pid)) await killGroup(pid, 0);
        // A process that left the group may still hold the pipes: read what is there, briefly.
        await Promise.race([closed, new Promise((r) => setTimeout(r, 1000))]);
        child.stdout?.destroy();
        child.stderr?.destroy();
        resolve({ code: timedOut ? null : code, stdout, stderr, timedOut });
      })();
    });
  });
}

function firstLine(s: string): string | null {
  const l = s
    .split('\n')
    .map((x) => x.trim())
    .find((x) => x && !/^WARNING:/.test(x));
  return l ? l.slice(0, 200) : null;
}

/** Probes one CLI. */
export async function probeCli(adapter: CliAdapter, o: ProbeOptions): Promise<CliProbe> {
  const program = o.program ?? adapter.program;
  const path = findProgram(program, o.env);
  const base = { name: adapter.name, title: adapter.title, program, path, npmPackage: adapter.npmPackage };
  if (!path) {
    const how = adapter.npmPackage ? `npm install -g ${adapter.npmPackage}` : 'not published on npm; install it from its vendor';
    return { ...base, installed: false, version: null, auth: { authenticated: null, detail: `not installed (${how})` } };
  }
  const t = o.timeoutMs ?? 20_000;
  const v = await runBrief(path, ['--version'], o.env, t);
  const version = firstLine(v.stdout) ?? firstLine(v.stderr);
  let auth: AuthState;
  if (adapter.authProbe.args) {
    const a = await runBrief(path, adapter.authProbe.args, o.env, t);
    auth = a.timedOut
      ? { authenticated: null, detail: `\`${program} ${adapter.authProbe.args.join(' ')}\` did not answer within ${t} ms (stopped, with what it started)` }
      : adapter.authProbe.interpret(a.code, a.stdout, a.stderr, o.env, o.home);
  } else auth = adapter.authProbe.interpret(null, '', '', o.env, o.home);
  return { ...base, installed: true, version, auth };
}

/** Probes git, gh (and whether it is authenticated) and tmux. */
export async function probeTools(env: NodeJS.ProcessEnv, timeoutMs = 20_000): Promise<ToolProbe[]> {
  const tools: Array<{ name: string; args: string[] }> = [
    { name: 'git', args: ['--version'] },
    { name: 'gh', args: ['--version'] },
    { name: 'tmux', args: ['-V'] },
  ];
  const out: ToolProbe[] = [];
  for (const tool of tools) {
    const path = findProgram(tool.name, env);
    if (!path) {
      out.push({ name: tool.name, installed: false, path: null, version: null, ok: false });
      continue;
    }
    const v = await runBrief(path, tool.args, env, timeoutMs);
    const probe: ToolProbe = { name: tool.name, installed: true, path, version: firstLine(v.stdout) ?? firstLine(v.stderr), ok: true };
    if (tool.name === 'gh') {
      const a = await runBrief(path, ['auth', 'status'], { ...env, GH_PROMPT_DISABLED: '1' }, timeoutMs);
      probe.ok = a.code === 0;
      probe.detail = a.code === 0 ? 'authenticated' : `not authenticated (gh auth login): ${firstLine(a.stderr) ?? firstLine(a.stdout) ?? `exit ${a.code}`}`;
    }
    out.push(probe);
  }
  return out;
}
