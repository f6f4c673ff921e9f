/**
 * Crash recovery with real processes: `tutti resume` is killed with SIGKILL mid-run several
 * times, then run to the end. Every run completes, no committed completion runs again, the
 * event logs have no gaps, and nothing a killed engine started survives.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/store/sqlite/index.js';
import { collect, runCli, startCli, tempDir } from './helpers/cli.js';

const LEVELS = 4;
const WIDTH = 8;
const RUNS = 3;

function layeredPlan(logFile: string, marker: string): string {
  const tasks: string[] = [];
  for (let l = 0; l < LEVELS; l++) {
    for (let i = 0; i < WIDTH; i++) {
      const deps = l === 0 ? [] : [`l${l - 1}-${i}`, `l${l - 1}-${(i + 1) % WIDTH}`];
      tasks.push(
        `  - id: l${l}-${i}\n    command: [sh, -c, 'echo "$TUTTI_RUN_ID $TUTTI_TASK_ID $TUTTI_ATTEMPT" >> ${logFile}; sleep 0.15']\n    env: { MARKER: ${marker} }\n    dependsOn: [${deps.join(', ')}]`,
      );
    }
  }
  return `concurrency: 4\ntasks:\n${tasks.join('\n')}\n`;
}

function markedProcesses(marker: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (readFileSync(`/proc/${name}/environ`, 'utf8').includes(`MARKER=${marker}`)) out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('kill -9 of a running tutti', () => {
  it('loses nothing: every run completes, committed completions never run again, logs have no gaps', async () => {
    const dir = tempDir('tutti-crash-');
    const log = join(dir, 'executions.log');
    const marker = `tutti-crash-${process.pid}-${Date.now()}`;
    const plan = join(dir, 'plan.yaml');
    writeFileSync(plan, layeredPlan(log, marker));
    writeFileSync(join(dir, 'tutti.config.yaml'), 'shellConcurrency: 8\nkillGraceMs: 200\n');
    const ids: string[] = [];
    for (let r = 0; r < RUNS; r++) {
      const c = await runCli(['run', '--plan', plan, '--detach'], { dataDir: dir });
      expect(c.code, c.stderr).toBe(0);
      ids.push(c.stdout.trim());
    }

    let kills = 0;
    const executed = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').length - 1 : 0);
    for (let round = 0; round < 5; round++) {
      const child = startCli(['resume'], { dataDir: dir });
      const done = collect(child);
      // Let it start some work (however slow the machine is), then kill it without warning.
      const before = executed();
      for (let i = 0; i < 400 && child.exitCode === null && executed() < before + 2 + round; i++) await sleep(25);
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        kills++;
      }
      await done;
    }
    expect(kills).toBeGreaterThanOrEqual(3);

    const final = await runCli(['resume', '--json'], { dataDir: dir });
    expect(final.code, final.stderr).toBe(0);

    const store = new SqliteStore({ path: join(dir, 'tutti.db') });
    try {
      const executions = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
      const ranAttempts = new Map<string, number[]>();
      for (const line of executions) {
        const [runId, taskId, n] = line.split(' ');
        const key = `${runId}/${taskId}`;
        ranAttempts.set(key, [...(ranAttempts.get(key) ?? []), Number(n)]);
      }
      let interrupted = 0;
      for (const id of ids) {
        const run = await store.getRun(id);
        expect(run?.status).toBe('completed');
        expect(run?.tasksFinished).toBe(LEVELS * WIDTH);
        for (const task of await store.listTasks(id)) {
          expect(task.status).toBe('succeeded');
          const attempts = await store.listAttempts(id, task.id);
          const succeeded = attempts.filter((a) => a.status === 'succeeded');
          // Exactly one committed completion per task.
          expect(succeeded).toHaveLength(1);
          const winner = succeeded[0]!.n;
          // Earlier attempts were interrupted by a kill, never completed.
          for (const a of attempts) if (a.n !== winner) expect(a.status).toBe('interrupted');
          interrupted += attempts.length - 1;
          // No execution after the committed completion, and no attempt executed twice.
          const ran = ranAttempts.get(`${id}/${task.id}`) ?? [];
          expect(ran).toContain(winner);
          expect(Math.max(...ran)).toBe(winner);
          expect(new Set(ran).size).toBe(ran.length);
        }
        // The event log has no gaps.
        const events = await store.listEvents(id);
        expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
        expect(events[events.length - 1]?.type).toBe('run:completed');
        // Dependencies held: no task started before its dependencies finished.
        const view = await store.listAttempts(id);
        const finishedAt = new Map(view.filter((a) => a.status === 'succeeded').map((a) => [a.taskId, a.finishedAt!] as const));
        for (const task of await store.listTasks(id)) {
          for (const a of view.filter((x) => x.taskId === task.id)) {
            for (const d of task.dependsOn) expect(a.startedAt).toBeGreaterThanOrEqual(finishedAt.get(d)!);
          }
        }
      }
      // The kills did interrupt work (otherwise this test proves nothing).
      expect(interrupted).toBeGreaterThan(0);
      expect(await store.listWorkers()).toEqual([]);
    } finally {
      await store.close();
    }
    // Nothing the killed engines started is still running.
    expect(markedProcesses(marker)).toEqual([]);
  }, 120_000);
});
