/**
 * Seed 001 (`tutti/sessions`): every example of the Orchestrator API reference, translated to
 * TypeScript, against real engines with scripted roles.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidOperationError, Orchestrator, SessionLimitError, SessionNotFoundError, SessionStatus, SessionValidationError } from '../../src/compat/sessions/index.js';
import { scriptedOrchestrator, track, waitForSession } from './sessions-helpers.js';

const awaiting = (i: { status: string }) => i.status === SessionStatus.AWAITING_APPROVAL;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Exec agents (kept in the store, so any later Orchestrator on the database can use them). */
const EXEC_ROLES = [
  { id: 'pm-sh', driver: 'exec', capabilities: ['pm'], config: { command: ['sh', '-c', 'mkdir -p docs && echo "# PRD" > docs/PRD.md'] } },
  { id: 'architect-sh', driver: 'exec', capabilities: ['architect'], config: { command: ['sh', '-c', 'echo "# Tech spec" > docs/TECH_SPEC.md && printf "printf \'exit 0\\\\n\' > test.sh\\n" > scaffold.sh'] } },
  { id: 'engineer-sh', driver: 'exec', capabilities: ['code'], config: { command: ['sh', '-c', 'echo done > DONE'] } },
];

async function inDir<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const before = process.cwd();
  process.chdir(dir);
  try {
    return await fn();
  } finally {
    process.chdir(before);
  }
}

describe('seed 001: Orchestrator class', () => {
  it('Initialize with default config: data/orchestrator.db, 5 iterations, 7 days, projects/, SQLite — and no I/O until used', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tutti-sessions-cwd-'));
    await inDir(cwd, async () => {
      // Agents kept in the default database by an earlier Orchestrator.
      const setup = new Orchestrator({ agents: EXEC_ROLES });
      await setup.engine();
      await setup.close();

      // orchestrator = Orchestrator()
      const orchestrator = track(new Orchestrator());
      expect(orchestrator.config).toMatchObject({
        dbPath: resolve(cwd, 'data/orchestrator.db'),
        maxIterations: 5,
        sessionTtlDays: 7,
        workDirBase: resolve(cwd, 'projects'),
        useSqliteCheckpointer: true,
      });
      const sessionId = await orchestrator.startNewSession('Build a REST API for user authentication', 'auth-service');
      const info = await waitForSession(orchestrator, sessionId, awaiting, 'the approval');
      expect(info.workDir).toBe(resolve(cwd, 'projects', sessionId));
      await orchestrator.approveAndContinue(sessionId);
      const done = await waitForSession(orchestrator, sessionId, (i) => i.status === SessionStatus.COMPLETED, 'completion');
      expect(done.qaPassed).toBe(true);
      expect(existsSync(join(cwd, 'projects', sessionId, 'DONE'))).toBe(true);
    });
    // Constructing touches nothing on disk.
    const elsewhere = mkdtempSync(join(tmpdir(), 'tutti-sessions-lazy-'));
    await inDir(elsewhere, async () => {
      const lazy = new Orchestrator();
      expect(existsSync(join(elsewhere, 'data'))).toBe(false);
      await lazy.close();
    });
  });

  it('Initialize with custom config (OrchestratorConfig(db_path=..., ...))', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tutti-sessions-cwd-'));
    await inDir(cwd, async () => {
      const config = { dbPath: 'data/custom.db', maxIterations: 5, sessionTtlDays: 7, workDirBase: 'projects', useSqliteCheckpointer: true };
      const orchestrator = track(new Orchestrator(config));
      await orchestrator.engine();
      expect(existsSync(join(cwd, 'data/custom.db'))).toBe(true);
      expect(orchestrator.config.dbPath).toBe(resolve(cwd, 'data/custom.db'));
    });
    expect(() => new Orchestrator({ maxIterations: 0 })).toThrow(SessionValidationError);
  });

  it('the seed’s own names: Orchestrator(config=OrchestratorConfig(db_path=…, max_iterations=…, …)); unknown names are refused', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tutti-sessions-cwd-'));
    await inDir(cwd, async () => {
      const config = { db_path: 'data/custom.db', max_iterations: 3, session_ttl_days: 2, work_dir_base: 'work', use_sqlite_checkpointer: true };
      const orchestrator = track(new Orchestrator({ config }));
      expect(orchestrator.config).toMatchObject({ dbPath: resolve(cwd, 'data/custom.db'), maxIterations: 3, sessionTtlDays: 2, workDirBase: resolve(cwd, 'work'), useSqliteCheckpointer: true });
      expect(track(new Orchestrator(config)).config.maxIterations).toBe(3);
      await orchestrator.engine();
      expect(existsSync(join(cwd, 'data/custom.db'))).toBe(true);
    });
    expect(() => new Orchestrator({ max_iteration: 3 } as never)).toThrow(/unknown field 'max_iteration'/);
    expect(() => new Orchestrator({ max_iterations: 3, maxIterations: 4 })).toThrow(/same setting/);
    expect(() => new Orchestrator({ db_path: 7 } as never)).toThrow(SessionValidationError);
  });
});

