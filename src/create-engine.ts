/**
 * `createEngine()`: an engine wired with the SQLite store (or any `Store`), the bundled drivers and
 * the Node runtime. Creating an engine opens its store; nothing runs until `start()`.
 */
import { join, resolve } from 'node:path';
import { builtinAgents, toAgentUpsert } from './agents/registry.js';
import { createDefaultDrivers, type TaskFunction } from './agents/drivers/index.js';
import { createCodingAgentDrivers } from './agents/drivers/cli/index.js';
import { createLlmDriver, type LlmDriverOptions } from './agents/drivers/llm/index.js';
import type { AgentDriver } from './agents/types.js';
import type { AttemptHooks } from './core/attempt-runner.js';
import { Engine } from './core/engine.js';
import type { EngineOptions } from './core/options.js';
import { createMemoryHooks, type MemoryHooksOptions } from './memory/context.js';
import type { Embedder } from './memory/embedders/types.js';
import { MemoryPlane } from './memory/memory-plane.js';
import { defaultDataDir } from './runtime/data-dir.js';
import { createNodeRuntime } from './runtime/node-runtime.js';
import { SqliteStore } from './store/sqlite/index.js';
import { lazyPostgresStore } from './store/postgres/lazy.js';
import type { Store } from './store/types.js';
import { planCheckStep, PLAN_CHECK_FUNCTION } from './planner/check.js';
import { templateStepFunctions } from './templates/steps/index.js';

export interface CreateEngineOptions extends EngineOptions {
  /**
   * Directory for the database, logs and blobs.
   * @default `~/.tutti`
   */
  dataDir?: string;
  /**
   * A store instance, the SQLite file to open, or a PostgreSQL database (`databaseUrl`; `pg` is
   * loaded and pending migrations applied on first use; docs/scale-out.md).
   * @default `<dataDir>/tutti.db`
   */
  store?: Store | { sqlite: string; synchronous?: 'NORMAL' | 'FULL' } | { databaseUrl: string; schema?: string; poolSize?: number };
  /** In-process functions for the `function` driver (`noop`, `sleep`, `echo`, `fail` are built in). */
  functions?: Record<string, TaskFunction>;
  /** Extra drivers (replacing bundled ones of the same name). */
  drivers?: AgentDriver[];
  /** Concurrency of the built-in `shell` agent. @default 4 */
  shellConcurrency?: number | null;
  /** Settings of the `llm` driver: where API keys are looked up (`env`), prices by model, an HTTP client. @default process.env, no prices */
  llm?: LlmDriverOptions;
  /** Hooks around every attempt (replacing the memory hooks below), e.g. `createMemoryHooks(plane)`. */
  attemptHooks?: AttemptHooks;
  /**
   * Memory over this engine's store (docs/memory.md): a task's `memory` query is retrieved into
   * its prompt, and learnings in attempt outputs are recorded with provenance. The memory plane
   * is created on first need; its embedder defaults to the bundled local model. `false` turns
   * both off; ignored when `attemptHooks` is given.
   * @default {}
   */
  memory?: false | { embedder?: Embedder; hooks?: MemoryHooksOptions };
}

const dataDirs = new WeakMap<Engine, string>();

/** The data dir of an engine made by {@link createEngine} (logs, blobs); undefined for others. */
export function engineDataDir(engine: Engine): string | undefined {
  return dataDirs.get(engine);
}

export { defaultDataDir };

/**
 * Creates an engine. Call `start()` to execute runs and `stop()` to release it.
 * @example
 * const engine = createEngine({ dataDir: './.tutti' });
 * await engine.start();
 * const run = await engine.run({ tasks: [{ id: 'hello', command: ['echo', 'hello'] }] });
 * await engine.stop();
 * @throws TuttiError `ERR_INVALID_OPTIONS`, `ERR_STORE_MIGRATION`
 */
export function createEngine(options: CreateEngineOptions = {}): Engine {
  const { dataDir: dataDirOption, store: storeOption, functions, drivers: extra, shellConcurrency, attemptHooks, llm, memory, ...engineOptions } = options;
  const dataDir = resolve(dataDirOption ?? defaultDataDir());
  let store: Store;
  let ownsStore = false;
  if (storeOption && 'claim' in storeOption) store = storeOption;
  else if (storeOption && 'databaseUrl' in storeOption) {
    store = lazyPostgresStore({ connectionString: storeOption.databaseUrl, ...(storeOption.schema ? { schema: storeOption.schema } : {}), ...(storeOption.poolSize ? { poolSize: storeOption.poolSize } : {}) });
    ownsStore = true;
  } else {
    const path = storeOption?.sqlite ?? join(dataDir, 'tutti.db');
    store = new SqliteStore({ path, ...(storeOption?.synchronous ? { synchronous: storeOption.synchronous } : {}) });
    ownsStore = true;
  }
  const stepDeps = { store, dataDir, killGraceMs: engineOptions.killGraceMs ?? 5000, maxLogBytes: engineOptions.maxLogBytes ?? 10 * 1024 * 1024 };
  const stepFunctions = { ...templateStepFunctions(stepDeps), [PLAN_CHECK_FUNCTION]: planCheckStep({ store, dataDir, engine: () => engine }) };
  const { registry, functions: fnRegistry } = createDefaultDrivers({
    // Template steps and the planner's check first: functions passed in replace them by name.
    functions: new Map([...Object.entries(stepFunctions), ...Object.entries(functions ?? {})]),
    exec: { killGraceMs: engineOptions.killGraceMs ?? 5000 },
    // Coding-agent CLIs and the coding driver; drivers passed in replace them by name.
    extra: [createLlmDriver(llm), ...createCodingAgentDrivers({ dataDir, killGraceMs: engineOptions.killGraceMs ?? 5000 }), ...(extra ?? [])],
  });
  let plane: MemoryPlane | null = null;
  const hooks =
    attemptHooks ??
    (memory === false ? undefined : createMemoryHooks(() => (plane ??= new MemoryPlane({ store, ...(memory?.embedder ? { embedder: memory.embedder } : {}) })), memory?.hooks));
  const engine: Engine = new Engine(
    { workDir: process.cwd(), ...engineOptions },
    {
      store,
      drivers: registry,
      runtime: createNodeRuntime(dataDir),
      toAgent: (a) => toAgentUpsert(a, registry),
      builtinAgents: () => builtinAgents(registry, shellConcurrency !== undefined ? { shellConcurrency } : {}),
      functions: fnRegistry,
      ownsStore,
      ...(hooks ? { attemptHooks: hooks } : {}),
    },
  );
  dataDirs.set(engine, dataDir);
  return engine;
}
