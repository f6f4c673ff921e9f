/** What the run produced (attempt outputs and logs), opened inline. */
import { useState } from 'react';
import { api } from '../api';
import type { Artifact, LogChunk } from '../types';

export function Artifacts({ artifacts }: { artifacts: Artifact[] }) {
  const [open, setOpen] = useState<{ name: string; text: string } | null>(null);
  const show = async (a: Artifact) => {
    try {
      if (a.kind === 'log') {
        const { logs } = await api<{ logs: LogChunk[] }>(a.url);
        setOpen({ name: a.name, text: logs[0]?.text ?? '' });
      } else setOpen({ name: a.name, text: JSON.stringify(await api<unknown>(a.url), null, 2) });
    } catch (e) {
      setOpen({ name: a.name, text: `could not load: ${(e as Error).message}` });
    }
  };
  if (!artifacts.length) return <p className="muted">No artifacts yet: outputs and logs of attempts appear here.</p>;
  return (
    <div className="artifacts" data-testid="artifacts">
      <ul>
        {artifacts.map((a) => (
          <li key={`${a.kind}-${a.taskId}-${a.attempt}`}>
            <button className="link" onClick={() => void show(a)}>
              {a.name}
            </button>{' '}
            <span className="muted">{a.bytes === null ? '' : `${a.bytes} B`}</span>
          </li>
        ))}
      </ul>
      {open && (
        <div className="artifact-view">
          <div className="row">
            <b>{open.name}</b>
            <button className="secondary small" onClick={() => setOpen(null)}>
              Close
            </button>
          </div>
          <pre className="log">{open.text}</pre>
        </div>
      )}
    </div>
  );
}
