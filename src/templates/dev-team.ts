/**
 * `dev-team`: pm → architect → a person approves → engineer → qa, looping engineer ↔ qa until the
 * tests pass or `maxIterations`, then waiting for a person (seed 001's session pipeline).
 *
 * Tasks, in plan order (ids are stable: the sessions API and `tutti reject --to` use them):
 * | id | who | what |
 * |---|---|---|
 * | `pm` | agent with capability `pm` | answers (or writes) the PRD |
 * | `pm-docs` | step `tutti.documents` | `docs/PRD.md` in the work dir, committed |
 * | `architect` | capability `architect` | the tech spec and `scaffold.sh`, reading the PRD |
 * | `architect-docs` | step `tutti.documents` | `docs/TECH_SPEC.md`, `scaffold.sh`, committed |
 * | `approval` | a person | approve, or reject back to `architect`/`pm` with feedback |
 * | `scaffold` | step `tutti.scaffold` | runs the approved `scaffold.sh`, commits what it made |
 * | `engineer` | capability `code` (a coding agent) | implements, in a worktree of its own |
 * | `qa` | step `tutti.check` | runs the tests in the engineer's worktree; on failure `docs/BUG_REPORT.md` and a loop back to `engineer` |
 * | `review` | a person (with `reviewMerge`) | approves the tested work before it lands, or rejects back to `engineer` |
 * | `merge` | step `tutti.merge` | lands the engineer's branch in the target (merge queue); a conflict loops back to `engineer` |
 *
 * Nothing the engineer writes reaches the target branch before QA passed (and, with `reviewMerge`,
 * a person approved it).
 */
import { z } from 'zod';
import { agentSelectorSchema, type PlanInput } from '../core/plan/schema.js';
import { STEP_FUNCTIONS } from './steps/index.js';
import { stepCommandSchema, toArgv } from './steps/commands.js';
import type { Template } from './types.js';

/** Task ids of the dev-team plan. */
export const DEV_TEAM_TASKS = {
  pm: 'pm',
  pmDocs: 'pm-docs',
  architect: 'architect',
  architectDocs: 'architect-docs',
  approval: 'approval',
  scaffold: 'scaffold',
  engineer: 'engineer',
  qa: 'qa',
  review: 'review',
  merge: 'merge',
} as const;

/** The files the pipeline produces, relative to the work dir. */
export const DEV_TEAM_FILES = {
  prd: 'docs/PRD.md',
  techSpec: 'docs/TECH_SPEC.md',
  scaffold: 'scaffold.sh',
  bugReport: 'docs/BUG_REPORT.md',
} as const;

/** Phases of a dev-team run, in order; `completed` once every task succeeded. */
export const DEV_TEAM_PHASES = ['pm', 'architect', 'approval', 'engineer', 'qa', 'completed'] as const;
export type DevTeamPhase = (typeof DEV_TEAM_PHASES)[number];

const PHASE_OF_TASK: Readonly<Record<string, DevTeamPhase>> = {
  pm: 'pm',
  'pm-docs': 'pm',
  architect: 'architect',
  'architect-docs': 'architect',
  approval: 'approval',
  scaffold: 'engineer',
  engineer: 'engineer',
  qa: 'qa',
  review: 'qa',
  merge: 'qa',
};

/**
 * The phase a dev-team run is in: that of its first task (in plan order) that has not succeeded;
 * `completed` when all did. Tasks a plan grew with (unknown ids) are skipped.
 */
export function devTeamPhase(tasks: ReadonlyArray<{ id: string; status: string }>): DevTeamPhase {
  for (const t of tasks) {
    const phase = PHASE_OF_TASK[t.id];
    if (phase && t.status !== 'succeeded') return phase;
  }
  return 'completed';
}

/** Tasks a rejection may send the work back to. `engineer` only when the run waits on QA (loop exhausted). */
export const DEV_TEAM_REWIND_TARGETS = ['pm', 'architect', 'engineer'] as const;

export const devTeamParamsSchema = z.strictObject({
  maxIterations: z.number().int().min(1).max(100).default(5),
  testCommand: stepCommandSchema.default(['sh', 'test.sh']),
  testTimeoutMs: z.number().int().positive().default(600_000),
  runScaffold: z.boolean().default(true),
  docRetries: z.number().int().min(0).max(10).default(2),
  agents: z.strictObject({ pm: agentSelectorSchema.optional(), architect: agentSelectorSchema.optional(), engineer: agentSelectorSchema.optional() }).default({}),
  roleTimeoutMs: z.number().int().positive().optional(),
  approvalTtlMs: z.number().int().positive().optional(),
  projectName: z.string().min(1).max(200).optional(),
  commit: z.boolean().default(true),
  worktree: z.boolean().default(true),
  reviewMerge: z.boolean().default(false),
});
export type DevTeamParams = z.input<typeof devTeamParamsSchema>;

