/**
 * What `tutti doctor` reports about the coding-agent CLIs and the tools around them: installed or
 * not (and where), version, and whether it is authenticated as far as can be told without calling
 * its service (each CLI's own status command, its API-key variable, its settings file).
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
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

/** Runs a program briefly (stdin closed); never throws. */
export function runBrief(program: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(program, args, { env, timeout: timeoutMs, encoding: 'utf8', maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? ((err as NodeJS.ErrnoException).code as unknown as number) : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    child.stdin?.end();
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
    auth = adapter.authProbe.interpret(a.code, a.stdout, a.stderr, o.env, o.home);
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
