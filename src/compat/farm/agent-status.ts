/**
 * Agent statuses (seed 002 `AgentRegistry`, `createAgentStatus`, `markAgent…`): what each agent
 * is doing, as the orchestrator's `getStatus`/`getAllStatus`/`getState().agentStatus` report it.
 * The orchestrator fills it from the engine's attempt events.
 */
import type { AgentStatus } from './types.js';

/** A status `queued` now. */
export function createAgentStatus(agentId: string, taskId: string, outputFile: string): AgentStatus {
  return { agentId, taskId, status: 'queued', startTime: new Date(), outputFile };
}

/** The status running from now. */
export function markAgentRunning(status: AgentStatus, at: Date = new Date()): AgentStatus {
  return { ...status, status: 'running', startTime: at };
}

/** The status complete now, progress 100. */
export function markAgentComplete(status: AgentStatus, at: Date = new Date()): AgentStatus {
  return { ...status, status: 'complete', endTime: at, progress: 100 };
}

/** The status failed now. */
export function markAgentFailed(status: AgentStatus, at: Date = new Date()): AgentStatus {
  return { ...status, status: 'failed', endTime: at };
}

/** endTime − startTime, ms; undefined until the agent is done. */
export function calculateAgentDuration(status: AgentStatus): number | undefined {
  return status.endTime ? status.endTime.getTime() - status.startTime.getTime() : undefined;
}

/** Agent statuses by agent id (seed 002 `AgentRegistry`): the latest status of each agent. */
export class AgentRegistry {
  readonly #agents = new Map<string, AgentStatus>();

  set(agentId: string, status: AgentStatus): void {
    this.#agents.set(agentId, status);
  }

  get(agentId: string): AgentStatus | undefined {
    return this.#agents.get(agentId);
  }

  /** Queued or running. */
  getActive(): AgentStatus[] {
    return this.getAll().filter((a) => a.status === 'queued' || a.status === 'running');
  }

  getCompleted(): AgentStatus[] {
    return this.getAll().filter((a) => a.status === 'complete');
  }

  getFailed(): AgentStatus[] {
    return this.getAll().filter((a) => a.status === 'failed');
  }

  getByTask(taskId: string): AgentStatus | undefined {
    return this.getAll().find((a) => a.taskId === taskId);
  }

  update(agentId: string, updates: Partial<AgentStatus>): void {
    const existing = this.#agents.get(agentId);
    if (existing) this.#agents.set(agentId, { ...existing, ...updates });
  }

  remove(agentId: string): boolean {
    return this.#agents.delete(agentId);
  }

  getAll(): AgentStatus[] {
    return [...this.#agents.values()];
  }

  get size(): number {
    return this.#agents.size;
  }

  clear(): void {
    this.#agents.clear();
  }
}