function shown(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

function prompts(mission: string, testCommand: string) {
  const m = `## Mission\n\n${mission.trim()}`;
  return {
    pm: [
      'You are the product manager of a small software team. Write the product requirements document (PRD) for the mission below.',
      'Markdown, with the sections: Overview, Goals, Non-goals, User stories, Functional requirements, Acceptance criteria, Open questions. Make every requirement concrete and testable.',
      `Deliver it as ${DEV_TEAM_FILES.prd}: if you can edit files, write that file; otherwise answer with the document only, without preamble.`,
      m,
    ].join('\n\n'),
    architect: [
      `You are the software architect. From the PRD (${DEV_TEAM_FILES.prd}), write two things:`,
      `1. ${DEV_TEAM_FILES.techSpec}: the technical specification — architecture, components and files, data model, interfaces, error handling, and the test plan.`,
      `2. ${DEV_TEAM_FILES.scaffold}: a POSIX shell script, run once from the project root after a person approves the spec, that creates the project skeleton (directories, manifests, empty modules, test files)${testCommand === 'sh test.sh' ? ' and a `test.sh` that runs the whole test suite and exits 0 only when every test passes' : ''}. QA runs \`${testCommand}\` from the project root.`,
      `If you can edit files, write both files. Otherwise answer with the tech spec in Markdown, and put the script in a fenced code block whose info string is \`sh ${DEV_TEAM_FILES.scaffold}\`.`,
      m,
    ].join('\n\n'),
    engineer: [
      `You are the engineer. Implement the project specified by ${DEV_TEAM_FILES.prd} and ${DEV_TEAM_FILES.techSpec}; the skeleton made by ${DEV_TEAM_FILES.scaffold} is in place.`,
      `QA runs \`${testCommand}\` from the project root: make it pass. If ${DEV_TEAM_FILES.bugReport} exists, it reports what failed in the last QA run: fix those failures first.`,
      m,
    ].join('\n\n'),
  };
}

/** The dev-team template. */
export const devTeamTemplate: Template<typeof devTeamParamsSchema> = {
  name: 'dev-team',
  description: 'pm → architect → approval → engineer ↔ qa (loops until the tests pass), producing PRD.md, TECH_SPEC.md, scaffold.sh, BUG_REPORT.md',
  params: devTeamParamsSchema,
  paramsHelp: {
    maxIterations: 'engineer ↔ qa rewinds before a person is asked (default 5)',
    testCommand: 'what QA runs in the work dir (default "sh test.sh")',
    testTimeoutMs: 'QA command timeout, ms (default 600000)',
    runScaffold: 'run the approved scaffold.sh before the engineer (default true)',
    docRetries: 'times a role is asked again when its answer lacks a document (default 2)',
    'agents.pm|architect|engineer': 'agent selector of a role (default capabilities pm, architect, code)',
    roleTimeoutMs: 'per-attempt timeout of the pm, architect and engineer, ms (default none)',
    approvalTtlMs: 'how long the run may wait for a person before it expires, ms (default 7 days)',
    projectName: 'a name for the run',
    commit: 'commit documents, scaffold and bug reports in git work dirs (default true)',
    worktree: 'the engineer works in a worktree of its own, landed by the merge step after QA (coding agents; default true)',
    reviewMerge: 'a person approves the tested work before it is merged (default false)',
  },
  build(mission, p) {
    const testArgv = toArgv(p.testCommand);
    const text = prompts(mission, shown(testArgv));
    const T = DEV_TEAM_TASKS;
    type TaskIn = PlanInput['tasks'][number];
    const role = (title: string, selector: TaskIn['agent'], capability: string): Pick<TaskIn, 'agent' | 'timeoutMs' | 'title'> => ({
      title,
      agent: selector ?? { capabilities: [capability] },
      ...(p.roleTimeoutMs ? { timeoutMs: p.roleTimeoutMs } : {}),
    });
    // Steps run on the built-in `function` agent, never on a role's function agent.
    const step = { agent: { capabilities: ['function'] } };
    const docsLoop = (rewindTo: string) => (p.docRetries > 0 ? { loop: { rewindTo, maxIterations: p.docRetries, onExhausted: 'fail' as const } } : {});
    const tasks: PlanInput['tasks'] = [
      { id: T.pm, ...role('Product requirements (PM)', p.agents.pm, 'pm'), prompt: text.pm },
      { id: T.pmDocs, title: `Write ${DEV_TEAM_FILES.prd}`, ...step, function: STEP_FUNCTIONS.documents, input: { from: T.pm, document: DEV_TEAM_FILES.prd, commit: p.commit }, dependsOn: [T.pm], ...docsLoop(T.pm) },
      { id: T.architect, ...role('Technical spec and scaffold (architect)', p.agents.architect, 'architect'), prompt: text.architect, input: { files: [DEV_TEAM_FILES.prd] }, dependsOn: [T.pmDocs] },
      {
        id: T.architectDocs,
        title: `Write ${DEV_TEAM_FILES.techSpec} and ${DEV_TEAM_FILES.scaffold}`,
        ...step,
        function: STEP_FUNCTIONS.documents,
        input: { from: T.architect, document: DEV_TEAM_FILES.techSpec, blocks: [DEV_TEAM_FILES.scaffold], commit: p.commit },
        dependsOn: [T.architect],
        ...docsLoop(T.architect),
      },
      {
        id: T.approval,
        title: 'Human approval of the PRD, tech spec and scaffold',
        approval: { message: `Review ${DEV_TEAM_FILES.prd}, ${DEV_TEAM_FILES.techSpec} and ${DEV_TEAM_FILES.scaffold}. Approve to scaffold and implement, or reject with feedback (back to the architect, or the pm).` },
        dependsOn: [T.architectDocs],
      },
    ];
    let beforeEngineer: string = T.approval;
    if (p.runScaffold) {
      tasks.push({ id: T.scaffold, title: `Run ${DEV_TEAM_FILES.scaffold}`, ...step, function: STEP_FUNCTIONS.scaffold, input: { script: DEV_TEAM_FILES.scaffold, commit: p.commit }, dependsOn: [T.approval], ...docsLoop(T.architect) });
      beforeEngineer = T.scaffold;
    }
    tasks.push(
      {
        id: T.engineer,
        ...role('Implementation (engineer)', p.agents.engineer, 'code'),
        prompt: text.engineer,
        acceptanceCriteria: [`\`${shown(testArgv)}\` exits 0 in the project root`],
        // QA and the merge step work in this worktree after the engineer: keep it for them.
        workspace: p.worktree ? { keepWorktree: true } : { worktree: false },
        dependsOn: [beforeEngineer],
      },
      {
        id: T.qa,
        title: 'QA: run the tests',
        ...step,
        function: STEP_FUNCTIONS.check,
        input: { command: testArgv, timeoutMs: p.testTimeoutMs, report: DEV_TEAM_FILES.bugReport, commit: p.commit, ...(p.worktree ? { in: T.engineer } : {}) },
        dependsOn: [T.engineer],
        loop: { rewindTo: T.engineer, maxIterations: p.maxIterations, onExhausted: 'approval' },
      },
    );
    let beforeMerge: string = T.qa;
    if (p.reviewMerge) {
      tasks.push({
        id: T.review,
        title: 'Human review of the tested implementation before it is merged',
        approval: { message: `QA passed. Review the engineer's branch (its diff against the target) and approve to merge it, or reject with feedback for the engineer.` },
        dependsOn: [T.qa],
        // A rejection goes back to the engineer (not to QA, the gate's dependency).
        loop: { rewindTo: T.engineer, maxIterations: p.maxIterations, onExhausted: 'approval' },
      });
      beforeMerge = T.review;
    }
    if (p.worktree) {
      tasks.push({
        id: T.merge,
        title: 'Merge the implementation into the target branch (merge queue)',
        ...step,
        function: STEP_FUNCTIONS.merge,
        input: { from: T.engineer, validate: [testArgv], timeoutMs: p.testTimeoutMs },
        dependsOn: [beforeMerge],
        loop: { rewindTo: T.engineer, maxIterations: p.maxIterations, onExhausted: 'approval' },
      });
    }
    const first = mission.trim().split('\n')[0]!.slice(0, 150);
    return {
      name: `dev-team: ${p.projectName ?? first}`,
      goal: mission,
      ...(p.approvalTtlMs ? { approvalTtlMs: p.approvalTtlMs } : {}),
      metadata: { maxIterations: p.maxIterations, ...(p.projectName ? { projectName: p.projectName } : {}) },
      tasks,
    };
  },
};
