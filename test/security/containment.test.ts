/**
 * Containment through the real CLI: every process an attempt starts — also one that called
 * setsid, double-forked, ignores SIGTERM, or (with a cgroup) cleared its environment — is ended
 * on cancel, timeout, its own exit and engine shutdown; `tutti cancel` of a run whose engine was
 * killed with -9 ends them itself; and the watchdog ends them when the engine is killed with no
 * other engine around. Run with the cgroup (where writable, as on CI) and with the marker alone.
 */
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { containmentMode } from '../../src/agents/containment/index.js';
import { collect, runCli, startCli, tempDir } from '../helpers/cli.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Waits for a state (never for time): polls until `check` holds. */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; ; i++) {
    if (await check()) return;
    if (i > 3000) throw new Error(`gave up waiting for: ${what}`);
    await sleep(20);
  }
}

/**
 * A task that starts escapees, records their pids, then waits: a setsid child, a double fork into
 * a new session, a grandchild ignoring SIGTERM, a nohup'd one, and (cgroup only) one started
 * with an empty environment.
 */
function escapePlan(dir: string, options: { envClearing: boolean; timeoutMs?: number; exit?: boolean }) {
  const pids = join(dir, 'pids');
  const script = [
    `setsid sleep 1001 & echo $! >> ${pids}`,
    `(setsid sh -c 'echo $$ >> ${pids}; exec sleep 1002' &)`,
    `sh -c 'trap "" TERM; sleep 1003 & echo $! >> ${pids}; wait' & echo $! >> ${pids}`,
    `nohup sleep 1004 >/dev/null 2>&1 & echo $! >> ${pids}`,
    ...(options.envClearing ? [`env -i /bin/sleep 1005 & echo $! >> ${pids}`] : []),
    `echo $$ >> ${pids}`,
    `touch ${join(dir, 'ready')}`,
    options.exit ? 'exit 0' : 'sleep 1000',
  ].join('\n');
  const expected = options.envClearing ? 7 : 6;
  const plan = { tasks: [{ id: 'escape', command: ['sh', '-c', script], ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) }] };
  writeFileSync(join(dir, 'plan.json'), JSON.stringify(plan));
  // A short SIGTERM → SIGKILL grace keeps the TERM-ignoring grandchild from slowing the suite.
  writeFileSync(join(dir, 'tutti.config.json'), JSON.stringify({ killGraceMs: 300 }));
  return {
    ready: () => existsSync(join(dir, 'ready')) && readPids().length >= expected,
    readPids,
  };
  function readPids(): number[] {
    return existsSync(pids) ? readFileSync(pids, 'utf8').split('\n').filter(Boolean).map(Number) : [];
  }
}

async function runId(dir: string): Promise<string> {
  let id = '';
  await until(async () => {
    const out = JSON.parse((await runCli(['list', '--json'], { dataDir: dir })).stdout) as Array<{ id: string }> | { runs: Array<{ id: string }> };
    id = (Array.isArray(out) ? out : out.runs)[0]?.id ?? '';
    return id !== '';
  }, 'the run to be created');
  return id;
}

/** The watchdog started by process `ppid` (a `node -e` child in a session of its own). */
function watchdogOf(ppid: number): number | null {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === ppid && readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('TUTTI_CONTAINMENT=')) return Number(name);
    } catch {
      // gone
    }
  }
  return null;
}

const modes: Array<{ name: string; env: Record<string, string>; envClearing: boolean }> = [
  { name: 'marker only (TUTTI_CGROUP=off)', env: { TUTTI_CGROUP: 'off' }, envClearing: false },
  ...(containmentMode() === 'cgroup' ? [{ name: 'cgroup v2', env: {}, envClearing: true }] : []),
];

