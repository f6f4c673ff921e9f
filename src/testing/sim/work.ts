/**
 * The simulated agent's actions, done for real: files written, edited, deleted and read relative
 * to the cwd (or absolute, with `{cwd}`, `{repo}` = the main checkout, `{home}`), shell commands run
 * with `sh -c`, sleeps, and chatter (events at a rate, for load tests). Each is reported through
 * the CLI's emitter as the tool call the real CLI would show. The CLI's own confinement of its file
 * tools is applied (a refused write is a failed tool call); shell commands are never confined here.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { SimAction } from './scenario.js';
import { addTokens, type SimContext, type SimEmitter, type SimProtocol, type SimTokens, type SimTool, type SimToolResult } from './protocol.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The main checkout of the repository around `cwd` (first entry of `git worktree list`), or cwd. */
function mainCheckout(cwd: string): string {
  try {
    const out = execFileSync('git', ['worktree', 'list', '--porcelain'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const first = /^worktree (.+)$/m.exec(out);
    return first ? first[1]! : cwd;
  } catch {
    return cwd;
  }
}

export interface WorkOptions {
  ctx: SimContext;
  emitter: SimEmitter;
  protocol: SimProtocol;
  /** The CLI's file-tool confinement (from its argv). */
  confine?: { extraRoots: string[]; readOnly: boolean };
}

export class Work {
  #repo: string | undefined;
  /** The last thing the agent said. */
  lastText: string | undefined;

  constructor(private readonly o: WorkOptions) {}

  /** A scenario path made absolute. */
  path(p: string): string {
    const { ctx } = this.o;
    const filled = p.replace(/\{cwd\}/g, ctx.cwd).replace(/\{home\}/g, ctx.env.HOME ?? '/').replace(/\{repo\}/g, () => (this.#repo ??= mainCheckout(ctx.cwd)));
    return isAbsolute(filled) ? filled : resolve(ctx.cwd, filled);
  }

  #refused(path: string): boolean {
    const c = this.o.confine;
    if (!c) return false;
    if (c.readOnly) return true;
    return ![this.o.ctx.cwd, ...c.extraRoots].some((root) => {
      const r = relative(root, path);
      return r === '' || (!r.startsWith('..') && !isAbsolute(r));
    });
  }

  #tool(tool: SimTool, act: () => SimToolResult): void {
    const id = this.o.emitter.toolStart(tool);
    let r: SimToolResult;
    if (tool.kind !== 'read' && tool.kind !== 'shell' && tool.kind !== 'delete' && this.#refused(tool.path)) r = { ok: false, output: this.o.protocol.denial(tool, this.o.confine?.readOnly ? [] : [this.o.ctx.cwd, ...(this.o.confine?.extraRoots ?? [])]) };
    else {
      try {
        r = act();
      } catch (e) {
        r = { ok: false, output: (e as Error).message };
      }
    }
    this.o.emitter.toolEnd(id, tool, r);
  }

  async run(actions: readonly SimAction[]): Promise<void> {
    for (const a of actions) await this.#one(a);
  }

  async #one(a: SimAction): Promise<void> {
    const e = this.o.emitter;
    if ('say' in a) {
      this.lastText = a.say;
      e.text(a.say);
    } else if ('write' in a) {
      const path = this.path(a.write);
      this.#tool({ kind: 'write', path, content: a.content, created: !existsSync(path) }, () => {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, a.content);
        return { ok: true, output: `File created successfully at: ${path}` };
      });
    } else if ('edit' in a) {
      const path = this.path(a.edit);
      this.#tool({ kind: 'edit', path, find: a.find, replace: a.replace }, () => {
        if (!existsSync(path)) return { ok: false, output: 'File does not exist.' };
        const text = readFileSync(path, 'utf8');
        const at = text.indexOf(a.find);
        if (at < 0) return { ok: false, output: `String to replace not found in file.\nString: ${a.find}` };
        writeFileSync(path, text.slice(0, at) + a.replace + text.slice(at + a.find.length));
        return { ok: true, output: `The file ${path} has been updated successfully.` };
      });
    } else if ('delete' in a) {
      const path = this.path(a.delete);
      this.#tool({ kind: 'delete', path }, () => {
        if (!existsSync(path)) return { ok: false, output: `rm: cannot remove '${path}': No such file or directory`, exitCode: 1 };
        rmSync(path, { recursive: true, force: true });
        return { ok: true, output: '', exitCode: 0 };
      });
    } else if ('read' in a) {
      const path = this.path(a.read);
      this.#tool({ kind: 'read', path }, () => {
        if (!existsSync(path)) return { ok: false, output: `File does not exist: ${path}` };
        return { ok: true, output: readFileSync(path, 'utf8') };
      });
    } else if ('run' in a) {
      const tool: SimTool = { kind: 'shell', command: a.run.replace(/\{repo\}/g, () => (this.#repo ??= mainCheckout(this.o.ctx.cwd))).replace(/\{cwd\}/g, this.o.ctx.cwd) };
      const id = e.toolStart(tool);
      e.toolEnd(id, tool, await this.#shell(tool.command, a.timeoutMs ?? 120_000));
    } else if ('sleep' in a) {
      await sleep(a.sleep);
    } else if ('chatter' in a) {
      await this.#chatter(a.chatter);
    }
  }

  #shell(command: string, timeoutMs: number): Promise<SimToolResult> {
    return new Promise((done) => {
      const child = spawn('sh', ['-c', command], { cwd: this.o.ctx.cwd, env: this.o.ctx.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      const take = (b: Buffer) => {
        if (out.length < 64 * 1024) out += b.toString('utf8');
      };
      child.stdout.on('data', take);
      child.stderr.on('data', take);
      const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('close', (code, signal) => {
        clearTimeout(t);
        const exitCode = code ?? (signal ? 128 : 1);
        done({ ok: exitCode === 0, output: out.trimEnd(), exitCode });
      });
      child.on('error', (err) => {
        clearTimeout(t);
        done({ ok: false, output: err.message, exitCode: 127 });
      });
    });
  }

  /** Events at a rate: assistant text and (not executed) tool calls, each ~bytesPerEvent. */
  async #chatter(c: { eventsPerSecond: number; bytesPerEvent: number; events?: number | undefined; seconds?: number | undefined; usage?: { input?: number | undefined; cacheWrite?: number | undefined; cacheRead?: number | undefined; output?: number | undefined } | undefined }): Promise<void> {
    const e = this.o.emitter;
    const started = Date.now();
    const interval = 1000 / c.eventsPerSecond;
    const usage: SimTokens | undefined = c.usage ? { input: c.usage.input ?? 0, cacheWrite: c.usage.cacheWrite ?? 0, cacheRead: c.usage.cacheRead ?? 0, output: c.usage.output ?? 0 } : undefined;
    const ctx = this.o.ctx;
    const filler = 'Checking the next part of the change before editing it. '.repeat(Math.ceil(c.bytesPerEvent / 56) + 1);
    for (let i = 0; ; i++) {
      if (c.events !== undefined && i >= c.events) return;
      if (c.seconds !== undefined && Date.now() - started >= c.seconds * 1000) return;
      const wait = started + i * interval - Date.now();
      if (wait > 1) await sleep(wait);
      if (usage) ctx.extra = addTokens(ctx.extra, usage);
      if (i % 3 === 2) {
        const tool: SimTool = { kind: 'shell', command: `grep -n "step ${i}" -r src | head -20` };
        const id = e.toolStart(tool, usage);
        e.toolEnd(id, tool, { ok: true, output: filler.slice(0, Math.max(0, c.bytesPerEvent - 120)), exitCode: 0 });
      } else e.text(`step ${i}: ${filler.slice(0, Math.max(0, c.bytesPerEvent - 120))}`, usage);
    }
  }
}
