import { STATUS_COLOURS } from '../format';

export function StatusBadge({ status }: { status: string }) {
  const c = STATUS_COLOURS[status] ?? '#9ca3af';
  return (
    <span className="badge" data-status={status} style={{ background: `${c}33`, color: '#111827', borderColor: c }}>
      {status.replace('_', ' ')}
    </span>
  );
}
