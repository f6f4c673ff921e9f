/**
 * `tutti serve`: the REST API, event streams, probes, metrics and the dashboard, in a process that
 * also executes runs (every unfinished run of the store, resumed on start). The API token comes
 * from `TUTTI_API_TOKEN`; without one the server listens on loopback only.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { createEmbedder, embedderConfigFrom } from '../../memory/embedders/index.js';
import { MemoryPlane } from '../../memory/memory-plane.js';
import { llmAgentConfigSchema } from '../../agents/drivers/llm/config.js';
import { createEngineOrchestratorBackend, createServer, DEFAULT_PORT } from '../../server/index.js';
import { openEngine, type EngineFlags } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { handler, parsePositiveInt, withStoreOptions } from '../io.js';

interface ServeFlags extends EngineFlags {
  host: string;
  port: number;
  webDir?: string;
  dashboard: boolean;
  logLevel?: string;
  corsOrigin?: string[];
}

/** The built dashboard next to the package: `<package>/web/dist` (same depth from src/ and dist/). */
function defaultWebDir(): string {
  return fileURLToPath(new URL('../../../web/dist', import.meta.url));
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new UsageError(`--port must be 0–65535, got '${value}'`);
  return n;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

/**
 * The LLM endpoint of seed 003's default agents (and agents registered over REST without a
 * driver): TUTTI_LLM_URL (an OpenAI-compatible base URL), TUTTI_LLM_MODEL, and TUTTI_LLM_KEY_ENV
 * (the name of the variable holding the API key). None set: those agents fail their tasks with
 * `no driver configured`.
 */
function seedLlm(env: NodeJS.ProcessEnv): { baseUrl: string; model: string; apiKeyEnv?: string } | undefined {
  const baseUrl = env.TUTTI_LLM_URL || undefined;
  const model = env.TUTTI_LLM_MODEL || undefined;
  if (!baseUrl && !model) return undefined;
  const settings = { baseUrl, model, ...(env.TUTTI_LLM_KEY_ENV ? { apiKeyEnv: env.TUTTI_LLM_KEY_ENV } : {}) };
  const r = llmAgentConfigSchema.safeParse(settings);
  if (!r.success || !baseUrl || !model) throw new UsageError(`TUTTI_LLM_URL, TUTTI_LLM_MODEL (and TUTTI_LLM_KEY_ENV): ${r.success ? 'give both the URL and the model' : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return { baseUrl, model, ...(settings.apiKeyEnv ? { apiKeyEnv: settings.apiKeyEnv } : {}) };
}

export function registerServe(program: Command): void {
  withStoreOptions(
    program
      .command('serve')
      .description('serve the REST API and dashboard, and execute runs (env TUTTI_API_TOKEN: bearer token, required beyond loopback; TUTTI_LLM_URL, TUTTI_LLM_MODEL, TUTTI_LLM_KEY_ENV: the LLM endpoint of seed 003’s agents)')
      .option('--host <host>', 'address to listen on', '127.0.0.1')
      .option('--port <port>', `port (0: any free port)`, parsePort, DEFAULT_PORT)
      .option('--concurrency <n>', 'most attempts at once in this process', parsePositiveInt('--concurrency'))
      .option('--web-dir <dir>', 'built dashboard to serve (default: the package’s web/dist)')
      .option('--no-dashboard', 'serve the API only')
      .option('--cors-origin <origin...>', 'origins whose pages may call the API cross-site (scheme://host[:port]); default: none')
      .option('--log-level <level>', `request log level on stderr (${LOG_LEVELS.join(', ')})`),
  ).action(handler(async (flags: ServeFlags) => {
    const token = process.env.TUTTI_API_TOKEN || null;
    if (token !== null && token.length < 16) throw new UsageError('TUTTI_API_TOKEN must be at least 16 characters');
    if (flags.logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(flags.logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
    const webDir = flags.dashboard ? (flags.webDir ?? defaultWebDir()) : null;
    const llm = seedLlm(process.env);
    const { engine, settings } = openEngine(flags, 'all');
    let server: ReturnType<typeof createServer> | null = null;
    try {
      server = createServer({
        engine,
        dataDir: settings.dataDir,
        token,
        webDir,
        // Search with the embedder `tutti memory` and the engine use (TUTTI_EMBEDDER…): vectors of
        // another model could not be compared.
        memory: new MemoryPlane({
          store: engine.store,
          embedder: createEmbedder(embedderConfigFrom({}, process.env), process.env),
          onError: (e) => process.stderr.write(`tutti: memory index upkeep failed: ${e instanceof Error ? e.message : String(e)}\n`),
        }),
        ...(flags.corsOrigin?.length ? { corsOrigins: flags.corsOrigin } : {}),
        ...(flags.logLevel ? { logger: flags.logLevel as (typeof LOG_LEVELS)[number] } : {}),
        // Seed 003's routes: its four agents, on the LLM endpoint when one is configured.
        orchestrator: createEngineOrchestratorBackend(engine, llm ? { llm } : {}),
      });
      await engine.start();
      let url: string;
      try {
        ({ url } = await server.listen({ host: flags.host, port: flags.port }));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UsageError(`cannot listen on ${flags.host}:${flags.port}: ${code}`);
        throw e;
      }
      const dashboard = webDir === null ? 'off (--no-dashboard)' : existsSync(`${webDir}/index.html`) ? `${url}/` : `not built (npm run build:web; looked in ${webDir})`;
      process.stderr.write(`tutti: listening on ${url}  dashboard ${dashboard}  API ${url}/api/v1  docs ${url}/docs${token ? '' : '  (no token: loopback only)'}\n`);
      await new Promise<void>((resolve) => {
        const stop = (signal: NodeJS.Signals) => {
          process.stderr.write(`tutti: ${signal}: stopping; running tasks are handed back to the next engine\n`);
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      return EXIT.ok;
    } finally {
      await server?.close().catch(() => undefined);
      await engine.stop().catch(() => undefined);
    }
  }));
}
