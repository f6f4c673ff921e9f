/** Approve or reject a run waiting at an approval gate; a rejection rewinds to an earlier task with feedback. */
import { useState } from 'react';
import { api } from '../api';
import { time } from '../format';
import type { PendingApproval, TaskView } from '../types';

function ancestors(gate: TaskView, tasks: TaskView[]): string[] {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const seen = new Set<string>();
  const stack = [...gate.dependsOn];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(byId.get(id)?.dependsOn ?? []));
  }
  // Plan order, nearest-first choices at the end.
  return tasks.filter((t) => seen.has(t.id)).map((t) => t.id);
}

export function ApprovalPanel({ runId, approvals, tasks, onDone }: { runId: string; approvals: PendingApproval[]; tasks: TaskView[]; onDone(): void }) {
  const pending = approvals[0];
  const gate = tasks.find((t) => t.id === pending?.taskId);
  const earlier = gate ? ancestors(gate, tasks) : [];
  const [feedback, setFeedback] = useState('');
  const [comment, setComment] = useState('');
  const [rewindTo, setRewindTo] = useState<string>('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!gate || !pending) return null;
  const target = rewindTo || gate.dependsOn[0] || earlier[earlier.length - 1] || '';
  const send = async (path: 'approve' | 'reject', body: Record<string, unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await api(`/api/v1/runs/${encodeURIComponent(runId)}/${path}`, { method: 'POST', body: { taskId: gate.id, by: 'dashboard', ...body } });
      setFeedback('');
      setComment('');
      onDone();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="approval" data-testid="approval-panel">
      <h3>Approval needed: {gate.title}</h3>
      <p data-testid="approval-message">{pending.message}</p>
      {pending.expiresAt && <p className="muted">Expires {time(pending.expiresAt)} if nobody decides.</p>}
      {approvals.length > 1 && <p className="muted">{approvals.length - 1} more gate(s) wait after this one.</p>}
      <div className="approval-grid">
        <div>
          <input data-testid="approve-comment" placeholder="comment (optional)" value={comment} onChange={(e) => setComment(e.target.value)} />
          <button data-testid="approve-button" disabled={busy} onClick={() => void send('approve', comment ? { comment } : {})}>
            Approve
          </button>
        </div>
        <div>
          <textarea data-testid="reject-feedback" rows={2} placeholder="what to change (required to reject)" value={feedback} onChange={(e) => setFeedback(e.target.value)} />
          {earlier.length > 0 && (
            <label>
              rewind to{' '}
              <select data-testid="reject-rewind" value={target} onChange={(e) => setRewindTo(e.target.value)}>
                {earlier.map((id) => (
                  <option key={id} value={id}>
                    {id}
                  </option>
                ))}
              </select>
            </label>
          )}
          <button className="danger" data-testid="reject-button" disabled={busy || !feedback.trim()} onClick={() => void send('reject', { feedback: feedback.trim(), ...(target ? { rewindTo: target } : {}) })}>
            Reject
          </button>
        </div>
      </div>
      {error && <p className="error">{error}</p>}
    </div>
  );
}
