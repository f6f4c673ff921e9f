/** One run: header with progress and actions, the live DAG, the selected task, the live log, artifacts. */
import { useEffect, useRef, useState } from 'react';
import { api, followStream } from '../api';
import { ApprovalPanel } from '../components/ApprovalPanel';
import { Artifacts } from '../components/Artifacts';
import { Dag } from '../components/Dag';
import { BudgetLine, spentText } from '../components/review/Cost';
import { LiveLog, type LogLine } from '../components/LiveLog';
import { OutcomeBar, outcomeText, shownStatus } from '../components/Outcome';
import { StatusBadge } from '../components/StatusBadge';
import { TaskPanel } from '../components/TaskPanel';
import { duration } from '../format';
import { useResource } from '../hooks';
import { TERMINAL_RUN, type Artifact, type EventRecord, type RunReview, type RunView } from '../types';

const MAX_LINES = 2000;

function eventText(e: EventRecord): string {
  const d = e.data ?? {};
  const who = e.taskId ? ` ${e.taskId}${e.attempt ? `#${e.attempt}` : ''}` : '';
  const detail = ['error', 'message', 'reason', 'feedback', 'agentId', 'comment']
    .map((k) => (typeof d[k] === 'string' ? `${k === 'agentId' ? 'on ' : ''}${String(d[k])}` : ''))
    .filter(Boolean)
    .join(' · ');
  return `${e.type}${who}${detail ? `  ${detail}` : ''}`;
}

function levelOf(type: string): LogLine['level'] {
  if (type.endsWith(':failed') || type.endsWith(':rejected')) return 'error';
  if (type.endsWith(':retrying') || type.endsWith(':blocked') || type.endsWith(':cancelled') || type.endsWith(':interrupted')) return 'warn';
  return 'info';
}

export function RunPage({ runId }: { runId: string }) {
  const base = `/api/v1/runs/${encodeURIComponent(runId)}`;
  const run = useResource((signal) => api<RunView>(base, { signal }), [runId]);
  const artifacts = useResource((signal) => api<{ artifacts: Artifact[] }>(`${base}/artifacts`, { signal }), [runId], 0, 1000);
  const review = useResource((signal) => api<RunReview>(`${base}/review`, { signal }), [runId], 0, 1000);
  const [selected, setSelected] = useState<string | null>(null);
  const [lines, setLines] = useState<LogLine[]>([]);
  const [live, setLive] = useState(false);
  const [tab, setTab] = useState<'log' | 'artifacts'>('log');
  const counter = useRef(0);

  useEffect(() => {
    setLines([]);
    const c = new AbortController();
    const push = (l: Omit<LogLine, 'key'>) => setLines((prev) => [...prev, { ...l, key: String(counter.current++) }].slice(-MAX_LINES));
    followStream(
      `${base}/events/stream`,
      {
        onEvent: (e) => {
          push({ ts: e.ts, kind: 'event', text: eventText(e), level: levelOf(e.type) });
          run.refresh();
          if (e.type.startsWith('attempt:') || e.type.startsWith('run:')) {
            artifacts.refresh();
            review.refresh();
          }
        },
        onOutput: (o) => push({ ts: Date.now(), kind: 'output', text: `[${o.taskId}#${o.attempt}] ${o.text}`, level: o.stream === 'stderr' ? 'warn' : 'info' }),
        onStatus: (on) => {
          setLive(on);
          if (on) run.refresh();
        },
      },
      c.signal,
    );
    return () => c.abort();
  }, [base, run.refresh, artifacts.refresh, review.refresh]);

  const v = run.data;
  if (!v) return <section>{run.error ? <p className="error">{run.error}</p> : <p className="muted">Loading…</p>}</section>;
  const ended = TERMINAL_RUN.has(v.status);
  const cancel = async () => {
    if (!window.confirm(`Cancel run ${v.id}?`)) return;
    await api(`${base}/cancel`, { method: 'POST', body: { reason: 'cancelled from the dashboard' } });
    run.refresh();
  };
  return (
    <section className="run-page">
      <div className="page-head">
        <h1>{v.name || v.id}</h1>
        <StatusBadge status={shownStatus(v)} />
        <span className="muted mono" data-testid="run-id">
          {v.id}
        </span>
        <span className={`live ${live ? 'on' : ''}`}>{live ? 'live' : 'connecting…'}</span>
        {!ended && (
          <button className="danger small" data-testid="cancel-run" onClick={() => void cancel()}>
            Cancel
          </button>
        )}
      </div>
      <div className="run-summary" data-testid="run-status" data-status={v.status} data-shown={shownStatus(v)}>
        <OutcomeBar counts={v.counts} big />
        <span data-testid="run-outcome" className={v.counts.failed > 0 ? 'error' : undefined}>
          {outcomeText(v.counts)}
        </span>
        <span className="muted">{duration(v.startedAt ?? v.createdAt, v.finishedAt ?? (v.interrupted ? v.updatedAt : null))}</span>
        {v.error && <span className="error">{v.error}</span>}
      </div>
      {review.data && (review.data.spent.tokens > 0 || review.data.spent.costUsd !== null) && (
        <div className="cost-box" data-testid="run-cost">
          <div>
            Spent: <b>{spentText(review.data.spent)}</b>
          </div>
          {review.data.budgets.map((b) => (
            <BudgetLine key={`${b.scope}:${b.taskId ?? b.agentId}`} budget={b} />
          ))}
        </div>
      )}
      {v.interrupted && (
        <p className="interrupted-note" data-testid="run-interrupted">
          Interrupted: {v.interrupted.reason}. Resume with: <code>tutti resume</code>
        </p>
      )}
      {v.approvals.length > 0 && <ApprovalPanel runId={v.id} approvals={v.approvals} tasks={v.tasks} onDone={run.refresh} />}
      <div className="run-body">
        <Dag tasks={v.tasks} selected={selected} onSelect={setSelected} />
        <TaskPanel runId={v.id} task={v.tasks.find((t) => t.id === selected)} />
      </div>
      <div className="tabs">
        <button className={tab === 'log' ? 'chip active' : 'chip'} onClick={() => setTab('log')}>
          Live log
        </button>
        <button className={tab === 'artifacts' ? 'chip active' : 'chip'} data-testid="tab-artifacts" onClick={() => setTab('artifacts')}>
          Artifacts ({artifacts.data?.artifacts.length ?? 0})
        </button>
      </div>
      {tab === 'log' ? <LiveLog lines={lines} /> : <Artifacts artifacts={artifacts.data?.artifacts ?? []} />}
    </section>
  );
}
