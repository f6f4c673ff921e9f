/**
 * What seed 000 reads back about a run, from the engine's store: its status (the reference's
 * phases), its artifacts (commits, validation logs, memory writes) and its harvested memory.
 */
import { isTerminalRunStatus } from '../../core/model.js';
import type { RunView } from '../../core/run-view.js';
import type { MemoryRecord } from '../../store/memory-types.js';
import type { ClientHarvestResult, MemoryWrite, RunArtifacts, RunCommit, RunStatus, RunTestLog } from './types.js';

const UNKNOWN: RunStatus = { phase: 'unknown', progress: 0, finished: false };

/** The run status of seed 000 for a run view (null: unknown); `queued` reads as the reference's `pending`. */
export function toRunStatus(view: Pick<RunView, 'status' | 'progress' | 'error'> | null): RunStatus {
  if (!view) return { ...UNKNOWN };
  const s: RunStatus = { phase: view.status === 'queued' ? 'pending' : view.status, progress: view.progress, finished: isTerminalRunStatus(view.status) };
  if (view.error) s.error = view.error;
  return s;
}

function memoryWrite(r: MemoryRecord): MemoryWrite {
  const ns = r.metadata.namespace;
  return { id: r.id, kind: r.kind, key: r.key, namespace: typeof ns === 'string' ? ns : null, text: r.text, provenance: r.provenance, createdAt: new Date(r.createdAt).toISOString() };
}

/** What a coding attempt reports in its output (`CodingOutput` of the coding driver). */
function codingArtifacts(output: unknown): { commits: RunCommit[]; testLog: RunTestLog | null } {
  if (!output || typeof output !== 'object') return { commits: [], testLog: null };
  const o = output as { commits?: unknown; testLog?: unknown; branch?: unknown; validation?: unknown };
  const branch = typeof o.branch === 'string' ? o.branch : '';
  const commits = Array.isArray(o.commits)
    ? o.commits.flatMap((c) => {
        const x = c as { sha?: unknown; subject?: unknown } | null;
        return x && typeof x.sha === 'string' ? [{ sha: x.sha, message: typeof x.subject === 'string' ? x.subject : '', branch }] : [];
      })
    : [];
  if (typeof o.testLog !== 'string') return { commits, testLog: null };
  const checks = Array.isArray(o.validation) ? (o.validation as Array<{ command?: unknown; argv?: unknown; ok?: unknown; exitCode?: unknown }>) : [];
  const name = checks.map((c) => (Array.isArray(c.argv) ? c.argv.join(' ') : typeof c.command === 'string' ? c.command : Array.isArray(c.command) ? c.command.join(' ') : '')).filter(Boolean).join(' && ') || 'validation';
  const passed = checks.length > 0 && checks.every((c) => c.ok === true || c.exitCode === 0);
  return { commits, testLog: { name, path: o.testLog, passed } };
}

/** The artifacts of a run view and its memories. */
export function runArtifacts(view: RunView | null, memories: readonly MemoryRecord[]): RunArtifacts {
  const commits: RunCommit[] = [];
  const testLogs: RunTestLog[] = [];
  for (const t of view?.tasks ?? []) {
    for (const a of t.attempts) {
      const c = codingArtifacts(a.output);
      for (const commit of c.commits) if (!commits.some((k) => k.sha === commit.sha)) commits.push(commit);
      if (c.testLog && !testLogs.some((l) => l.path === c.testLog!.path)) testLogs.push(c.testLog);
    }
  }
  return { commits, testLogs, memoryWrites: sortByTime(memories).map(memoryWrite) };
}

function sortByTime(memories: readonly MemoryRecord[]): MemoryRecord[] {
  return [...memories].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
}

/** A run's seeded entries and learnings (the reference's `harvestMemory`), oldest first. */
export function harvest(memories: readonly MemoryRecord[]): ClientHarvestResult {
  const out: ClientHarvestResult = { entries: [], learnings: [] };
  for (const m of sortByTime(memories)) {
    if (m.kind === 'learning') {
      out.learnings.push({ learning: m.text, ...(m.score !== null ? { score: m.score } : {}), ...(m.provenance ? { provenance: { ...m.provenance } } : {}) });
    } else {
      out.entries.push({ ...(m.key !== null ? { key: m.key } : {}), value: typeof m.value === 'string' ? m.value : m.text, metadata: { ...m.metadata } });
    }
  }
  return out;
}
