/** The run's event log and live agent output, newest at the bottom. */
import { useEffect, useRef } from 'react';

export interface LogLine {
  key: string;
  ts: number;
  kind: 'event' | 'output';
  text: string;
  level: 'info' | 'warn' | 'error';
}

export function LiveLog({ lines }: { lines: LogLine[] }) {
  const ref = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  useEffect(() => {
    const el = ref.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [lines]);
  return (
    <div
      className="livelog"
      data-testid="live-log"
      ref={ref}
      onScroll={(e) => {
        const el = e.currentTarget;
        stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 30;
      }}
    >
      {lines.map((l) => (
        <div key={l.key} className={`line ${l.kind} ${l.level}`}>
          <span className="ts">{new Date(l.ts).toLocaleTimeString()}</span> {l.text}
        </div>
      ))}
      {lines.length === 0 && <div className="muted">No events yet.</div>}
    </div>
  );
}
