/** The planner: an agent answers JSON, the answer is validated, issues go back for corrections, then a plan or a typed failure. */
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/create-engine.js';
import { createRunFromGoal, extractJson, generatePlan, PlannerError } from '../../src/planner/index.js';
import { startEngine, tempDir } from '../engine/helpers.js';
import { startFakeLlm, sseAnswer } from '../llm/server.js';

const planner = (fn: string) => ({ id: 'planner-bot', driver: 'function', capabilities: ['plan'], config: { function: fn } });

const GOOD = { name: 'release', tasks: [{ id: 'build', command: ['true'] }, { id: 'publish', command: ['true'], dependsOn: ['build'] }] };

describe('planner', () => {
  it('sends validation errors back until the answer is a valid plan', async () => {
    const seen: Array<{ attempt: number; prompt: string | undefined; feedback: string | null }> = [];
    const answers = [
      'Sure! Here is the plan: {"tasks": [',
      JSON.stringify({ tasks: [{ id: 'build', command: ['true'], dependsOn: ['setup'] }, { id: 'deploy', agent: { capabilities: ['kubernetes'] }, prompt: 'deploy' }] }),
      `Corrected:\n\`\`\`json\n${JSON.stringify(GOOD, null, 2)}\n\`\`\`\n`,
    ];
    const engine = await startEngine({
      agents: [planner('draft')],
      functions: {
        draft: ({ attempt, prompt, feedback }) => {
          seen.push({ attempt, prompt, feedback });
          return answers[attempt - 1];
        },
      },
    });
    const out = await generatePlan(engine, 'Build and publish the release', { maxCorrections: 3 });
    expect(out.plan).toMatchObject({ name: 'release', tasks: [{ id: 'build' }, { id: 'publish', dependsOn: ['build'] }] });
    expect(out.corrections).toBe(2);
    expect(seen[0]!.prompt).toContain('Goal:\nBuild and publish the release');
    expect(seen[0]!.prompt).toContain('- shell (driver exec; capabilities: shell)');
    expect(seen[0]!.feedback).toBeNull();
    expect(seen[1]!.feedback).toContain('holds no valid JSON object');
    expect(seen[2]!.feedback).toContain("unknown");
    expect(seen[2]!.feedback).toContain('setup');
    expect(seen[2]!.feedback).toContain("no agent can run task 'deploy'");
    // The planning run keeps every draft.
    const run = await engine.getRun(out.runId);
    expect(run!.tasks.find((t) => t.id === 'draft')!.attempts).toHaveLength(3);
    expect(run!.metadata).toMatchObject({ planner: true });
  });

  it('gives up after maxCorrections with a PlannerError listing what was still wrong', async () => {
    const engine = await startEngine({ agents: [planner('bad')], functions: { bad: () => JSON.stringify({ tasks: [{ id: 'a', dependsOn: ['a'], command: ['true'] }] }) } });
    const err = await generatePlan(engine, 'anything', { maxCorrections: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlannerError);
    expect(err).toMatchObject({ code: 'ERR_PLANNER_FAILED', details: { corrections: 1, status: 'failed' } });
    const pe = err as PlannerError;
    expect(pe.issues.join('\n')).toContain("task 'a' depends on itself");
    expect(pe.message).toContain('no valid plan after 1 correction');
    expect((await engine.getRun(pe.runId))!.tasks[0]!.attempts).toHaveLength(2);
  });

  it('a failing planning agent is a PlannerError too; bad calls are typed errors', async () => {
    const engine = await startEngine({ agents: [planner('fail')] });
    await expect(generatePlan(engine, 'x')).rejects.toMatchObject({ code: 'ERR_PLANNER_FAILED', message: expect.stringContaining('failed on purpose') });
    await expect(generatePlan(engine, ' ')).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
    await expect(generatePlan(engine, 'x', { agent: { capabilities: ['nobody'] } })).rejects.toMatchObject({ code: 'ERR_NO_CAPABLE_AGENT' });
    const idle = createEngine({ dataDir: tempDir() });
    await expect(generatePlan(idle, 'x')).rejects.toMatchObject({ code: 'ERR_ENGINE_STOPPED' });
    await idle.stop();
  });

  it('reads large answers stored as blobs', async () => {
    const tasks = Array.from({ length: 300 }, (_, i) => ({ id: `step-${i}`, title: `Step number ${i} of a long plan`, command: ['true'], dependsOn: i ? [`step-${i - 1}`] : [] }));
    const engine = await startEngine({ agents: [planner('big')], functions: { big: () => JSON.stringify({ tasks }) } });
    const out = await generatePlan(engine, 'a long chain');
    expect(out.plan.tasks).toHaveLength(300);
    const check = (await engine.store.listAttempts(out.runId, 'check'))[0]!;
    expect(check.outputRef).not.toBeNull();
  });

  it('an llm planner: plan, then run what it planned', async () => {
    const fake = await startFakeLlm();
    fake.queue({ body: sseAnswer(`\`\`\`json\n${JSON.stringify(GOOD)}\n\`\`\``) });
    const engine = await startEngine({ llm: { env: {} }, agents: [{ id: 'planner-llm', driver: 'llm', capabilities: ['plan'], config: { baseUrl: fake.url, model: 'fake-model' } }] });
    const run = await createRunFromGoal(engine, 'Ship the release');
    const done = await engine.waitForRun(run.id, { timeoutMs: 10_000 });
    expect(done.status).toBe('completed');
    expect(done.tasks.map((t) => t.id)).toEqual(['build', 'publish']);
    expect(done.metadata).toMatchObject({ plannedBy: run.planRunId });
    expect(fake.requests[0]!.body.messages![0]!.content).toContain('Ship the release');
  });

  it('extracts JSON from plain answers, fences and prose', () => {
    expect(extractJson('{"a":1}')).toEqual({ a: 1 });
    expect(extractJson('text\n```json\n{"a":2}\n```\nmore')).toEqual({ a: 2 });
    expect(extractJson('The plan is {"a":3}. Enjoy')).toEqual({ a: 3 });
    expect(extractJson({ a: 4 })).toEqual({ a: 4 });
    expect(() => extractJson('')).toThrow(/empty/);
    expect(() => extractJson('no json here')).toThrow(/no valid JSON/);
  });
});
