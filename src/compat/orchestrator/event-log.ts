/** Engine events of sessions as orchestration log entries (the seed's task and agent levels). */
import type { EventRecord } from '../../core/model.js';
import type { OrchestrationLogger } from './logger.js';

/**
 * A listener for the engine's `event` stream that logs the events of sessions.
 * @param isSession which runs are sessions.
 */
export function createEventLog(logger: OrchestrationLogger, isSession: (runId: string) => boolean): (e: EventRecord) => void {
  // Attempt ends do not carry the agent: remember it from the start.
  const attemptAgents = new Map<string, string>();
  return (e) => {
    if (!isSession(e.runId)) return;
    const d = e.data ?? {};
    const key = `${e.runId}\u0000${e.taskId ?? ''}\u0000${e.attempt ?? 0}`;
    let agentId = typeof d.agentId === 'string' ? d.agentId : undefined;
    if (e.type === 'attempt:started' && agentId) {
      if (attemptAgents.size > 10_000) attemptAgents.clear();
      attemptAgents.set(key, agentId);
    } else if (e.type.startsWith('attempt:')) {
      agentId ??= attemptAgents.get(key);
      attemptAgents.delete(key);
    }
    const ctx = { sessionId: e.runId, ...(e.taskId ? { taskId: e.taskId } : {}), ...(agentId ? { agentId } : {}) };
    const L = logger;
    switch (e.type) {
      case 'run:started':
        return L.info('orchestrator', 'Session executing', ctx);
      case 'run:completed':
        return L.info('orchestrator', 'Session completed', ctx);
      case 'run:failed':
        return L.critical('orchestrator', `Session failed: ${String(d.error ?? '')}`, undefined, ctx);
      case 'run:cancelled':
        return L.warn('orchestrator', `Session cancelled: ${String(d.reason ?? '')}`, ctx);
      case 'attempt:started':
        return L.info('agent', `Task started on ${String(d.agentId)} (attempt ${e.attempt ?? 1})`, ctx);
      case 'attempt:succeeded':
        return L.info('agent', `Task attempt succeeded in ${String(d.ms)} ms`, ctx);
      case 'attempt:failed':
        return L.error('agent', `Agent execution failed: ${String(d.message ?? '')}`, undefined, { ...ctx, data: { kind: d.kind } });
      case 'task:succeeded':
        return L.info('task', 'Task completed', ctx);
      case 'task:failed':
        return L.error('task', `Task failed: ${String(d.error ?? '')}`, undefined, ctx);
      case 'task:blocked': {
        const r = d.reason as { kind?: string; message?: string } | undefined;
        return L.error('task', `Task blocked: ${r?.message ?? r?.kind ?? 'unknown reason'}`, undefined, { ...ctx, data: { reason: r } });
      }
      case 'task:retrying':
        return L.warn('task', 'Task will be retried', { ...ctx, data: d });
      case 'task:skipped':
        return L.warn('task', `Task skipped because ${String(d.because)} failed`, ctx);
      default:
        return L.debug('orchestrator', e.type, ctx);
    }
  };
}
