/**
 * Interactive agent sessions in tmux (seed 004's `live`, `list`, `attach`, `kill`): every tutti
 * session is named `tutti-…`; a private server is used when a socket name is given (`tmux -L`).
 */
import { execFile, spawn } from 'node:child_process';

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

/** Runs tmux; resolves with its exit code and output (ENOENT: code 127). */
export function tmux(args: readonly string[], o: TmuxOptions = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('tmux', [...base(o), ...args], { env: o.env ?? process.env, encoding: 'utf8', timeout: 20_000 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
      const code = !e ? 0 : e.code === 'ENOENT' ? 127 : typeof e.code === 'number' ? e.code : 1;
      resolve({ code, stdout: String(stdout), stderr: e?.code === 'ENOENT' ? 'tmux is not installed' : String(stderr) });
    });
  });
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
 * Starts a detached session running argv (no shell) in `cwd`.
 * @param keep keep the pane after the program exits (its last screen stays readable).
 * @throws Error with tmux's message when it cannot.
 */
export async function newSession(name: string, cwd: string, argv: readonly string[], o: TmuxOptions & { keep?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<void> {
  const fail = (r: { code: number; stderr: string }) => new Error(`cannot start tmux session ${name}: ${r.stderr.trim() || `exit ${r.code}`}`);
  if (!o.keep) {
    const r = await tmux(['new-session', '-d', '-s', name, '-c', cwd, '-x', '200', '-y', '50', '--', ...argv], o);
    if (r.code !== 0) throw fail(r);
    return;
  }
  // remain-on-exit must hold before the program can exit: start a placeholder, set it, then
  // replace the placeholder with the program.
  const r = await tmux(['new-session', '-d', '-s', name, '-c', cwd, '-x', '200', '-y', '50', '--', 'sleep', '86400'], o);
  if (r.code !== 0) throw fail(r);
  await tmux(['set-option', '-w', '-t', `=${name}:`, 'remain-on-exit', 'on'], o);
  const s = await tmux(['respawn-pane', '-k', '-t', `=${name}:`, '-c', cwd, '--', ...argv], o);
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
