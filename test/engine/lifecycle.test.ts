/** Failure handling, cancellation, events, outputs, and durability across engine restarts. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/create-engine.js';
import type { EventRecord } from '../../src/core/model.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { startEngine, tempDir } from './helpers.js';

describe('failures', () => {
  it('a failed task fails the run: dependants skipped, running attempts stopped, pending tasks cancelled', async () => {
    const engine = await startEngine();
    const v = await engine.run({
      tasks: [
        { id: 'boom', agent: 'test', input: { outcome: 'fail', sleepMs: 20 } },
        { id: 'child', agent: 'test', dependsOn: ['boom'] },
        { id: 'grandchild', agent: 'test', dependsOn: ['child'] },
        { id: 'slow', function: 'sleep', input: { ms: 10_000 } },
        { id: 'after-slow', function: 'noop', dependsOn: ['slow'] },
      ],
    });
    const status = Object.fromEntries(v.tasks.map((t) => [t.id, t.status]));
    expect(v.status).toBe('failed');
    expect(status).toEqual({ boom: 'failed', child: 'skipped', grandchild: 'skipped', slow: 'cancelled', 'after-slow': 'cancelled' });
    expect(v.tasks[3]!.attempts[0]!.status).toBe('cancelled');
    expect(v.error).toContain("task 'boom' failed");
  });

  it('continueOnFailure: the run goes on and completes; dependants are still skipped', async () => {
    const engine = await startEngine();
    const v = await engine.run({
      tasks: [
        { id: 'optional', agent: 'test', input: { outcome: 'fail' }, continueOnFailure: true },
        { id: 'needs-optional', agent: 'test', dependsOn: ['optional'] },
        { id: 'independent', agent: 'test' },
      ],
    });
    expect(v.status).toBe('completed');
    expect(v.tasks.map((t) => t.status)).toEqual(['failed', 'skipped', 'succeeded']);
    expect(v.progress).toBe(100);
  });

  it('a timeout kills the attempt and counts as a failure', async () => {
    const engine = await startEngine();
    const v = await engine.run({ tasks: [{ id: 'slow', command: ['sleep', '30'], timeoutMs: 150 }] });
    expect(v.status).toBe('failed');
    expect(v.tasks[0]!.attempts[0]!.error).toMatchObject({ kind: 'timeout', message: 'timed out after 150 ms' });
  });
});

describe('cancel', () => {
  it('stops every process of the attempt (grandchildren included) before recording it cancelled', async () => {
    const engine = await startEngine({ killGraceMs: 200 });
    const run = await engine.createRun({
      tasks: [{ id: 'tree', command: ['sh', '-c', "trap '' TERM; sleep 1000 & sleep 1000 & wait"] }, { id: 'next', function: 'noop', dependsOn: ['tree'] }],
    });
    let pid: number | null = null;
    for (let i = 0; i < 200 && pid === null; i++) {
      await new Promise((r) => setTimeout(r, 10));
      pid = (await engine.store.listAttempts(run.id))[0]?.pid ?? null;
    }
    expect(pid).not.toBeNull();
    await new Promise((r) => setTimeout(r, 100));
    expect(groupMembers(pid!).length).toBeGreaterThanOrEqual(2);
    await engine.cancelRun(run.id, 'changed my mind');
    const v = await engine.waitForRun(run.id);
    expect(v.status).toBe('cancelled');
    expect(v.error).toBe('changed my mind');
    expect(v.tasks.map((t) => t.status)).toEqual(['cancelled', 'cancelled']);
    expect(v.tasks[0]!.attempts[0]!.status).toBe('cancelled');
    expect(groupMembers(pid!)).toEqual([]);
  });

  it('cancelling a finished or unknown run', async () => {
    const engine = await startEngine();
    const v = await engine.run({ tasks: [{ id: 'a', function: 'noop' }] });
    expect((await engine.cancelRun(v.id)).status).toBe('completed');
    await expect(engine.cancelRun('run_nope')).rejects.toMatchObject({ code: 'ERR_RUN_NOT_FOUND' });
  });
});

/** Living members of a process group (Linux). */
function groupMembers(pgid: number): number[] {
  const out = spawnSync('ps', ['-o', 'pid=,stat=', '-g', String(pgid)], { encoding: 'utf8' }).stdout;
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([p, stat]) => p && stat && !stat.startsWith('Z'))
    .map(([p]) => Number(p));
}

