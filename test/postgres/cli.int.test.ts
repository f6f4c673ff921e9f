/**
 * The CLI against PostgreSQL (dist/cli/bin.js): `migrate`, selection by `--database-url` and
 * `TUTTI_DATABASE_URL`, a bad URL (one line, exit 2, password masked), and a worker's graceful
 * SIGTERM (its attempt is handed back, ready, and another worker completes the run).
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { collect, runCli, startCli, tempDir } from '../helpers/cli.js';
import { createTestDatabase, pgUnavailable } from './pg-test-db.js';

const unavailable = await pgUnavailable();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(unavailable !== null)(`tutti CLI on PostgreSQL${unavailable ? ` (skipped: ${unavailable})` : ''}`, { timeout: 120_000 }, () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let dir: string;
  let store: PostgresStore;
  beforeAll(async () => {
    db = await createTestDatabase('tutti_cli');
    dir = tempDir('tutti-pg-cli-');
    store = new PostgresStore({ connectionString: db.url });
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('migrate, then run --detach, list and status select the database by flag or environment', async () => {
    const m = await runCli(['migrate', '--database-url', db.url], { dataDir: dir });
    expect(m.code).toBe(0);
    expect(m.stdout).toBe(`${db.url}: schema up to date\n`);
    const plan = JSON.stringify({ name: 'pg-cli', tasks: [{ id: 'a', command: ['true'] }] });
    const created = await runCli(['run', '--plan', '-', '--detach', '--run-id', 'cli-run-1'], { dataDir: dir, input: plan, env: { TUTTI_DATABASE_URL: db.url } });
    expect(created.code).toBe(0);
    expect(created.stdout.trim()).toBe('cli-run-1');
    expect((await store.getRun('cli-run-1'))?.status).toBe('queued');
    const list = await runCli(['list', '--database-url', db.url], { dataDir: dir });
    // Queued with no worker running: nothing executes it, so it shows interrupted (docs/architecture.md).
    expect(list.stdout).toMatch(/cli-run-1\s+interrupted/);
    // Without the flag or the variable: the SQLite file of the data dir, which has no such run.
    const sqlite = await runCli(['status', 'cli-run-1'], { dataDir: dir, env: { TUTTI_DATABASE_URL: '' } });
    expect(sqlite.code).toBe(2);
  });

  it('an unreachable database is one line on stderr, exit 2, the password masked', async () => {
    const r = await runCli(['runs', '--database-url', 'postgres://someone:hunter2@127.0.0.1:1/nope'], { dataDir: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('cannot connect to PostgreSQL at postgres://someone:***@127.0.0.1:1/nope');
    expect(r.stderr).not.toContain('hunter2');
  });

  it('SIGTERM: the worker hands its attempt back and exits 0; another worker completes the run', async () => {
    const plan = JSON.stringify({ name: 'term', tasks: [{ id: 'slow', command: ['sh', '-c', 'if [ "${TUTTI_IDEMPOTENCY_KEY##*/}" = 1 ]; then sleep 30; fi'] }, { id: 'quick', dependsOn: ['slow'], command: ['true'] }] });
    const first = startCli(['worker', '--database-url', db.url, '--worker-id', 'term-1', '--poll-ms', '200'], { dataDir: dir });
    const firstDone = collect(first);
    const created = await runCli(['run', '--plan', '-', '--detach', '--run-id', 'term-run', '--database-url', db.url], { dataDir: dir, input: plan });
    expect(created.code).toBe(0);
    for (let i = 0; i < 300 && !(await store.listRunningAttempts(['term-run'])).some((a) => a.pid !== null); i++) await sleep(50);
    first.kill('SIGTERM');
    const r = await firstDone;
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/SIGTERM: interrupting 1 running attempt/);
    const [attempt] = await store.listAttempts('term-run', 'slow');
    expect(attempt).toMatchObject({ workerId: 'term-1', status: 'interrupted' });
    expect((await store.getTask('term-run', 'slow'))?.status).toBe('ready');
    expect(await store.listWorkers()).toEqual([]);
    // Its second attempt (which does not sleep) runs on another worker, and the run completes.
    const second = startCli(['worker', '--database-url', db.url, '--worker-id', 'term-2', '--poll-ms', '200'], { dataDir: dir });
    const secondDone = collect(second);
    for (let i = 0; i < 400 && (await store.getRun('term-run'))?.status !== 'completed'; i++) await sleep(50);
    second.kill('SIGTERM');
    expect((await secondDone).code).toBe(0);
    expect((await store.getRun('term-run'))?.status).toBe('completed');
    expect((await store.listAttempts('term-run', 'slow')).map((a) => [a.workerId, a.status])).toEqual([
      ['term-1', 'interrupted'],
      ['term-2', 'succeeded'],
    ]);
  });
});
