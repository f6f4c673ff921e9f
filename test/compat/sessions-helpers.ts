/** Orchestrators over temp dirs with scripted dev-team roles, closed after each test. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { Orchestrator, type OrchestratorConfig, type SessionInfo } from '../../src/compat/sessions/index.js';
import { scriptedRoles } from '../templates/helpers.js';

const open: Orchestrator[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close().catch(() => undefined);
});

export function sessionDirs(): { root: string; dbPath: string; workDirBase: string } {
  const root = mkdtempSync(join(tmpdir(), 'tutti-sessions-'));
  return { root, dbPath: join(root, 'data', 'orchestrator.db'), workDirBase: join(root, 'projects') };
}

/** An Orchestrator (closed after the test) whose roles are scripted function agents. */
export function scriptedOrchestrator(config: OrchestratorConfig = {}, roleOptions: Parameters<typeof scriptedRoles>[0] = {}) {
  const dirs = sessionDirs();
  const roles = scriptedRoles(roleOptions);
  const orchestrator = track(
    new Orchestrator({ dbPath: dirs.dbPath, workDirBase: dirs.workDirBase, agents: roles.agents, functions: roles.functions, engine: { pollMs: 20 }, ...config }),
  );
  return { orchestrator, roles, dirs };
}

export function track(o: Orchestrator): Orchestrator {
  open.push(o);
  return o;
}

/** Polls the session until `ok` holds. */
export async function waitForSession(o: Orchestrator, id: string, ok: (i: SessionInfo) => boolean, what: string, timeoutMs = 15_000): Promise<SessionInfo> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const info = await o.getSessionStatus(id);
    if (ok(info)) return info;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(info)}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}
