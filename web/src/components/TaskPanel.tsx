/** The selected task: status, why it waits, its attempts, and the live tail of an attempt's log (following new output unless scrolled up). */
import { useEffect, useState } from 'react';
import { api } from '../api';
import { useFollowScroll } from '../follow';
import { describeBlocked, duration, time } from '../format';
import type { LogChunk, TaskView } from '../types';
import { reviewHref } from '../pages/ReviewPage';
import { StatusBadge } from './StatusBadge';

/** A coding attempt that recorded commits (its output names the attempt's ref). */
function hasCommits(output: unknown): boolean {
  return typeof output === 'object' && output !== null && typeof (output as { attemptRef?: unknown }).attemptRef === 'string';
}

const MAX_LOG_CHARS = 200_000;

function LogTail({ runId, taskId, attempt, running }: { runId: string; taskId: string; attempt: number; running: boolean }) {
  const [text, setText] = useState('');
  useEffect(() => {
    setText('');
    let offset: number | undefined;
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const base = `/api/v1/runs/${encodeURIComponent(runId)}/logs?taskId=${encodeURIComponent(taskId)}&attempt=${attempt}`;
    const tick = async () => {
      try {
        const { logs } = await api<{ logs: LogChunk[] }>(offset === undefined ? `${base}&tail=65536` : `${base}&offset=${offset}`);
        const chunk = logs[0];
        if (chunk && !stop) {
          offset = chunk.nextOffset;
          if (chunk.text) setText((t) => (t + chunk.text).slice(-MAX_LOG_CHARS));
        }
      } catch {
        /* shown as an empty log; retried */
      }
      if (!stop && running) timer = setTimeout(() => void tick(), 1000);
    };
    void tick();
    return () => {
      stop = true;
      if (timer) clearTimeout(timer);
    };
  }, [runId, taskId, attempt, running]);
  const { ref, onScroll } = useFollowScroll<HTMLPreElement>(text);
  return (
    <pre className="log" data-testid="task-log" ref={ref} onScroll={onScroll}>
      {text || (running ? '(no output yet)' : '(no output logged; in-process drivers stream their lines to the live log)')}
    </pre>
  );
}

export function TaskPanel({ runId, task }: { runId: string; task: TaskView | undefined }) {
  const [attempt, setAttempt] = useState<number | null>(null);
  useEffect(() => setAttempt(null), [task?.id]);
  if (!task) return <aside className="panel muted">Click a task in the graph to see its attempts and output.</aside>;
  const shown = attempt ?? task.attempts[task.attempts.length - 1]?.n ?? null;
  const current = task.attempts.find((a) => a.n === shown);
  return (
    <aside className="panel" data-testid="task-panel" data-task={task.id}>
      <h3>
        {task.title} <StatusBadge status={task.status} />
      </h3>
      <div className="muted mono">{task.id}</div>
      {task.blockedReason && (
        <p className="why" data-testid="task-why">
          Why it waits: {describeBlocked(task.blockedReason)}
        </p>
      )}
      {task.dependsOn.length > 0 && <p className="muted">After: {task.dependsOn.join(', ')}</p>}
      <h4>Attempts ({task.attempts.length})</h4>
      {task.attempts.length === 0 ? (
        <p className="muted">None yet.</p>
      ) : (
        <table className="grid compact">
          <thead>
            <tr>
              <th>#</th>
              <th>Agent</th>
              <th>Status</th>
              <th>Started</th>
              <th>Took</th>
            </tr>
          </thead>
          <tbody>
            {task.attempts.map((a) => (
              <tr key={a.n} className={a.n === shown ? 'selected' : ''} onClick={() => setAttempt(a.n)}>
                <td>{a.n}</td>
                <td>{a.agentId}</td>
                <td>
                  <StatusBadge status={a.status} />
                </td>
                <td>{time(a.startedAt)}</td>
                <td>{duration(a.startedAt, a.finishedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {current?.error && (
        <p className="error">
          {current.error.kind}: {current.error.message}
        </p>
      )}
      {current?.summary && <p className="muted">{current.summary}</p>}
      {current && hasCommits(current.output) && (
        <p>
          <a className="review-link" data-testid="review-link" href={reviewHref(runId, task.id, current.n)}>
            Review attempt #{current.n}: diff, transcript, cost →
          </a>
        </p>
      )}
      {current?.usage && (current.usage.costUsd !== undefined || current.usage.inputTokens !== undefined) && (
        <p className="muted" data-testid="attempt-usage">
          {(current.usage.inputTokens ?? 0) + (current.usage.outputTokens ?? 0)} tokens{current.usage.costUsd !== undefined ? ` · $${current.usage.costUsd.toFixed(4)}` : ''}
        </p>
      )}
      {shown !== null && <LogTail runId={runId} taskId={task.id} attempt={shown} running={current?.status === 'running'} />}
    </aside>
  );
}