describe('seed 001: session management', () => {
  it('start_new_session returns "sess_…"; an empty mission is a validation error; too many sessions a limit error', async () => {
    const { orchestrator } = scriptedOrchestrator({ maxActiveSessions: 1 });
    const sessionId = await orchestrator.startNewSession('Build a REST API for user authentication', 'auth-service');
    expect(sessionId).toMatch(/^sess_[0-9a-f]{16}$/);
    await expect(orchestrator.startNewSession('')).rejects.toBeInstanceOf(SessionValidationError);
    await expect(orchestrator.startNewSession('   ')).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
    await expect(orchestrator.startNewSession('another one')).rejects.toBeInstanceOf(SessionLimitError);
    await expect(orchestrator.startNewSession('another one')).rejects.toMatchObject({ code: 'ERR_LIMIT_EXCEEDED' });
  });

  it('get_session_status: status, phase, QA passed; unknown ids raise SessionNotFoundError', async () => {
    const { orchestrator } = scriptedOrchestrator();
    const id = await orchestrator.startNewSession('Build a greeter', 'greeter');
    const info = await waitForSession(orchestrator, id, awaiting, 'the approval');
    // print(f"Status: {info.status.value}") / Phase / QA Passed
    const printed = [`Status: ${info.status}`, `Phase: ${info.currentPhase}`, `QA Passed: ${info.qaPassed}`];
    expect(printed).toEqual(['Status: awaiting_approval', 'Phase: approval', 'QA Passed: false']);
    expect(info).toMatchObject({ sessionId: id, userMission: 'Build a greeter', projectName: 'greeter', iterationCount: 0 });
    expect(info.createdAt).toBeInstanceOf(Date);
    expect(info.updatedAt.getTime()).toBeGreaterThanOrEqual(info.createdAt.getTime());
    // The SessionNotFoundError example.
    let message = '';
    try {
      await orchestrator.getSessionStatus('invalid_id');
    } catch (e) {
      if (!(e instanceof SessionNotFoundError)) throw e;
      message = `Session not found: ${e.message}`;
    }
    expect(message).toBe('Session not found: session not found: invalid_id');
  });

  it('list_sessions: all, only running, the most recent 10', async () => {
    const { orchestrator } = scriptedOrchestrator();
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await orchestrator.startNewSession(`mission ${i}`));
    for (const id of ids) await waitForSession(orchestrator, id, awaiting, 'the approval');
    await orchestrator.approveAndContinue(ids[0]!);
    await waitForSession(orchestrator, ids[0]!, (i) => i.status === SessionStatus.COMPLETED, 'completion');

    const allSessions = await orchestrator.listSessions();
    expect(allSessions.map((s) => s.sessionId).sort()).toEqual([...ids].sort());
    // running = orchestrator.list_sessions(status=SessionStatus.RUNNING)
    const running = await orchestrator.listSessions(SessionStatus.RUNNING);
    expect(running).toEqual([]);
    const waiting = await orchestrator.listSessions({ status: SessionStatus.AWAITING_APPROVAL });
    expect(waiting).toHaveLength(11);
    expect((await orchestrator.listSessions('completed')).map((s) => s.sessionId)).toEqual([ids[0]]);
    expect((await orchestrator.listSessions({ status: SessionStatus.COMPLETED })).map((s) => s.sessionId)).toEqual([ids[0]]);
    expect(await orchestrator.listSessions(SessionStatus.AWAITING_APPROVAL, 3)).toHaveLength(3);
    expect(await orchestrator.listSessions({ limit: 10 })).toHaveLength(10);
    // recent = orchestrator.list_sessions(limit=10)
    const recent = await orchestrator.listSessions(undefined, 10);
    expect(recent).toHaveLength(10);
    // Newest first.
    const times = recent.map((s) => s.createdAt.getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
    // The 10 most recent: the two oldest sessions are left out.
    expect(recent.map((s) => s.sessionId)).not.toContain(ids[0]);
    expect(recent.map((s) => s.sessionId)).not.toContain(ids[1]);
    await expect(orchestrator.listSessions({ status: 'paused' as SessionStatus })).rejects.toBeInstanceOf(SessionValidationError);
    await expect(orchestrator.listSessions('paused' as SessionStatus)).rejects.toThrow(/unknown status 'paused'/);
    await expect(orchestrator.listSessions({ state: 'running' } as never)).rejects.toThrow(/unknown option 'state'/);
  });
});

