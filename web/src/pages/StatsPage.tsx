/** Counters of the whole store: runs and tasks by status, blocked tasks by reason, queue depth, agent capacity. */
import { api } from '../api';
import { STATUS_COLOURS } from '../format';
import { useResource } from '../hooks';
import type { Stats } from '../types';

function Bars({ title, values, testId }: { title: string; values: Record<string, number>; testId: string }) {
  const entries = Object.entries(values).filter(([, n]) => n > 0);
  const max = Math.max(1, ...entries.map(([, n]) => n));
  return (
    <div className="card" data-testid={testId}>
      <h3>{title}</h3>
      {entries.length === 0 && <p className="muted">none</p>}
      {entries.map(([k, n]) => (
        <div key={k} className="bar-row">
          <span className="bar-label">{k.replace('_', ' ')}</span>
          <span className="bar">
            <span style={{ width: `${(n / max) * 100}%`, background: STATUS_COLOURS[k] ?? '#60a5fa' }} />
          </span>
          <b>{n}</b>
        </div>
      ))}
    </div>
  );
}

export function StatsPage() {
  const stats = useResource((signal) => api<Stats>('/api/v1/stats', { signal }), [], 2000);
  const s = stats.data;
  return (
    <section>
      <div className="page-head">
        <h1>Stats</h1>
      </div>
      {stats.error && <p className="error">{stats.error}</p>}
      {s && (
        <div className="cards">
          <div className="card">
            <h3>Now</h3>
            <p>
              Queue depth <b data-testid="queue-depth">{s.queueDepth}</b> ready tasks
            </p>
            <p>
              Agents: {s.agents.active} active of {s.agents.total}, {s.agents.busy} busy, {s.agents.running} attempts running
              {s.agents.capacity !== null ? ` of ${s.agents.capacity} slots` : ''}
            </p>
            <p className="muted">
              Engine {s.engine.state}, {s.engine.inFlight} in flight here ({s.engine.workerId})
            </p>
          </div>
          <Bars title="Runs by status" values={s.runs} testId="stats-runs" />
          <Bars title="Tasks by status" values={s.tasks} testId="stats-tasks" />
          <Bars title="Blocked tasks by reason" values={s.blocked} testId="stats-blocked" />
        </div>
      )}
    </section>
  );
}