describe.skipIf(process.platform !== 'linux')('containment', () => {
  for (const mode of modes) {
    describe(mode.name, () => {
      it('tutti cancel ends a setsid child, a double fork, a TERM-ignoring grandchild and a nohup one, and says how many', { timeout: 120_000 }, async () => {
        const dir = tempDir('tutti-contain-');
        const plan = escapePlan(dir, { envClearing: mode.envClearing });
        const run = startCli(['run', '--plan', 'plan.json'], { dataDir: dir, env: { ...mode.env } });
        const done = collect(run);
        await until(plan.ready, 'the escapees to start');
        const pids = plan.readPids();
        expect(pids.every(alive)).toBe(true);
        const id = await runId(dir);
        const cancel = await runCli(['cancel', id, '--json'], { dataDir: dir, env: { ...mode.env } });
        expect(cancel.code).toBe(0);
        const out = JSON.parse(cancel.stdout) as { status: string; processesEnded: number; attemptsRunning: number };
        expect(out).toMatchObject({ status: 'cancelled', attemptsRunning: 0 });
        expect(out.processesEnded).toBeGreaterThanOrEqual(pids.length);
        expect(pids.filter(alive)).toEqual([]);
        expect((await done).code).toBe(1);
      });

      it('kill -9 of the engine, then tutti cancel: the cancel ends the processes itself and finishes the attempt cancelled', { timeout: 120_000 }, async () => {
        const dir = tempDir('tutti-contain-');
        const plan = escapePlan(dir, { envClearing: false });
        const run = startCli(['run', '--plan', 'plan.json'], { dataDir: dir, env: { ...mode.env } });
        const done = collect(run);
        await until(plan.ready, 'the escapees to start');
        const pids = plan.readPids();
        const id = await runId(dir);
        // Without its watchdog too: what the cancel does alone is what is tested here.
        await until(() => watchdogOf(run.pid!) !== null, 'the watchdog to start');
        process.kill(watchdogOf(run.pid!)!, 'SIGKILL');
        run.kill('SIGKILL');
        await done;
        expect(pids.filter(alive).length).toBeGreaterThan(0);
        const cancel = await runCli(['cancel', id], { dataDir: dir, env: { ...mode.env } });
        expect(cancel.code).toBe(0);
        expect(cancel.stdout).toMatch(new RegExp(`run ${id} cancelled: ended \\d+ process`));
        expect(Number(/ended (\d+)/.exec(cancel.stdout)![1])).toBeGreaterThanOrEqual(pids.length);
        expect(pids.filter(alive)).toEqual([]);
        const view = JSON.parse((await runCli(['status', id, '--json'], { dataDir: dir })).stdout) as { status: string; tasks: Array<{ status: string; attempts: Array<{ status: string }> }> };
        expect(view.status).toBe('cancelled');
        expect(view.tasks[0]!.status).toBe('cancelled');
        expect(view.tasks[0]!.attempts.map((a) => a.status)).toEqual(['cancelled']);
      });

      it('the watchdog: kill -9 of tutti run ends its agent processes with no other engine', { timeout: 120_000 }, async () => {
        const dir = tempDir('tutti-contain-');
        const plan = escapePlan(dir, { envClearing: mode.envClearing });
        const run = startCli(['run', '--plan', 'plan.json'], { dataDir: dir, env: { ...mode.env } });
        const done = collect(run);
        await until(plan.ready, 'the escapees to start');
        const pids = plan.readPids();
        await until(() => watchdogOf(run.pid!) !== null, 'the watchdog to start');
        const watchdog = watchdogOf(run.pid!)!;
        run.kill('SIGKILL');
        await done;
        await until(() => pids.every((p) => !alive(p)), 'every agent process to be ended by the watchdog');
        // And the watchdog does not stay behind.
        await until(() => !alive(watchdog), 'the watchdog to exit');
      });

      it('a timeout, and the attempt’s own exit, leave nothing running', { timeout: 120_000 }, async () => {
        const timedOut = tempDir('tutti-contain-');
        const slow = escapePlan(timedOut, { envClearing: mode.envClearing, timeoutMs: 60_000 });
        const run = startCli(['run', '--plan', 'plan.json'], { dataDir: timedOut, env: { ...mode.env } });
        const finished = collect(run);
        await until(slow.ready, 'the escapees to start');
        // A shutdown (SIGTERM to tutti run) ends them as a timeout would: through the same abort.
        run.kill('SIGTERM');
        await finished;
        expect(slow.readPids().filter(alive)).toEqual([]);

        const exited = tempDir('tutti-contain-');
        const quick = escapePlan(exited, { envClearing: mode.envClearing, exit: true });
        const r = await runCli(['run', '--plan', 'plan.json'], { dataDir: exited, env: { ...mode.env } });
        expect(r.code).toBe(0);
        expect(quick.readPids().length).toBeGreaterThan(0);
        expect(quick.readPids().filter(alive)).toEqual([]);
      });

      it('a task timeout ends the escapees too', { timeout: 120_000 }, async () => {
        const dir = tempDir('tutti-contain-');
        const plan = escapePlan(dir, { envClearing: mode.envClearing, timeoutMs: 3000 });
        const r = await runCli(['run', '--plan', 'plan.json'], { dataDir: dir, env: { ...mode.env } });
        expect(r.code).toBe(1);
        expect(plan.readPids().length).toBeGreaterThan(0);
        expect(plan.readPids().filter(alive)).toEqual([]);
      });
    });
  }
});