describe('seed 001: approval workflow', () => {
  it('approve_and_continue: the session continues to the engineer; approving a session that is not waiting raises InvalidOperationError', async () => {
    const { orchestrator } = scriptedOrchestrator();
    const id = await orchestrator.startNewSession('Build a greeter');
    await waitForSession(orchestrator, id, awaiting, 'the approval');
    const info = await orchestrator.approveAndContinue(id);
    expect(`Session continuing to: ${info.currentPhase}`).toBe('Session continuing to: engineer');
    expect(info.status).toBe(SessionStatus.RUNNING);
    await expect(orchestrator.approveAndContinue(id)).rejects.toBeInstanceOf(InvalidOperationError);
    await expect(orchestrator.approveAndContinue('sess_missing')).rejects.toBeInstanceOf(SessionNotFoundError);
  });

  it('the InvalidOperationError example: approving a running session', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const { orchestrator, roles } = scriptedOrchestrator();
    const pm = roles.functions['role.pm']!;
    roles.functions['role.pm'] = async (ctx) => {
      await held;
      return pm(ctx);
    };
    const sessionRunning = await orchestrator.startNewSession('Build a greeter');
    await waitForSession(orchestrator, sessionRunning, (i) => i.status === SessionStatus.RUNNING, 'the pm to start');
    expect(await orchestrator.isRunning(sessionRunning)).toBe(true);
    let printed = '';
    try {
      await orchestrator.approveAndContinue(sessionRunning);
    } catch (e) {
      if (!(e instanceof InvalidOperationError)) throw e;
      printed = `Cannot approve: ${e.message}`;
    }
    expect(printed).toBe(`Cannot approve: cannot approve session ${sessionRunning}: it is running, not awaiting approval`);
    release();
    await waitForSession(orchestrator, sessionRunning, awaiting, 'the approval');
    expect(await orchestrator.isRunning(sessionRunning)).toBe(false);
    expect(await orchestrator.isRunning('sess_unknown')).toBe(false);
  });

  it('reject_and_iterate back to the architect with feedback; a bad reject_to is a validation error', async () => {
    const { orchestrator, roles } = scriptedOrchestrator();
    const id = await orchestrator.startNewSession('Build a REST API');
    await waitForSession(orchestrator, id, awaiting, 'the approval');
    await expect(orchestrator.rejectAndIterate(id, 'x', 'qa' as 'pm')).rejects.toBeInstanceOf(SessionValidationError);
    await expect(orchestrator.rejectAndIterate(id, '  ')).rejects.toBeInstanceOf(SessionValidationError);
    // engineer is upstream of nothing the spec review waits on.
    await expect(orchestrator.rejectAndIterate(id, 'x', 'engineer')).rejects.toBeInstanceOf(SessionValidationError);
    const info = await orchestrator.rejectAndIterate(id, 'Please add rate limiting to the API spec', 'architect');
    expect(info.status).not.toBe(SessionStatus.AWAITING_APPROVAL);
    await waitForSession(orchestrator, id, awaiting, 'the second review');
    const architect = roles.log.calls.filter((c) => c.role === 'architect');
    expect(architect).toHaveLength(2);
    expect(architect[1]!.feedback).toContain('Please add rate limiting to the API spec');
    // Back to the pm: everything after it is redone.
    await orchestrator.rejectAndIterate(id, 'The PRD must name the users', 'pm');
    await waitForSession(orchestrator, id, awaiting, 'the third review');
    expect(roles.log.calls.filter((c) => c.role === 'pm').map((c) => c.feedback)).toEqual([null, expect.stringContaining('The PRD must name the users')]);
    expect(roles.log.calls.filter((c) => c.role === 'architect')).toHaveLength(3);
    await expect(orchestrator.rejectAndIterate('sess_missing', 'x')).rejects.toBeInstanceOf(SessionNotFoundError);
  });
});

