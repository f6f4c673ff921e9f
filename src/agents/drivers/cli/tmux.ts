/**
 * Interactive agent sessions in tmux (seed 004's `live`, `list`, `attach`, `kill`): every tutti
 * session is named `tutti-…`; a private server is used when a socket name is given (`tmux -L`).
 */
import { spawn } from 'node:child_process';
import { runBrief } from './probe.js';

export interface TmuxOptions {
  /** tmux socket name (`-L`); the default server when undefined. */
  socket?: string;
  env?: NodeJS.ProcessEnv;
}

/** Prefix of tutti's session names. */
export const SESSION_PREFIX = 'tutti-';

export interface TmuxSession {
  name: string;
  /** Epoch ms. */
  createdAt: number;
  attached: boolean;
  /** The command of its (first) pane. */
  command: string;
  /** The pane's program has exited (kept by remain-on-exit). */
  dead: boolean;
}

function base(o: TmuxOptions): string[] {
  return o.socket ? ['-L', o.socket] : [];
}

/** Runs tmux (its process group killed past 20 s); resolves with its exit code and output (ENOENT: code 127). */
export async function tmux(args: readonly string[], o: TmuxOptions = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await runBrief('tmux', [...base(o), ...args], o.env ?? process.env, 20_000);
  if (r.spawnError === 'ENOENT') return { code: 127, stdout: '', stderr: 'tmux is not installed' };
  return { code: r.code ?? 1, stdout: r.stdout, stderr: r.timedOut ? `tmux ${args[0] ?? ''} did not answer within 20 s` : r.stderr };
}

/** `tutti-<name>` unless it already has the prefix; only [A-Za-z0-9_.-] kept. */
export function sessionName(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 100);
  return clean.startsWith(SESSION_PREFIX) ? clean : `${SESSION_PREFIX}${clean}`;
}

/** tutti's sessions, oldest first; [] when no server runs. */
export async function listSessions(o: TmuxOptions = {}): Promise<TmuxSession[]> {
  const r = await tmux(['list-sessions', '-F', '#{session_name}\t#{session_created}\t#{session_attached}\t#{pane_current_command}\t#{pane_dead}'], o);
  if (r.code !== 0) return [];
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [name = '', created = '0', attached = '0', command = '', dead = '0'] = l.split('\t');
      return { name, createdAt: Number(created) * 1000, attached: attached !== '0', command, dead: dead === '1' };
    })
    .filter((s) => s.name.startsWith(SESSION_PREFIX))
    .sort((a, b) => a.createdAt - b.createdAt);
}

export async function hasSession(name: string, o: TmuxOptions = {}): Promise<boolean> {
  return (await tmux(['has-session', '-t', `=${name}`], o)).code === 0;
}

/**
 * The `-e NAME=VALUE` flags that give a new pane `env`: a running tmux server gives new panes its
 * own (global) environment, so every variable that differs from it is set explicitly. (The
 * values pass through tmux's argv for the moment the command runs.)
 */
async function envFlags(env: NodeJS.ProcessEnv | undefined, o: TmuxOptions): Promise<string[]> {
  if (!env) return [];
  const global = await tmux(['show-environment', '-g'], o);
  const server = new Map<string, string>();
  if (global.code === 0) {
    for (const line of global.stdout.split('\n')) {
      const i = line.indexOf('=');
      if (i > 0 && !line.startsWith('-')) server.set(line.slice(0, i), line.slice(i + 1));
    }
  }
  const flags: string[] = [];
  for (const [k, v] of Object.entries(env)) if (v !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) && server.get(k) !== v) flags.push('-e', `${k}=${v}`);
  return flags;
}

/**
 * Starts a detached session running argv (no shell) in `cwd`.
 * @param keep keep the pane after the program exits (its last screen stays readable).
 * @param sessionEnv the program's environment (variables differing from the tmux server's are set with `-e`). @default the server's
 * @throws Error with tmux's message when it cannot.
 */
export async function newSession(name: string, cwd: string, argv: readonly string[], o: TmuxOptions & { keep?: boolean; sessionEnv?: NodeJS.ProcessEnv } = {}): Promise<void> {
  const fail = (r: { code: number; stderr: string }) => new Error(`cannot start tmux session ${name}: ${r.stderr.trim() || `exit ${r.code}`}`);
  if (!o.keep) {
    const r = await tmux(['new-session', '-d', '-s', name, '-c', cwd, '-x', '200', '-y', '50', ...(await envFlags(o.sessionEnv, o)), '--', ...argv], o);
    if (r.code !== 0) throw fail(r);
    return;
  }
  // remain-on-exit must hold before the program can exit: start a placeholder, set it, then
  // replace the placeholder with the program.
  const r = await tmux(['new-session', '-d', '-s', name, '-c', cwd, '-x', '200', '-y', '50', '--', 'sleep', '86400'], o);
  if (r.code !== 0) throw fail(r);
  await tmux(['set-option', '-w', '-t', `=${name}:`, 'remain-on-exit', 'on'], o);
  const s = await tmux(['respawn-pane', '-k', '-t', `=${name}:`, '-c', cwd, ...(await envFlags(o.sessionEnv, o)), '--', ...argv], o);
  if (s.code !== 0) {
    await killSession(name, o);
    throw fail(s);
  }
}

/** Kills a session. @returns false when there was none. */
export async function killSession(name: string, o: TmuxOptions = {}): Promise<boolean> {
  return (await tmux(['kill-session', '-t', `=${name}`], o)).code === 0;
}

/** The visible text of a session's pane. */
export async function capturePane(name: string, o: TmuxOptions = {}): Promise<string> {
  const r = await tmux(['capture-pane', '-p', '-t', `=${name}:`], o);
  return r.code === 0 ? r.stdout : '';
}

/** Attaches the terminal to a session until the user detaches; resolves with tmux's exit code. */
export function attachSession(name: string, o: TmuxOptions = {}): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('tmux', [...base(o), 'attach-session', '-t', `=${name}`], { stdio: 'inherit', env: o.env ?? process.env });
    child.once('error', () => resolve(127));
    child.once('exit', (code) => resolve(code ?? 1));
  });
}
