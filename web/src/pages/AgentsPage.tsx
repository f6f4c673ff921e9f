/** Registered agents with their load (running attempts / capacity); pause and resume. */
import { api } from '../api';
import { StatusBadge } from '../components/StatusBadge';
import { useResource } from '../hooks';
import type { AgentView } from '../types';

export function AgentsPage() {
  const agents = useResource((signal) => api<{ agents: AgentView[] }>('/api/v1/agents', { signal }), [], 2000);
  const setStatus = async (a: AgentView, status: AgentView['status']) => {
    await api(`/api/v1/agents/${encodeURIComponent(a.id)}`, { method: 'PATCH', body: { status } });
    agents.refresh();
  };
  return (
    <section>
      <div className="page-head">
        <h1>Agents</h1>
      </div>
      {agents.error && <p className="error">{agents.error}</p>}
      <table className="grid" data-testid="agents-table">
        <thead>
          <tr>
            <th>Agent</th>
            <th>Type / driver</th>
            <th>Capabilities</th>
            <th>Status</th>
            <th>Load</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(agents.data?.agents ?? []).map((a) => (
            <tr key={a.id} data-testid={`agent-row-${a.id}`}>
              <td>
                <b>{a.name}</b>
                <div className="muted mono">{a.id}</div>
              </td>
              <td>
                {a.type} <span className="muted">/ {a.driver}</span>
              </td>
              <td>{a.capabilities.join(', ') || <span className="muted">none</span>}</td>
              <td>
                <StatusBadge status={a.status} />
              </td>
              <td data-testid={`agent-load-${a.id}`}>
                <div className="progress">
                  <div style={{ width: `${Math.round((a.load ?? (a.running > 0 ? 0.05 : 0)) * 100)}%` }} />
                </div>
                {a.running} / {a.maxConcurrency ?? '∞'}
              </td>
              <td>
                {a.status === 'active' ? (
                  <button className="secondary small" onClick={() => void setStatus(a, 'paused')}>
                    Pause
                  </button>
                ) : (
                  <button className="secondary small" onClick={() => void setStatus(a, 'active')}>
                    Resume
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