describe('seed 001: artifacts, logs, state', () => {
  it('get_artifacts: paths of the PRD, tech spec, scaffold, bug report (null until written) and work dir', async () => {
    const { orchestrator, dirs } = scriptedOrchestrator();
    const id = await orchestrator.startNewSession('Build a greeter');
    await waitForSession(orchestrator, id, awaiting, 'the approval');
    const artifacts = await orchestrator.getArtifacts(id);
    const workDir = join(dirs.workDirBase, id);
    // The seed's dict, key for key.
    expect(JSON.parse(JSON.stringify(artifacts))).toEqual({
      prd: join(workDir, 'docs/PRD.md'),
      tech_spec: join(workDir, 'docs/TECH_SPEC.md'),
      scaffold: join(workDir, 'scaffold.sh'),
      bug_report: null,
      work_dir: workDir,
    });
    expect([artifacts.techSpec, artifacts.bugReport, artifacts.workDir]).toEqual([artifacts.tech_spec, null, workDir]);
    // if artifacts["prd"]: with open(...) as f: prd_content = f.read()
    let prdContent = '';
    if (artifacts['prd']) prdContent = readFileSync(artifacts['prd'], 'utf8');
    expect(prdContent).toContain('# PRD');
    await orchestrator.approveAndContinue(id);
    await waitForSession(orchestrator, id, (i) => i.status === SessionStatus.COMPLETED, 'completion');
    expect((await orchestrator.getArtifacts(id))['bug_report']).toBe(join(workDir, 'docs/BUG_REPORT.md'));
    await expect(orchestrator.getArtifacts('nope')).rejects.toBeInstanceOf(SessionNotFoundError);
  });

  it('get_recent_logs(session_id, lines=100): the last lines of the session’s history', async () => {
    const { orchestrator } = scriptedOrchestrator();
    const id = await orchestrator.startNewSession('Build a greeter');
    await waitForSession(orchestrator, id, awaiting, 'the approval');
    const logs = await orchestrator.getRecentLogs(id, 100);
    const lines = logs.split('\n');
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z run:created name=dev-team: Build a greeter tasks=9$/);
    expect(lines[lines.length - 1]).toMatch(/ approval:requested approval message=Review docs\/PRD.md.* reason=gate$/);
    expect(logs).toContain('attempt:succeeded architect#1');
    const last3 = (await orchestrator.getRecentLogs(id, 3)).split('\n');
    expect(last3).toEqual(lines.slice(-3));
    expect((await orchestrator.getRecentLogs(id)).split('\n').length).toBeLessThanOrEqual(50);
    await expect(orchestrator.getRecentLogs('nope')).rejects.toBeInstanceOf(SessionNotFoundError);
  });

  it('SessionStatus has the seed’s six values', () => {
    expect(Object.entries(SessionStatus)).toEqual([
      ['PENDING', 'pending'],
      ['RUNNING', 'running'],
      ['AWAITING_APPROVAL', 'awaiting_approval'],
      ['COMPLETED', 'completed'],
      ['FAILED', 'failed'],
      ['EXPIRED', 'expired'],
    ]);
  });

  it('statuses come from the store: a new Orchestrator on the same database sees and resumes the sessions', async () => {
    const { orchestrator, roles, dirs } = scriptedOrchestrator();
    const id = await orchestrator.startNewSession('Build a greeter');
    await waitForSession(orchestrator, id, awaiting, 'the approval');
    await orchestrator.close();
    const second = track(new Orchestrator({ dbPath: dirs.dbPath, workDirBase: dirs.workDirBase, agents: roles.agents, functions: roles.functions, engine: { pollMs: 20 } }));
    expect((await second.getSessionStatus(id)).status).toBe(SessionStatus.AWAITING_APPROVAL);
    await second.approveAndContinue(id);
    const done = await waitForSession(second, id, (i) => i.status === SessionStatus.COMPLETED, 'completion');
    expect(done).toMatchObject({ qaPassed: true, iterationCount: 1, currentPhase: 'completed' });
  });

  it('useSqliteCheckpointer: false keeps sessions in memory only', async () => {
    const { orchestrator, roles, dirs } = scriptedOrchestrator({ useSqliteCheckpointer: false });
    const id = await orchestrator.startNewSession('Build a greeter');
    expect(existsSync(dirs.dbPath)).toBe(false);
    await orchestrator.close();
    const second = track(new Orchestrator({ dbPath: dirs.dbPath, workDirBase: dirs.workDirBase, agents: roles.agents, functions: roles.functions, useSqliteCheckpointer: false }));
    await expect(second.getSessionStatus(id)).rejects.toBeInstanceOf(SessionNotFoundError);
  });

  it('a session left waiting past sessionTtlDays expires', async () => {
    const { orchestrator } = scriptedOrchestrator({ sessionTtlDays: 0.5 / 86_400 });
    const id = await orchestrator.startNewSession('Build a greeter');
    const info = await waitForSession(orchestrator, id, (i) => i.status === SessionStatus.EXPIRED, 'expiry');
    expect(info.currentPhase).toBe('approval');
    await expect(orchestrator.approveAndContinue(id)).rejects.toBeInstanceOf(InvalidOperationError);
  });
});