describe('events and outputs', () => {
  it('emits every committed event with a gapless per-run sequence', async () => {
    const engine = await startEngine();
    const seen: EventRecord[] = [];
    const succeeded: string[] = [];
    engine.on('event', (e) => seen.push(e));
    engine.on('task:succeeded', (e) => succeeded.push(e.taskId!));
    const v = await engine.run({ tasks: [{ id: 'a', function: 'noop' }, { id: 'b', function: 'noop', dependsOn: ['a'] }] });
    const mine = seen.filter((e) => e.runId === v.id);
    expect(mine.map((e) => e.seq)).toEqual(mine.map((_, i) => i + 1));
    expect(mine.map((e) => `${e.type}${e.taskId ? `:${e.taskId}` : ''}`)).toEqual([
      'run:created',
      'task:ready:a',
      'run:started',
      'attempt:started:a',
      'attempt:succeeded:a',
      'task:succeeded:a',
      'task:ready:b',
      'attempt:started:b',
      'attempt:succeeded:b',
      'task:succeeded:b',
      'run:completed',
    ]);
    expect(succeeded).toEqual(['a', 'b']);
    expect((await engine.listEvents(v.id)).map((e) => e.seq)).toEqual(mine.map((e) => e.seq));
  });

  it('small outputs stay inline; large ones go to content-addressed blobs', async () => {
    const dir = tempDir();
    const big = 'x'.repeat(50_000);
    const engine = await startEngine({ dataDir: dir, functions: { small: () => ({ ok: true }), big: () => big } });
    const v = await engine.run({ tasks: [{ id: 's', function: 'small' }, { id: 'b', function: 'big' }] });
    expect(v.tasks[0]!.attempts[0]).toMatchObject({ output: { ok: true }, outputRef: null });
    const ref = v.tasks[1]!.attempts[0]!.outputRef!;
    expect(ref).toMatch(/^blobs\/[0-9a-f]{2}\/[0-9a-f]{64}$/);
    expect(JSON.parse(readFileSync(join(dir, ref), 'utf8'))).toBe(big);
  });

  it('exec logs are capped with a marker', async () => {
    const dir = tempDir();
    const engine = await startEngine({ dataDir: dir, maxLogBytes: 4096 });
    const v = await engine.run({ tasks: [{ id: 'noisy', command: ['sh', '-c', 'yes hello | head -c 100000'] }] });
    const log = readFileSync(join(dir, v.tasks[0]!.attempts[0]!.logPath!), 'utf8');
    expect(log.length).toBeLessThan(4200);
    expect(log).toContain('[tutti: log truncated at 4096 bytes]');
  });

  it('the same idempotency key returns the same run', async () => {
    const engine = await startEngine();
    const a = await engine.createRun({ tasks: [{ id: 'a', function: 'noop' }] }, { idempotencyKey: 'order-42' });
    const b = await engine.createRun({ tasks: [{ id: 'zzz', function: 'noop' }] }, { idempotencyKey: 'order-42' });
    expect(b.id).toBe(a.id);
    expect((await engine.listRuns()).length).toBe(1);
  });
});

