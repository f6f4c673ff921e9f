/**
 * Live progress of runs executing in this process: on a TTY, a status line per run redrawn every
 * 200 ms (the outcome so far: succeeded of total, then failed, skipped, cancelled, running, waiting…;
 * elapsed) with notable events printed above it;
 * otherwise one plain line per notable event.
 */
import type { Engine } from '../core/engine.js';
import type { EventRecord } from '../core/model.js';
import { runCounts } from '../core/run-view.js';
import { formatDuration, outcomeText } from './format.js';

export interface ProgressOptions {
  stream: NodeJS.WritableStream & { isTTY?: boolean };
  /** Only these runs (undefined: every run this engine reports). */
  runIds?: ReadonlySet<string>;
  /** Print a line for every task that ends (plain mode). @default true */
  everyTask?: boolean;
}

function plainLine(e: EventRecord): string | null {
  const t = e.taskId ?? '';
  const d = (e.data ?? {}) as Record<string, unknown>;
  switch (e.type) {
    case 'run:started':
      return `run ${e.runId} started`;
    case 'run:completed':
      return `run ${e.runId} completed${d.tasksFailed ? ` with ${String(d.tasksFailed)} optional task${Number(d.tasksFailed) > 1 ? 's' : ''} failed` : ''}`;
    case 'run:failed':
      return `run ${e.runId} failed: ${String(d.error)}`;
    case 'run:cancelled':
      return `run ${e.runId} cancelled: ${String(d.reason)}`;
    case 'task:succeeded':
      return `task ${t} succeeded`;
    case 'task:failed':
      return `task ${t} failed: ${String(d.error)}`;
    case 'task:skipped':
      return `task ${t} skipped (${String(d.because)} failed)`;
    case 'task:retrying':
      return `task ${t} will retry at ${new Date(Number(d.at)).toISOString()}`;
    case 'task:blocked':
      return `task ${t} blocked: ${JSON.stringify(d.reason)}`;
    case 'attempt:failed':
      return `attempt ${t}#${e.attempt} failed: ${String(d.message)}`;
    case 'approval:requested':
      return `run ${e.runId} waits for a decision on ${t}: ${String(d.message)}\n  approve: tutti approve ${e.runId}\n  reject:  tutti reject ${e.runId} --feedback "…" [--to TASK]`;
    case 'approval:granted':
      return `${t} approved by ${String(d.by)}`;
    case 'approval:rejected':
      return `${t} rejected by ${String(d.by)}: ${String(d.rewindTo)} runs again`;
    case 'task:looped':
      return `task ${t} failed; loop ${String(d.iteration)}/${String(d.maxIterations)}: ${String(d.rewindTo)} runs again`;
    case 'run:expired':
      return `run ${e.runId} expired: ${String(d.reason)}`;
    case 'attempt:interrupted':
      return `attempt ${t}#${e.attempt} interrupted: ${String(d.reason)}`;
    default:
      return null;
  }
}

const QUIET_ON_TTY = new Set(['task:succeeded', 'run:started']);

export function attachProgress(engine: Engine, options: ProgressOptions): { stop(): Promise<void> } {
  const { stream } = options;
  const tty = Boolean(stream.isTTY);
  const everyTask = options.everyTask ?? true;
  const started = Date.now();
  let status = '';
  const clear = () => {
    if (tty && status) stream.write('\r\x1b[K');
  };
  const off = engine.on('event', (e) => {
    if (options.runIds && !options.runIds.has(e.runId)) return;
    if (!everyTask && e.type === 'task:succeeded') return;
    if (tty && QUIET_ON_TTY.has(e.type)) return;
    const line = plainLine(e);
    if (!line) return;
    clear();
    stream.write(`${line}\n`);
    if (tty && status) stream.write(status);
  });
  let timer: ReturnType<typeof setInterval> | null = null;
  const render = async () => {
    const ids = options.runIds ? [...options.runIds] : engine.runningRunIds();
    const parts: string[] = [];
    for (const id of ids.slice(0, 3)) {
      const byStatus = (await engine.store.countTasksOfRuns([id])).get(id);
      if (!byStatus) continue;
      parts.push(`${id}  ${outcomeText(runCounts(byStatus))}`);
    }
    if (ids.length > 3) parts.push(`+${ids.length - 3} runs`);
    clear();
    status = `${parts.join(' | ')} · ${formatDuration(Date.now() - started)}`.slice(0, Math.max(40, (process.stderr.columns ?? 120) - 1));
    stream.write(status);
  };
  if (tty) timer = setInterval(() => void render().catch(() => undefined), 200);
  return {
    async stop() {
      off();
      if (timer) clearInterval(timer);
      clear();
      status = '';
    },
  };
}
