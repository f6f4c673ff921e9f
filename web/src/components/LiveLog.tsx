/** The run's event log and live agent output, newest at the bottom; it follows new lines unless scrolled up. */
import { useFollowScroll } from '../follow';

export interface LogLine {
  key: string;
  ts: number;
  kind: 'event' | 'output';
  text: string;
  level: 'info' | 'warn' | 'error';
}

export function LiveLog({ lines }: { lines: LogLine[] }) {
  const { ref, onScroll } = useFollowScroll<HTMLDivElement>(lines);
  return (
    <div className="livelog" data-testid="live-log" ref={ref} onScroll={onScroll}>
      {lines.map((l) => (
        <div key={l.key} className={`line ${l.kind} ${l.level}`}>
          <span className="ts">{new Date(l.ts).toLocaleTimeString()}</span> {l.text}
        </div>
      ))}
      {lines.length === 0 && <div className="muted">No events yet.</div>}
    </div>
  );
}