describe('durability across engines', () => {
  it('wake() makes an all-runs engine claim work another process created, without waiting for its poll', async () => {
    const dir = tempDir();
    // Polls every 10 min: only wake() can make it claim within the test.
    const worker = await startEngine({ dataDir: dir, runScope: 'all', pollMs: 600_000 });
    const ended = new Promise<string>((resolve) => worker.on('event', (e: EventRecord) => e.type === 'run:completed' && resolve(e.runId)));
    // Let its start-up claim find nothing first.
    await new Promise((r) => setTimeout(r, 200));
    const other = createEngine({ dataDir: dir, workDir: dir });
    const run = await other.createRun({ tasks: [{ id: 'a', function: 'noop' }, { id: 'b', function: 'noop', dependsOn: ['a'] }] });
    await other.stop();
    worker.wake();
    expect(await ended).toBe(run.id);
  });

  it('stop() hands running attempts back; the next engine resumes and finishes the run', async () => {
    const dir = tempDir();
    const first = createEngine({ dataDir: dir, workDir: dir, pollMs: 25 });
    await first.start();
    const run = await first.createRun({ tasks: [{ id: 'long', function: 'sleep', input: { ms: 30_000 } }, { id: 'after', function: 'noop', dependsOn: ['long'] }] });
    for (let i = 0; i < 100 && (await first.store.listAttempts(run.id)).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await first.stop();
    const store = new SqliteStore({ path: join(dir, 'tutti.db') });
    const attempts = await store.listAttempts(run.id);
    expect(attempts.map((a) => a.status)).toEqual(['interrupted']);
    expect((await store.getTask(run.id, 'long'))?.status).toBe('ready');
    await store.close();

    const second = await startEngine({ dataDir: dir, functions: {} });
    // Same name, quicker body: the resumed attempt runs what is registered now.
    second.registerFunction('sleep', () => 'resumed');
    const v = await second.waitForRun(run.id, { timeoutMs: 10_000 });
    expect(v.status).toBe('completed');
    expect(v.tasks[0]!.attempts.map((a) => [a.n, a.status])).toEqual([
      [1, 'interrupted'],
      [2, 'succeeded'],
    ]);
  });

  it('an attempt held by a dead worker is recovered at once and its orphaned processes killed', async () => {
    const dir = tempDir();
    const dbPath = join(dir, 'tutti.db');
    const marker = `orphan-${process.pid}-${Date.now()}`;
    // A worker process that claims an exec attempt, spawns it, and dies without cleaning up.
    const script = `
      import { createEngine } from ${JSON.stringify(new URL('../../dist/create-engine.js', import.meta.url).href)};
      const e = createEngine({ dataDir: ${JSON.stringify(dir)}, workDir: ${JSON.stringify(dir)} });
      await e.start();
      const r = await e.createRun({ tasks: [{ id: 'orphan', command: ['sleep', '1000'], env: { MARKER: '${marker}' } }] });
      for (;;) { const a = (await e.store.listAttempts(r.id))[0]; if (a && a.pid) break; await new Promise((x) => setTimeout(x, 10)); }
      process.stdout.write(r.id);
      process.kill(process.pid, 'SIGKILL');
    `;
    const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    const runId = res.stdout.trim();
    expect(runId).toMatch(/^run_/);
    const pid = (await (async () => {
      const s = new SqliteStore({ path: dbPath });
      const a = (await s.listAttempts(runId))[0]!;
      await s.close();
      return a.pid;
    })())!;
    expect(existsSync(`/proc/${pid}`)).toBe(true);

    const engine = await startEngine({ dataDir: dir, functions: {} });
    const v = await engine.waitForRun(runId, { timeoutMs: 1000 }).catch(() => null);
    // The orphan was killed and the task handed back (it runs again: sleep 1000 → cancel to finish).
    expect(existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z')).toBe(false);
    const attempts = await engine.store.listAttempts(runId);
    expect(attempts[0]).toMatchObject({ n: 1, status: 'interrupted', error: { kind: 'crashed' } });
    expect(attempts[0]!.error!.message).toMatch(/died/);
    expect(v).toBeNull();
    await engine.cancelRun(runId);
  });
});
