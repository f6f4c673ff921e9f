/**
 * What a newcomer meets first, through the built binary: help, typos, statuses and exit codes
 * that never call failed work a success, interrupted runs named as such, lists in creation order
 * with columns that hold long ids.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect, runCli, startCli, tempDir } from './helpers/cli.js';

/** What these tests read of `tutti status --json` and `tutti list --json`. */
interface View {
  id: string;
  status: string;
  error: string | null;
  counts: Record<string, number>;
  interrupted: { reason: string; hint: string } | null;
}

function plan(dir: string, name: string, body: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(body));
  return path;
}

/** Polls `tutti status --json` until `ok` holds for the view (never a fixed sleep). */
async function waitForView(dir: string, runId: string, ok: (v: View) => boolean): Promise<View> {
  for (;;) {
    const r = await runCli(['status', runId, '--json'], { dataDir: dir });
    if (r.code === 0) {
      const v = JSON.parse(r.stdout) as View;
      if (ok(v)) return v;
    }
    await new Promise((res) => setTimeout(res, 100));
  }
}

describe('CLI manners', () => {
  it('bare tutti prints the help and exits 0', async () => {
    const dir = tempDir();
    const r = await runCli([], { dataDir: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: tutti \[options\] \[command\]/);
    expect(r.stdout).toMatch(/^ {2}status \[options\] <run>/m);
    expect(r.stderr).toBe('');
  });

  it('a mistyped command gets "did you mean" and exit 2; an unknown word is not taken as a goal', async () => {
    const dir = tempDir();
    const typo = await runCli(['statsu', 'r1'], { dataDir: dir });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe("tutti: unknown command 'statsu': did you mean 'status'? (tutti --help lists the commands)\n");
    const swapped = await runCli(['lsit'], { dataDir: dir });
    expect(swapped.stderr).toContain("did you mean 'list'?");
    const unknown = await runCli(['frobnicate'], { dataDir: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    // Nothing was created by any of them.
    expect((await runCli(['list', '--json'], { dataDir: dir })).stdout.trim()).toBe('[]');
  });
});

describe('truthful status', () => {
  it('a run whose every task failed ends failed with exit 1, even when each may fail', async () => {
    const dir = tempDir();
    const file = plan(dir, 'both-fail.json', {
      name: 'both fail',
      tasks: [
        { id: 'item-1', command: ['sh', '-c', 'exit 3'], continueOnFailure: true },
        { id: 'item-2', command: ['sh', '-c', 'exit 4'], continueOnFailure: true },
      ],
    });
    const r = await runCli(['run', '--plan', file, '--run-id', 'both-fail'], { dataDir: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('status failed');
    expect(r.stdout).toContain('tasks 0/2 succeeded · 2 failed');
    expect(r.stdout).not.toMatch(/100%/);
    const view = JSON.parse((await runCli(['status', 'both-fail', '--json'], { dataDir: dir })).stdout) as View;
    expect(view.status).toBe('failed');
    expect(view.error).toBe('every task failed or was skipped (2 failed)');
    expect(view.counts).toMatchObject({ total: 2, succeeded: 0, failed: 2 });
  });

  it('optional failures beside a success complete the run (exit 0) and say so', async () => {
    const dir = tempDir();
    const file = plan(dir, 'one-fails.json', {
      tasks: [
        { id: 'ok', command: ['true'] },
        { id: 'flaky', command: ['false'], continueOnFailure: true },
        { id: 'after', command: ['true'], dependsOn: ['flaky'] },
      ],
    });
    const r = await runCli(['run', '--plan', file, '--run-id', 'one-fails'], { dataDir: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('status completed');
    expect(r.stdout).toContain('tasks 1/3 succeeded · 1 failed · 1 skipped');
    expect(r.stdout).toContain('completed with 1 optional task failed');
  });

  it('counts in lists come from the tasks: cancelled is not succeeded, pending is counted', async () => {
    const dir = tempDir();
    const file = plan(dir, 'p.json', { tasks: [{ id: 'a', command: ['true'] }, { id: 'b', command: ['true'], dependsOn: ['a'] }] });
    expect((await runCli(['run', '--plan', file, '--run-id', 'waiting', '--detach'], { dataDir: dir })).code).toBe(0);
    expect((await runCli(['run', '--plan', file, '--run-id', 'stopped', '--detach'], { dataDir: dir })).code).toBe(0);
    expect((await runCli(['cancel', 'stopped'], { dataDir: dir })).code).toBe(0);
    const runs = JSON.parse((await runCli(['list', '--json'], { dataDir: dir })).stdout) as View[];
    const byId = new Map(runs.map((r) => [r.id, r]));
    expect(byId.get('waiting')!.counts).toMatchObject({ total: 2, ready: 1, pending: 1, succeeded: 0 });
    expect(byId.get('stopped')!.counts).toMatchObject({ total: 2, cancelled: 2, succeeded: 0 });
    // The list's counts are the run view's.
    const view = JSON.parse((await runCli(['status', 'stopped', '--json'], { dataDir: dir })).stdout) as View;
    expect(byId.get('stopped')!.counts).toEqual(view.counts);
  });

  it('after Ctrl-C the run shows interrupted with the resume command, in status, list and JSON', async () => {
    const dir = tempDir();
    const file = plan(dir, 'slow.json', { tasks: [{ id: 'slow', command: ['sleep', '30'] }] });
    const child = startCli(['run', '--plan', file, '--run-id', 'cut'], { dataDir: dir });
    const done = collect(child);
    await waitForView(dir, 'cut', (v) => v.counts.running === 1);
    child.kill('SIGINT');
    expect((await done).code).toBe(130);
    const view = JSON.parse((await runCli(['status', 'cut', '--json'], { dataDir: dir })).stdout) as View;
    expect(view.status).toBe('running');
    expect(view.interrupted).toMatchObject({ hint: 'resume with: tutti resume' });
    const text = (await runCli(['status', 'cut'], { dataDir: dir })).stdout;
    expect(text).toContain('status interrupted');
    expect(text).toContain('resume with: tutti resume');
    const list = (await runCli(['list'], { dataDir: dir })).stdout;
    expect(list.split('\n')[1]).toMatch(/^cut\s+interrupted\s/);
  });

  it('a run whose engine was killed shows interrupted once its heartbeat is stale', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'tutti.config.yaml'), 'leaseMs: 400\n');
    const file = plan(dir, 'slow.json', { tasks: [{ id: 'slow', command: ['sleep', '30'] }] });
    const child = startCli(['run', '--plan', file, '--run-id', 'killed'], { dataDir: dir });
    const done = collect(child);
    const live = await waitForView(dir, 'killed', (v) => v.counts.running === 1);
    expect(live.interrupted).toBeNull();
    child.kill('SIGKILL');
    await done;
    const view = await waitForView(dir, 'killed', (v) => v.interrupted !== null);
    expect(view.status).toBe('running');
    expect(view.interrupted!.reason).toMatch(/no live engine holds this run/);
  });
});

describe('lists', () => {
  it('sort by creation time, newest first, whatever the ids; columns hold long ids', async () => {
    const dir = tempDir();
    const file = plan(dir, 'p.json', { tasks: [{ id: 'a', command: ['true'] }] });
    const long = `a-very-long-run-id-chosen-by-a-user-${'x'.repeat(40)}`;
    for (const id of ['zzz-first', long, 'aaa-last']) expect((await runCli(['run', '--plan', file, '--run-id', id, '--detach'], { dataDir: dir })).code).toBe(0);
    const json = JSON.parse((await runCli(['list', '--json'], { dataDir: dir })).stdout) as Array<{ id: string }>;
    expect(json.map((r) => r.id)).toEqual(['aaa-last', long, 'zzz-first']);
    const page = JSON.parse((await runCli(['list', '--json', '--limit', '1', '--before', long], { dataDir: dir })).stdout) as Array<{ id: string }>;
    expect(page.map((r) => r.id)).toEqual(['zzz-first']);
    const lines = (await runCli(['list'], { dataDir: dir })).stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^RUN\s+STATUS\s+TASKS\s+ELAPSED\s+CREATED\s+NAME$/);
    // Every row's status starts in the header's STATUS column.
    const col = lines[0]!.indexOf('STATUS');
    for (const line of lines.slice(1)) expect(line.slice(col)).toMatch(/^(interrupted|queued) /);
  });
});
