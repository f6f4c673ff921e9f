/** A session's state as seed 001 shows it, derived from the run's rows in the store. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { EventRecord, RunRecord, RunStatus } from '../../core/model.js';
import type { Store } from '../../store/types.js';
import { DEV_TEAM_FILES, DEV_TEAM_TASKS, devTeamPhase } from '../../templates/dev-team.js';
import { HUMAN_AGENT } from '../../templates/steps/output.js';
import { SessionStatus, type SessionArtifacts, type SessionInfo } from './types.js';

/** The template whose runs are sessions. */
export const SESSION_TEMPLATE = 'dev-team';

/** Whether a run is a session (a run of the dev-team template). */
export function isSession(run: RunRecord): boolean {
  return run.metadata.template === SESSION_TEMPLATE;
}

const STATUS_OF_RUN: Record<RunStatus, SessionStatus> = {
  queued: SessionStatus.PENDING,
  running: SessionStatus.RUNNING,
  awaiting_approval: SessionStatus.AWAITING_APPROVAL,
  completed: SessionStatus.COMPLETED,
  failed: SessionStatus.FAILED,
  cancelled: SessionStatus.FAILED,
  expired: SessionStatus.EXPIRED,
};

/** Run statuses behind a session status (for store filters). */
export function runStatusesOf(status: SessionStatus): RunStatus[] {
  return (Object.keys(STATUS_OF_RUN) as RunStatus[]).filter((r) => STATUS_OF_RUN[r] === status);
}

export function sessionStatusOf(run: Pick<RunRecord, 'status'>): SessionStatus {
  return STATUS_OF_RUN[run.status];
}

/** Builds the seed's `SessionInfo` from the store: status, phase, QA outcome and iterations included. */
export async function sessionInfo(store: Store, run: RunRecord, fallbackWorkDir: string): Promise<SessionInfo> {
  const tasks = (await store.listTasks(run.id)).sort((a, b) => a.seq - b.seq);
  const qa = tasks.find((t) => t.id === DEV_TEAM_TASKS.qa);
  let qaPassed = false;
  if (qa && qa.status === 'succeeded') {
    const byAgents = (await store.listAttempts(run.id, DEV_TEAM_TASKS.qa)).filter((a) => a.agentId !== HUMAN_AGENT);
    const last = byAgents.reduce<(typeof byAgents)[number] | null>((best, a) => (!best || a.n > best.n ? a : best), null);
    qaPassed = last?.status === 'succeeded';
  }
  const meta = run.metadata;
  return {
    sessionId: run.id,
    userMission: typeof meta.mission === 'string' ? meta.mission : (run.goal ?? run.name),
    projectName: typeof meta.projectName === 'string' ? meta.projectName : 'default',
    status: sessionStatusOf(run),
    currentPhase: devTeamPhase(tasks),
    createdAt: new Date(run.createdAt),
    updatedAt: new Date(run.updatedAt),
    iterationCount: qa?.iterations ?? 0,
    qaPassed,
    workDir: run.workDir ?? fallbackWorkDir,
  };
}

/** Seed `get_artifacts`: the files the pipeline wrote, when they exist. */
export function sessionArtifacts(workDir: string): SessionArtifacts {
  const path = (rel: string) => {
    const abs = join(workDir, rel);
    return existsSync(abs) ? abs : null;
  };
  const out = {
    prd: path(DEV_TEAM_FILES.prd),
    tech_spec: path(DEV_TEAM_FILES.techSpec),
    scaffold: path(DEV_TEAM_FILES.scaffold),
    bug_report: path(DEV_TEAM_FILES.bugReport),
    work_dir: existsSync(workDir) ? workDir : null,
  };
  return Object.defineProperties(out, {
    techSpec: { get: () => out.tech_spec, enumerable: false },
    bugReport: { get: () => out.bug_report, enumerable: false },
    workDir: { get: () => out.work_dir, enumerable: false },
  }) as SessionArtifacts;
}

function describe(data: Record<string, unknown> | null): string {
  if (!data || Object.keys(data).length === 0) return '';
  const parts = Object.entries(data).map(([k, v]) => `${k}=${typeof v === 'string' ? v.replace(/\s+/g, ' ') : JSON.stringify(v)}`);
  const text = parts.join(' ');
  return ` ${text.length > 300 ? `${text.slice(0, 299)}…` : text}`;
}

/** One log line per event: `ISO-time type task#attempt key=value…`. */
export function eventLine(e: EventRecord): string {
  const where = e.taskId ? ` ${e.taskId}${e.attempt ? `#${e.attempt}` : ''}` : '';
  return `${new Date(e.ts).toISOString()} ${e.type}${where}${describe(e.data)}`;
}
