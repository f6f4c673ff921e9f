/** A started engine with a server over it, on a temporary data dir; closed after each test. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { createEngine, type CreateEngineOptions } from '../../src/create-engine.js';
import type { Engine } from '../../src/core/engine.js';
import { createServer, type TuttiServer } from '../../src/server/index.js';
import type { ServerOptions } from '../../src/server/options.js';

export const TOKEN = 'test-token-0123456789abcdef';

export interface TestServer {
  engine: Engine;
  server: TuttiServer;
  dataDir: string;
  /** Base URL once `listen()` was called. */
  url: string;
  listen(): Promise<string>;
  /** `app.inject` with the token (unless `auth: false`) and a JSON body. `json` is loose: tests probe it field by field. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call(method: string, url: string, options?: { body?: unknown; auth?: boolean | string; headers?: Record<string, string> }): Promise<{ status: number; json: any; text: string; headers: Record<string, unknown> }>;
}

const open: Array<() => Promise<void>> = [];

afterEach(async () => {
  while (open.length) await open.pop()!().catch(() => undefined);
});

/** `server`: options of the server, or a function of the engine returning them (for options built over its store). */
export async function startServer(options: { engine?: CreateEngineOptions; server?: Partial<ServerOptions> | ((engine: Engine) => Partial<ServerOptions>); start?: boolean } = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tutti-server-'));
  const engine = createEngine({ workDir: dataDir, pollMs: 20, leaseMs: 5000, ...options.engine, dataDir });
  if (options.start !== false) await engine.start();
  const extra = typeof options.server === 'function' ? options.server(engine) : options.server;
  const server = createServer({ engine, dataDir, token: TOKEN, ssePollMs: 50, ...extra });
  const t: TestServer = {
    engine,
    server,
    dataDir,
    url: '',
    async listen() {
      t.url = (await server.listen({ port: 0 })).url;
      return t.url;
    },
    async call(method, url, o = {}) {
      const auth = o.auth ?? true;
      const headers: Record<string, string> = { ...o.headers };
      if (auth) headers.authorization = `Bearer ${typeof auth === 'string' ? auth : TOKEN}`;
      const res = await server.app.inject({ method: method as 'GET', url, headers, ...(o.body !== undefined ? { payload: o.body as object } : {}) });
      let json: unknown;
      try {
        json = res.body ? JSON.parse(res.body) : undefined;
      } catch {
        json = undefined;
      }
      return { status: res.statusCode, json, text: res.body, headers: res.headers };
    },
  };
  open.push(async () => {
    await server.close();
    await engine.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return t;
}

/** A plan of test-driver tasks: a → (b, c) → d, each sleeping `ms`. */
export function diamondPlan(ms = 0) {
  const t = (id: string, dependsOn: string[] = []) => ({ id, agent: 'test', input: { sleepMs: ms, output: { id } }, dependsOn });
  return { name: 'diamond', tasks: [t('a'), t('b', ['a']), t('c', ['a']), t('d', ['b', 'c'])] };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
