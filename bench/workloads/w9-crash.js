/**
 * W9: 1,000 runs in flight (each a chain of 3 exec tasks that append
 * "$TUTTI_RUN_ID $TUTTI_TASK_ID $TUTTI_ATTEMPT" to an execution log, then sleep 0.2 s), executed
 * by a `tutti resume` child (dist/cli/bin.js) that gets SIGKILL once a third of the tasks have
 * committed; then a new `tutti resume` runs everything to the end.
 *
 * Measured: restart → first new attempt started (store timestamps); restart → recovery done (the
 * CLI prints "resuming N runs" after start(), which recovers the dead worker's attempts);
 * restart → every task that was running at the kill has started again; runs not completed at the
 * end (lost); tasks committed before the kill that executed again (from the execution log, and
 * from the store's attempts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exited, startCli } from '../lib/cli.js';
import { atMost, row } from '../lib/rows.js';
import { chainTasks, loadTutti, removeDir, sleep, tempDir } from '../lib/tutti.js';

export const id = 'W9';
export const title = 'kill -9 with 1,000 runs in flight, then restart';

const RUNS = 1000;
const CHAIN = 3;
/** Kill once this share of all tasks has committed (as many tasks as there are runs). */
const KILL_AT = 1 / CHAIN;

const key = (runId, taskId) => `${runId}\u0000${taskId}`;

/** @param {import('../run.js').Context} ctx */
export async function run(ctx) {
  const { createEngine, SqliteStore } = await loadTutti();
  const dir = tempDir('tutti-bench-w9-');
  const log = join(dir, 'executions.log');
  writeFileSync(log, '');
  // Unlimited shell concurrency: every run's current task executes at once.
  writeFileSync(join(dir, 'tutti.config.yaml'), 'shellConcurrency: null\nkillGraceMs: 200\n');
  const tasks = chainTasks(CHAIN, { command: ['sh', '-c', `echo "$TUTTI_RUN_ID $TUTTI_TASK_ID $TUTTI_ATTEMPT" >> '${log}'; exec sleep 0.2`] });

  // 1. Create the runs with the library (1,000 `tutti run --detach` processes would take minutes).
  const creator = createEngine({ dataDir: dir, workDir: dir, shellConcurrency: null });
  const ids = [];
  for (let i = 0; i < RUNS; i++) ids.push((await creator.createRun({ name: `w9-${i}`, tasks })).id);
  await creator.stop();
  const store = new SqliteStore({ path: join(dir, 'tutti.db') });
  const total = RUNS * CHAIN;

  try {
    // 2. Execute, and kill -9 once enough has committed.
    const prof = (name) => (ctx.flags.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(ctx.flags.profileDir, `W9-${name}`)}`] : []);
    const first = startCli(['resume'], dir, prof('first'));
    const firstDone = exited(first);
    const deadline = Date.now() + 120_000;
    let succeeded = 0;
    while (first.exitCode === null && first.signalCode === null) {
      succeeded = (await store.stats()).tasksByStatus.succeeded ?? 0;
      if (succeeded >= total * KILL_AT) break;
      if (Date.now() > deadline) throw new Error(`W9: only ${succeeded} tasks committed after 120 s`);
      await sleep(20);
    }
    first.kill('SIGKILL');
    const killed = await firstDone;
    if (killed.signal !== 'SIGKILL') throw new Error(`W9: the first tutti resume exited ${killed.code} before the kill (${succeeded} tasks committed): ${killed.stderr.slice(-800)}`);

    // 3. What was committed, and what was running, at the kill.
    const committed = new Set();
    const running = new Set();
    let unfinishedRuns = 0;
    for (const runId of ids) {
      let done = 0;
      for (const t of await store.listTasks(runId)) {
        if (t.status === 'succeeded') {
          committed.add(key(runId, t.id));
          done++;
        } else if (t.status === 'running') running.add(key(runId, t.id));
      }
      if (done < CHAIN) unfinishedRuns++;
    }
    ctx.log(`W9: killed with ${committed.size}/${total} tasks committed, ${running.size} running, ${unfinishedRuns} runs unfinished`);

    // 4. Restart.
    const restartAt = Date.now();
    const second = startCli(['resume'], dir, prof('restart'));
    let recoveredAt = null;
    second.stderr.on('data', (b) => {
      if (recoveredAt === null && /resuming \d+ run|no unfinished runs/.test(String(b))) recoveredAt = Date.now();
    });
    const end = await exited(second);
    const endAt = Date.now();
    if (end.code !== 0) throw new Error(`W9: second tutti resume exited ${end.code}: ${end.stderr.slice(-500)}`);

    // 5. Audit.
    const executions = new Map();
    for (const line of readFileSync(log, 'utf8').split('\n')) {
      if (!line) continue;
      const [runId, taskId] = line.split(' ');
      const k = key(runId, taskId);
      executions.set(k, (executions.get(k) ?? 0) + 1);
    }
    let lost = 0;
    let rerunLog = 0;
    let rerunStore = 0;
    let neverRan = 0;
    let firstNew = Infinity;
    let lastRestart = -Infinity;
    const mark = `:${second.pid}:`;
    for (const runId of ids) {
      const r = await store.getRun(runId);
      if (r?.status !== 'completed') lost++;
      const attempts = await store.listAttempts(runId);
      for (const a of attempts) {
        if (!a.workerId.includes(mark)) continue;
        firstNew = Math.min(firstNew, a.startedAt);
        if (running.has(key(runId, a.taskId))) lastRestart = Math.max(lastRestart, a.startedAt);
      }
      for (let i = 0; i < CHAIN; i++) {
        const k = key(runId, `t${i}`);
        const ran = executions.get(k) ?? 0;
        if (ran === 0) neverRan++;
        if (!committed.has(k)) continue;
        if (ran > 1) rerunLog++;
        if (attempts.filter((a) => a.taskId === `t${i}`).length > 1) rerunStore++;
      }
    }
    if (neverRan > 0) throw new Error(`W9: ${neverRan} tasks have no execution in the log: the log does not record executions`);
    const atKill = `at the kill: ${committed.size} of ${total} tasks committed, ${running.size} running, ${unfinishedRuns} runs in flight`;
    ctx.log(`W9: restart → first attempt ${firstNew - restartAt} ms, recovered ${recoveredAt - restartAt} ms, all done ${endAt - restartAt} ms; lost ${lost}, re-run ${rerunLog}/${rerunStore}`);
    return [
      row('W9', 'restart → first new attempt started', 'ms', [firstNew - restartAt], { target: atMost(2000, '≤ 2 s'), note: 'includes the CLI process start' }),
      row('W9', 'restart → recovery done ("resuming" printed)', 'ms', [recoveredAt === null ? NaN : recoveredAt - restartAt], { note: atKill }),
      row('W9', 'restart → every interrupted task restarted', 'ms', [running.size ? lastRestart - restartAt : NaN], { note: `all runs completed after ${endAt - restartAt} ms` }),
      row('W9', 'runs lost (not completed at the end)', 'count', [lost], { target: atMost(0, '0') }),
      row('W9', 'committed tasks re-run', 'count', [rerunLog], { target: atMost(0, '0'), note: `from the execution log; the store's attempts say ${rerunStore}` }),
    ];
  } finally {
    await store.close();
    removeDir(dir);
  }
}
