/**
 * Reviewing one attempt of a task: its diff and its transcript, what it cost against the budget
 * that bounds it, and — when the run waits for a decision — approve, or reject with a comment,
 * right here beside the diff.
 */
import { useState } from 'react';
import { api } from '../api';
import { ApprovalPanel } from '../components/ApprovalPanel';
import { BudgetLine, spentText } from '../components/review/Cost';
import { DiffView } from '../components/review/DiffView';
import { TranscriptView } from '../components/review/TranscriptView';
import { StatusBadge } from '../components/StatusBadge';
import { useResource } from '../hooks';
import type { AttemptDiff, RunReview, RunView, Transcript } from '../types';

export function reviewHref(runId: string, taskId: string, n: number): string {
  return `#/runs/${encodeURIComponent(runId)}/tasks/${encodeURIComponent(taskId)}/attempts/${n}`;
}

export function ReviewPage({ runId, taskId, n }: { runId: string; taskId: string; n: number }) {
  const base = `/api/v1/runs/${encodeURIComponent(runId)}`;
  const attempt = `${base}/tasks/${encodeURIComponent(taskId)}/attempts/${n}`;
  const run = useResource((signal) => api<RunView>(base, { signal }), [runId], 3000);
  const review = useResource((signal) => api<RunReview>(`${base}/review`, { signal }), [runId], 5000);
  const diff = useResource((signal) => api<AttemptDiff>(`${attempt}/diff`, { signal }), [attempt]);
  const transcript = useResource((signal) => api<Transcript>(`${attempt}/transcript`, { signal }), [attempt]);
  const [tab, setTab] = useState<'diff' | 'transcript'>('diff');

  const v = run.data;
  const task = v?.tasks.find((t) => t.id === taskId);
  const cost = review.data?.tasks.find((t) => t.taskId === taskId);
  const attemptCost = cost?.attempts.find((a) => a.n === n);
  return (
    <section className="review-page" data-testid="review-page">
      <div className="page-head">
        <a href={`#/runs/${encodeURIComponent(runId)}`}>← {v?.name || runId}</a>
        <h1>
          {task?.title ?? taskId} · attempt {n}
        </h1>
        {task && <StatusBadge status={task.attempts.find((a) => a.n === n)?.status ?? task.status} />}
      </div>
      {task && task.attempts.length > 1 && (
        <div className="filters">
          {task.attempts.map((a) => (
            <a key={a.n} className={`chip${a.n === n ? ' active' : ''}`} href={reviewHref(runId, taskId, a.n)} data-testid={`attempt-${a.n}`}>
              #{a.n} {a.status}
            </a>
          ))}
        </div>
      )}
      <div className="cost-box" data-testid="attempt-cost">
        {attemptCost && (
          <div>
            This attempt: <b>{spentText(attemptCost.spent)}</b>
          </div>
        )}
        {cost && (
          <div>
            Task, {cost.attempts.length} attempt{cost.attempts.length === 1 ? '' : 's'}: {spentText(cost.spent)}
          </div>
        )}
        {cost?.budget ? <BudgetLine budget={cost.budget} testId="task-budget" /> : cost && <div className="muted">No budget recorded for this task.</div>}
      </div>
      {review.data && review.data.merges.some((m) => m.taskId === taskId) && (
        <div className="cost-box" data-testid="task-merges">
          {review.data.merges
            .filter((m) => m.taskId === taskId)
            .map((m) => (
              <div key={m.id}>
                merge queue #{m.id}: {m.branch} → {m.target} <StatusBadge status={m.status} />
                {m.mergedSha && <span className="mono"> {m.mergedSha.slice(0, 12)}</span>}
                {m.message && <span className="muted"> {m.message}</span>}
              </div>
            ))}
        </div>
      )}
      {v && v.approvals.length > 0 && <ApprovalPanel runId={v.id} approvals={v.approvals} tasks={v.tasks} onDone={run.refresh} />}
      <div className="tabs">
        <button className={tab === 'diff' ? 'chip active' : 'chip'} data-testid="tab-diff" onClick={() => setTab('diff')}>
          Diff {diff.data ? `(${diff.data.files.length} file${diff.data.files.length === 1 ? '' : 's'})` : ''}
        </button>
        <button className={tab === 'transcript' ? 'chip active' : 'chip'} data-testid="tab-transcript" onClick={() => setTab('transcript')}>
          Transcript {transcript.data ? `(${transcript.data.entries.length})` : ''}
        </button>
      </div>
      {tab === 'diff' ? (
        diff.data ? <DiffView diff={diff.data} /> : <p className={diff.error ? 'error' : 'muted'}>{diff.error ?? 'Loading the diff…'}</p>
      ) : transcript.data ? (
        <TranscriptView transcript={transcript.data} />
      ) : (
        <p className={transcript.error ? 'error' : 'muted'}>{transcript.error ?? 'Loading the transcript…'}</p>
      )}
    </section>
  );
}
