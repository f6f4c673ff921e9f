/**
 * A damaged store is named: one line with a stable code and the file (exit 1, no stack trace);
 * `/readyz` and the API answer 503 (never 500) once queries meet the damage; `tutti doctor`
 * runs quick_check; `tutti backup` copies a live store consistently. And a closed pipe on stdout
 * (`tutti status RUN | head`) ends the CLI quietly with its exit code.
 */
import { spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, mkdirSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { BIN, collect, runCli, startCli, tempDir } from '../helpers/cli.js';
import { startServe } from '../server/serve-process.js';

const PAGE = 4096;

/** A store with one finished run of `tasks` test tasks. @returns the data dir, the db path and the run id. */
async function storeWithRun(tasks: number): Promise<{ dir: string; db: string; runId: string }> {
  const dir = tempDir('tutti-store-');
  writeFileSync(join(dir, 'plan.json'), JSON.stringify({ tasks: Array.from({ length: tasks }, (_, i) => ({ id: `t${i}`, title: `task number ${i} with a longer title`.repeat(3), agent: 'test', input: { output: { i, text: 'x'.repeat(200) } } })) }));
  const r = await runCli(['run', '--plan', 'plan.json', '--json'], { dataDir: dir });
  expect(r.code).toBe(0);
  return { dir, db: join(dir, 'tutti.db'), runId: (JSON.parse(r.stdout) as { id: string }).id };
}

/** Overwrites pages [from, to) of the file with random bytes. */
function scribble(file: string, fromPage: number, toPage: number): void {
  const fd = openSync(file, 'r+');
  try {
    for (let p = fromPage; p < toPage; p++) writeSync(fd, randomFillSync(Buffer.alloc(PAGE)), 0, PAGE, p * PAGE);
  } finally {
    closeSync(fd);
  }
}

function oneLineNoStack(stderr: string): void {
  expect(stderr.trim().split('\n')).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at |SqliteError|internal error/);
}

