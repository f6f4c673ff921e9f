/**
 * Scale-out with real processes on a real PostgreSQL: several `tutti worker` processes
 * (dist/cli/bin.js) share one database. They share runs and complete them all; a worker killed
 * with SIGKILL mid-task has its attempt re-claimed; a task raced for by several workers runs
 * once; a worker frozen past its lease has its attempt re-claimed and its late write rejected;
 * an agent's concurrency limit holds across workers.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/create-engine.js';
import type { Engine } from '../../src/core/engine.js';
import type { PlanInput } from '../../src/core/plan/schema.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { assertBuilt, startCli, tempDir } from '../helpers/cli.js';
import { createTestDatabase, pgUnavailable } from './pg-test-db.js';

const unavailable = await pgUnavailable();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe.skipIf(unavailable !== null)(`tutti worker on PostgreSQL${unavailable ? ` (skipped: ${unavailable})` : ''}`, { timeout: 120_000 }, () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let store: PostgresStore;
  let client: Engine;
  let dir: string;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    assertBuilt();
    db = await createTestDatabase('tutti_workers');
    dir = tempDir('tutti-pg-workers-');
    // Shell attempts unlimited by default here; one test sets a limit on its own agent.
    writeFileSync(join(dir, 'tutti.config.yaml'), 'shellConcurrency: null\nkillGraceMs: 200\n');
    store = new PostgresStore({ connectionString: db.url });
    await store.migrate();
    // A client that only creates runs (never started: it executes nothing).
    client = createEngine({ dataDir: dir, store: { databaseUrl: db.url }, workDir: dir, shellConcurrency: null });
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map(stopWorker));
  });

  afterAll(async () => {
    await client?.stop();
    await store?.close();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function startWorker(id: string, extra: string[] = []): ChildProcess {
    const child = startCli(['worker', '--database-url', db.url, '--worker-id', id, '--lease-ms', '1500', '--poll-ms', '200', ...extra], { dataDir: dir, cwd: dir });
    let err = '';
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    child.on('exit', () => ((child as ChildProcess & { log?: string }).log = err));
    (child as ChildProcess & { stderrText: () => string }).stderrText = () => err;
    workers.push(child);
    return child;
  }

  async function stopWorker(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const done = new Promise((r) => child.once('exit', r));
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    await Promise.race([done, sleep(10_000).then(() => child.kill('SIGKILL'))]);
  }

  async function waitRegistered(ids: string[]): Promise<void> {
    await until(`workers ${ids.join(', ')}`, async () => {
      const live = new Set((await store.listWorkers()).map((w) => w.id));
      return ids.every((id) => live.has(id));
    });
  }

  const create = (plan: PlanInput) => client.createRun(plan);

  async function waitEnded(runIds: string[], timeoutMs = 60_000): Promise<void> {
    await until(
      `runs ${runIds.join(', ')} to end`,
      async () => {
        const statuses = await store.runStatuses(runIds);
        return runIds.every((id) => ['completed', 'failed', 'cancelled'].includes(statuses.get(id) ?? ''));
      },
      timeoutMs,
    );
  }

  it('several workers share the runs and complete them all', async () => {
    startWorker('w-a');
    startWorker('w-b');
    startWorker('w-c');
    await waitRegistered(['w-a', 'w-b', 'w-c']);
    const runs = [];
    for (let r = 0; r < 6; r++) {
      const tasks = Array.from({ length: 6 }, (_, i) => ({ id: `t${i}`, command: ['sh', '-c', 'sleep 0.15'], ...(i >= 3 ? { dependsOn: [`t${i - 3}`] } : {}) }));
      runs.push((await create({ name: `share-${r}`, tasks })).id);
    }
    await waitEnded(runs);
    const statuses = await store.runStatuses(runs);
    expect([...statuses.values()]).toEqual(runs.map(() => 'completed'));
    const byWorker = new Map<string, number>();
    for (const id of runs) {
      const attempts = await store.listAttempts(id);
      expect(attempts).toHaveLength(6);
      for (const a of attempts) byWorker.set(a.workerId, (byWorker.get(a.workerId) ?? 0) + 1);
    }
    // Every worker took part (36 tasks of 150 ms over three workers).
    expect([...byWorker.keys()].sort()).toEqual(['w-a', 'w-b', 'w-c']);
  });

  it('kill -9 of a worker mid-task: its attempt is re-claimed and the run completes', async () => {
    const victim = startWorker('w-victim');
    await waitRegistered(['w-victim']);
    const marker = join(dir, `killed-${Date.now()}`);
    const run = await create({ name: 'kill', tasks: [{ id: 'long', command: ['sh', '-c', `echo start >> ${marker}; sleep 1.5; echo done >> ${marker}`] }, { id: 'after', dependsOn: ['long'], command: ['true'] }] });
    await until('the victim to run the task', async () => (await store.listRunningAttempts([run.id])).some((a) => a.workerId === 'w-victim' && a.pid !== null));
    victim.kill('SIGKILL');
    startWorker('w-rescuer');
    await waitEnded([run.id]);
    expect((await store.getRun(run.id))?.status).toBe('completed');
    const attempts = await store.listAttempts(run.id, 'long');
    expect(attempts.map((a) => [a.workerId, a.status])).toEqual([
      ['w-victim', 'interrupted'],
      ['w-rescuer', 'succeeded'],
    ]);
    expect(attempts[0]!.error?.kind).toBe('crashed');
  });

  it('several workers racing for the same tasks: each task runs exactly once', async () => {
    for (const id of ['r-1', 'r-2', 'r-3', 'r-4']) startWorker(id);
    await waitRegistered(['r-1', 'r-2', 'r-3', 'r-4']);
    const stamp = Date.now();
    // Created at once: every worker is woken by each run's notification and races for its task.
    const runs = await Promise.all(Array.from({ length: 24 }, (_, i) => create({ name: `race-${i}`, tasks: [{ id: 'once', command: ['sh', '-c', `echo ran >> ${join(dir, `race-${stamp}-${i}`)}`] }] })));
    await waitEnded(runs.map((r) => r.id));
    for (let i = 0; i < runs.length; i++) {
      expect(readFileSync(join(dir, `race-${stamp}-${i}`), 'utf8')).toBe('ran\n');
      expect(await store.listAttempts(runs[i]!.id)).toHaveLength(1);
    }
    const winners = new Set<string>();
    for (const r of runs) winners.add((await store.listAttempts(r.id))[0]!.workerId);
    expect(winners.size).toBeGreaterThan(1);
  });

  it('a worker frozen past its lease loses the attempt; its late write is rejected', async () => {
    const stale = startWorker('w-stale');
    await waitRegistered(['w-stale']);
    const marker = join(dir, `stale-${Date.now()}`);
    const run = await create({ name: 'stale', tasks: [{ id: 'slow', command: ['sh', '-c', `sleep 0.3; echo $TUTTI_IDEMPOTENCY_KEY >> ${marker}`] }] });
    const first = await until('the stale worker to run the task', async () => (await store.listRunningAttempts([run.id])).find((a) => a.workerId === 'w-stale' && a.pid !== null));
    // Frozen: its process is alive, but its heartbeat stops; the lease (1.5 s) expires. Its
    // child finishes meanwhile (the side effect happens), but the worker cannot commit it.
    stale.kill('SIGSTOP');
    startWorker('w-fresh');
    await waitEnded([run.id]);
    // Thawed: it finds its lease lost; whatever it writes for its old attempt is fenced off.
    stale.kill('SIGCONT');
    const staleLog = (stale as ChildProcess & { stderrText: () => string }).stderrText;
    await until('the stale worker to find its lease lost', async () => staleLog().includes('lost its lease'), 15_000);
    await sleep(300);
    const attempts = await store.listAttempts(run.id, 'slow');
    expect(attempts.map((a) => [a.workerId, a.status])).toEqual([
      ['w-stale', 'interrupted'],
      ['w-fresh', 'succeeded'],
    ]);
    expect(attempts[0]!.token).toBe(first.token);
    expect(attempts[0]!.error).toMatchObject({ kind: 'crashed', message: 'worker w-stale died' });
    expect((await store.getRun(run.id))?.status).toBe('completed');
    // At least once: both attempts ran the side effect; their idempotency keys tell them apart.
    expect(existsSync(marker) ? readFileSync(marker, 'utf8').trim().split('\n') : []).toEqual([`${run.id}/slow/1`, `${run.id}/slow/2`]);
    // The late success of attempt 1 was rejected: it stays interrupted, and the stale worker said why.
    expect(staleLog()).toMatch(/lost its lease/);
  });

  it("an agent's concurrency limit holds across workers", async () => {
    await client.registerAgents([{ id: 'narrow', driver: 'exec', maxConcurrency: 2 }]);
    for (const id of ['c-1', 'c-2', 'c-3']) startWorker(id);
    await waitRegistered(['c-1', 'c-2', 'c-3']);
    const run = await create({ name: 'narrow', tasks: Array.from({ length: 8 }, (_, i) => ({ id: `n${i}`, agent: { id: 'narrow' }, command: ['sh', '-c', 'sleep 0.3'] })) });
    let peak = 0;
    const watch = (async () => {
      for (;;) {
        const status = (await store.runStatuses([run.id])).get(run.id);
        peak = Math.max(peak, (await store.listRunningAttempts([run.id])).length);
        if (status === 'completed' || status === 'failed') return;
        await sleep(20);
      }
    })();
    await waitEnded([run.id]);
    await watch;
    expect((await store.getRun(run.id))?.status).toBe('completed');
    const attempts = await store.listAttempts(run.id);
    // Overlap computed from the committed attempt times: never more than 2 at once.
    const points = attempts.flatMap((a) => [
      [a.startedAt, 1],
      [a.finishedAt!, -1],
    ]) as Array<[number, number]>;
    points.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    let now = 0;
    let max = 0;
    for (const [, d] of points) max = Math.max(max, (now += d));
    expect(max).toBeLessThanOrEqual(2);
    expect(peak).toBeLessThanOrEqual(2);
  });
});
