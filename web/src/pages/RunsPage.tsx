/** Runs, newest first (by creation time): status filters with live counts, pages, and a form to start a run from a plan. */
import { useEffect, useState } from 'react';
import { api, followStream } from '../api';
import { OutcomeBar, outcomeText, shownStatus } from '../components/Outcome';
import { StatusBadge } from '../components/StatusBadge';
import { duration, time } from '../format';
import { useResource } from '../hooks';
import { RUN_STATUSES, type RunSummary, type Stats } from '../types';

interface RunPage {
  runs: RunSummary[];
  nextCursor: string | null;
}

export function RunsPage() {
  const [filter, setFilter] = useState<string>('all');
  const [more, setMore] = useState<RunSummary[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const query = filter === 'all' ? '' : `&status=${filter}`;
  const page = useResource((signal) => api<RunPage>(`/api/v1/runs?limit=50${query}`, { signal }), [filter]);
  const stats = useResource((signal) => api<Stats>('/api/v1/stats', { signal }), []);
  const [live, setLive] = useState(false);

  useEffect(() => {
    setMore([]);
    setCursor(null);
  }, [filter]);
  useEffect(() => {
    if (page.data && !more.length) setCursor(page.data.nextCursor);
  }, [page.data, more.length]);
  useEffect(() => {
    const c = new AbortController();
    const refresh = () => {
      page.refresh();
      stats.refresh();
    };
    followStream('/api/v1/events/stream?types=run:', { onEvent: refresh, onStatus: (on) => (setLive(on), on && refresh()) }, c.signal);
    return () => c.abort();
    // The refresh functions are stable.
  }, [page.refresh, stats.refresh]);

  const counts = stats.data?.runs ?? {};
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const runs = [...(page.data?.runs ?? []), ...more];

  const loadMore = async () => {
    if (!cursor) return;
    const next = await api<RunPage>(`/api/v1/runs?limit=50${query}&cursor=${encodeURIComponent(cursor)}`);
    setMore((m) => [...m, ...next.runs]);
    setCursor(next.nextCursor);
  };

  return (
    <section>
      <div className="page-head">
        <h1>Runs</h1>
        <span className={`live ${live ? 'on' : ''}`}>{live ? 'live' : 'connecting…'}</span>
        <NewRun />
      </div>
      <div className="filters" role="tablist">
        <button className={filter === 'all' ? 'chip active' : 'chip'} data-testid="filter-all" onClick={() => setFilter('all')}>
          all <b>{total}</b>
        </button>
        {RUN_STATUSES.map((s) => (
          <button key={s} className={filter === s ? 'chip active' : 'chip'} data-testid={`filter-${s}`} onClick={() => setFilter(s)}>
            {s.replace('_', ' ')} <b data-testid={`count-${s}`}>{counts[s] ?? 0}</b>
          </button>
        ))}
      </div>
      {page.error && <p className="error">{page.error}</p>}
      <table className="grid" data-testid="runs-table">
        <thead>
          <tr>
            <th>Run</th>
            <th>Status</th>
            <th>Outcome</th>
            <th>Created</th>
            <th>Duration</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r.id} data-testid={`run-row-${r.id}`}>
              <td>
                <a href={`#/runs/${encodeURIComponent(r.id)}`}>{r.name || r.id}</a>
                <div className="muted mono">{r.id}</div>
              </td>
              <td title={r.interrupted ? `${r.interrupted.reason}; ${r.interrupted.hint}` : undefined}>
                <StatusBadge status={shownStatus(r)} />
                {r.interrupted && <div className="muted small-note">{r.interrupted.hint}</div>}
              </td>
              <td data-testid={`run-outcome-${r.id}`}>
                <OutcomeBar counts={r.counts} />
                <span className={r.counts.failed > 0 ? 'error' : undefined}>{outcomeText(r.counts)}</span>
              </td>
              <td>{time(r.createdAt)}</td>
              <td>{duration(r.startedAt ?? r.createdAt, r.finishedAt)}</td>
            </tr>
          ))}
          {page.data && runs.length === 0 && (
            <tr data-testid="runs-empty">
              <td colSpan={5} className="muted">
                No runs{filter === 'all' ? '' : ` ${filter.replace('_', ' ')}`}.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {cursor && (
        <button className="secondary" onClick={() => void loadMore()}>
          Load more
        </button>
      )}
    </section>
  );
}

function NewRun() {
  const [open, setOpen] = useState(false);
  const [text, setText] = useState('{\n  "name": "hello",\n  "tasks": [\n    { "id": "hello", "command": ["echo", "hello"] }\n  ]\n}');
  const [error, setError] = useState<string | null>(null);
  if (!open)
    return (
      <button data-testid="new-run" onClick={() => setOpen(true)}>
        New run
      </button>
    );
  const submit = async () => {
    try {
      const plan = JSON.parse(text) as unknown;
      const run = await api<RunSummary>('/api/v1/runs', { method: 'POST', body: { plan } });
      setOpen(false);
      window.location.hash = `#/runs/${encodeURIComponent(run.id)}`;
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <div className="modal-backdrop">
      <div className="modal wide">
        <h2>New run</h2>
        <p>A plan as JSON (see docs/plan-format.md).</p>
        <textarea data-testid="plan-input" rows={14} value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} />
        {error && <p className="error">{error}</p>}
        <div className="row">
          <button data-testid="plan-submit" onClick={() => void submit()}>
            Start
          </button>
          <button className="secondary" onClick={() => setOpen(false)}>
            Cancel
          </button>
        </div>
      </div>
    </div>
  );
}