describe('a damaged store is named', () => {
  it('a truncated, overwritten or foreign file: one line with ERR_STORE_CORRUPT and the path, exit 1', { timeout: 120_000 }, async () => {
    const { dir, db } = await storeWithRun(5);
    const pages = statSync(db).size / PAGE;
    scribble(db, 0, 1);
    for (const args of [['list'], ['status', 'nope'], ['run', '--plan', 'plan.json']]) {
      const r = await runCli(args, { dataDir: dir });
      expect([args[0], r.code]).toEqual([args[0], 1]);
      expect(r.stderr).toContain(`tutti: ERR_STORE_CORRUPT: database ${db} is damaged`);
      oneLineNoStack(r.stderr);
    }
    // Truncated mid-file, and a text file where the database should be.
    const truncated = await storeWithRun(5);
    writeFileSync(truncated.db, Buffer.alloc(1000, 7));
    const text = tempDir('tutti-store-');
    writeFileSync(join(text, 'tutti.db'), 'hello, this is not a database\n'.repeat(200));
    for (const d of [truncated.dir, text]) {
      const r = await runCli(['list'], { dataDir: d });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^tutti: ERR_STORE_CORRUPT: database \S+tutti\.db is damaged/);
      oneLineNoStack(r.stderr);
    }
    // A directory where the file should be: unreadable, also one line.
    const blocked = tempDir('tutti-store-');
    mkdirSync(join(blocked, 'tutti.db'));
    const r = await runCli(['list'], { dataDir: blocked });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^tutti: ERR_STORE_UNREADABLE: database \S+tutti\.db cannot be used/);
    oneLineNoStack(r.stderr);
    expect(pages).toBeGreaterThan(1);
  });

  it('pages overwritten under a server: /readyz and the API answer 503 ERR_STORE_CORRUPT (never 500); tutti doctor reports quick_check', { timeout: 120_000 }, async () => {
    const { dir, db, runId } = await storeWithRun(300);
    const pages = statSync(db).size / PAGE;
    // The schema and migrations live in the first pages; the run's rows and events in the later ones.
    scribble(db, Math.floor(pages / 3), pages);
    const serve = await startServe(['--no-dashboard'], { dataDir: dir });
    try {
      const ready = await fetch(`${serve.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { error: string }).error).toContain('ERR_STORE_CORRUPT');
      for (const path of [`/api/v1/runs/${runId}`, '/api/v1/stats', `/api/v1/runs/${runId}/events`]) {
        const res = await fetch(`${serve.url}${path}`);
        const body = (await res.json()) as { error?: { code: string } };
        expect([path, res.status, body.error?.code]).toEqual([path, 503, 'ERR_STORE_CORRUPT']);
      }
      expect((await fetch(`${serve.url}/readyz`)).status).toBe(503);
    } finally {
      await serve.stop();
    }
    const doctor = await runCli(['doctor', '--json'], { dataDir: dir });
    expect(doctor.code).toBe(1);
    const report = JSON.parse(doctor.stdout) as { store: { ok: boolean; detail: string } };
    expect(report.store.ok).toBe(false);
    expect(report.store.detail).toMatch(/quick_check|ERR_STORE_CORRUPT/);
  });

  it('tutti doctor says a healthy store is healthy (quick_check ok, schema level)', { timeout: 60_000 }, async () => {
    const { dir } = await storeWithRun(3);
    const doctor = await runCli(['doctor', '--json'], { dataDir: dir });
    const report = JSON.parse(doctor.stdout) as { store: { ok: boolean; detail: string; schema: { applied: number; required: number } } };
    expect(report.store).toMatchObject({ ok: true, detail: 'ok' });
    expect(report.store.schema.applied).toBe(report.store.schema.required);
    expect(doctor.code).toBe(0);
  });
});

describe('tutti backup', () => {
  it('copies a live store while a run writes to it; the copy is consistent and opens as a store', { timeout: 120_000 }, async () => {
    const dir = tempDir('tutti-backup-');
    writeFileSync(join(dir, 'plan.json'), JSON.stringify({ concurrency: 4, tasks: Array.from({ length: 400 }, (_, i) => ({ id: `t${i}`, agent: 'test', input: { sleepMs: 5, output: { i } } })) }));
    const run = startCli(['run', '--plan', 'plan.json'], { dataDir: dir });
    const done = collect(run);
    // Wait until the run is being written (its first task finished), then copy while it goes on.
    for (let i = 0; ; i++) {
      const list = await runCli(['list', '--json'], { dataDir: dir });
      const runs = JSON.parse(list.stdout) as Array<{ status: string }> | { runs: Array<{ status: string }> };
      if ((Array.isArray(runs) ? runs : runs.runs).length) break;
      if (i > 500) throw new Error('no run was created');
    }
    const copy = join(dir, 'copy.db');
    const backup = await runCli(['backup', copy, '--json'], { dataDir: dir });
    expect(backup.code).toBe(0);
    expect(JSON.parse(backup.stdout)).toMatchObject({ file: copy, source: join(dir, 'tutti.db') });
    const again = await runCli(['backup', copy], { dataDir: dir });
    expect([again.code, again.stderr]).toEqual([2, expect.stringContaining('exists')]);
    expect((await done).code).toBe(0);
    const snapshot = new Database(copy, { readonly: true });
    try {
      expect(snapshot.pragma('quick_check', { simple: true })).toBe('ok');
      expect(snapshot.prepare('SELECT count(*) FROM runs').pluck().get()).toBe(1);
    } finally {
      snapshot.close();
    }
    // The copy is a working store: tutti reads it as it is (the restore in docs/operations.md).
    const restored = tempDir('tutti-restore-');
    const list = await runCli(['list', '--db', copy], { dataDir: restored });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/run_/);
  });
});

describe('closed pipes', () => {
  it('tutti status RUN | head: EPIPE ends the CLI quietly with the exit code it would have had', { timeout: 120_000 }, async () => {
    const { dir, runId } = await storeWithRun(1500);
    for (const args of [['status', runId], ['status', runId, '--json'], ['list', '--json']]) {
      const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, TUTTI_DATA_DIR: dir, TUTTI_DB: '', TUTTI_CONFIG: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      // Like `head -1`: read the first chunk, then close the pipe.
      child.stdout.once('data', () => child.stdout.destroy());
      const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
      expect([args.join(' '), code, stderr]).toEqual([args.join(' '), 0, '']);
    }
  });
});