describe('seed 001: usage examples', () => {
  it('Complete Workflow Example: monitor, review artifacts, reject once, approve, until completed', async () => {
    const { orchestrator, roles } = scriptedOrchestrator({}, { fixOnIteration: 2 });
    const out: string[] = [];
    const print = (s: string) => out.push(s);
    const answers = ['n', 'y'];
    const feedbacks = ['Please add rate limiting to the API spec'];
    const input = (prompt: string) => {
      print(prompt);
      return (prompt.startsWith('Approve') ? answers : feedbacks).shift()!;
    };

    // Start a new session
    const sessionId = await orchestrator.startNewSession('Create a CLI tool for file encryption', 'encrypt-cli');
    print(`Created session: ${sessionId}`);

    // Monitor progress
    for (;;) {
      const info = await orchestrator.getSessionStatus(sessionId);
      print(`Phase: ${info.currentPhase}, Status: ${info.status}`);

      if (info.status === SessionStatus.AWAITING_APPROVAL) {
        // Review artifacts
        const artifacts = await orchestrator.getArtifacts(sessionId);
        print(`PRD: ${artifacts['prd']}`);
        print(`Tech Spec: ${artifacts['tech_spec']}`);

        // Approve or reject
        const userInput = input('Approve? (y/n): ');
        if (userInput.toLowerCase() === 'y') {
          await orchestrator.approveAndContinue(sessionId);
        } else {
          const feedback = input('Feedback: ');
          await orchestrator.rejectAndIterate(sessionId, feedback);
        }
      } else if (info.status === SessionStatus.COMPLETED || info.status === SessionStatus.FAILED) {
        break;
      }
      await sleep(20); // time.sleep(5)
    }

    // Final status
    const finalInfo = await orchestrator.getSessionStatus(sessionId);
    print(`Final Status: ${finalInfo.status}`);
    print(`QA Passed: ${finalInfo.qaPassed}`);

    expect(out.filter((l) => l.startsWith('Approve?'))).toHaveLength(2);
    expect(out).toContain('Feedback: ');
    expect(out.slice(-2)).toEqual(['Final Status: completed', 'QA Passed: true']);
    expect(out.find((l) => l.startsWith('PRD: '))).toMatch(/docs\/PRD\.md$/);
    expect(finalInfo.iterationCount).toBe(1);
    expect(roles.log.calls.filter((c) => c.role === 'architect')[1]!.feedback).toContain('Please add rate limiting to the API spec');
    // The phases seen were those of the pipeline, in order.
    const phases = [...new Set(out.filter((l) => l.startsWith('Phase: ')).map((l) => l.split(',')[0]!.slice(7)))];
    expect(phases.indexOf('approval')).toBeLessThan(phases.indexOf('completed'));
  });

  it('Dashboard Integration Example: list the sessions, approve the selected one', async () => {
    const { orchestrator } = scriptedOrchestrator();
    const getOrchestrator = () => orchestrator; // @st.cache_resource
    const a = await getOrchestrator().startNewSession('first');
    const b = await getOrchestrator().startNewSession('second');
    await waitForSession(orchestrator, a, awaiting, 'a');
    await waitForSession(orchestrator, b, awaiting, 'b');
    const written: string[] = [];
    const sessions = await getOrchestrator().listSessions();
    for (const session of sessions) written.push(`${session.sessionId}: ${session.status}`);
    expect(written.sort()).toEqual([`${a}: awaiting_approval`, `${b}: awaiting_approval`].sort());
    const selectedSessionId = b;
    // if st.button("Approve"):
    await getOrchestrator().approveAndContinue(selectedSessionId);
    expect((await getOrchestrator().getSessionStatus(a)).status).toBe(SessionStatus.AWAITING_APPROVAL);
    expect((await getOrchestrator().getSessionStatus(b)).status).not.toBe(SessionStatus.AWAITING_APPROVAL);
  });

  it('QA that never passes asks a person after maxIterations; approving accepts it without qaPassed', async () => {
    const { orchestrator } = scriptedOrchestrator({ maxIterations: 2 }, { fixOnIteration: 99 });
    const id = await orchestrator.startNewSession('Build a greeter');
    await waitForSession(orchestrator, id, awaiting, 'the spec review');
    await orchestrator.approveAndContinue(id);
    const stuck = await waitForSession(orchestrator, id, (i) => awaiting(i) && i.currentPhase === 'qa', 'help after QA');
    expect(stuck).toMatchObject({ iterationCount: 2, qaPassed: false });
    await orchestrator.approveAndContinue(id);
    // The merge step lands the accepted work, then the session completes.
    const done = await waitForSession(orchestrator, id, (i) => i.status === SessionStatus.COMPLETED, 'completed after the merge');
    expect(done).toMatchObject({ status: SessionStatus.COMPLETED, qaPassed: false, iterationCount: 2 });
  });
});
