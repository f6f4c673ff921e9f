/**
 * Where the CLI reads its settings: flags, then environment (TUTTI_DB, TUTTI_DATA_DIR,
 * TUTTI_CONFIG), then the config file (`--config`, or `tutti.config.{yaml,yml,json}` in the
 * working directory), then defaults. The only module that reads env and config files.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type * as yaml from 'yaml';
import type { z } from 'zod';
import { findDeepNesting, findNulByte, MAX_CONFIG_BYTES, parseJsonLimited } from '../core/limits.js';
import { formatPath } from '../core/plan/format-path.js';
import { defaultDataDir } from '../runtime/data-dir.js';
import { UsageError } from './errors.js';
import { readTextFile } from './read-file.js';

/**
 * The YAML parser and the schema library load only when a config file exists: commands in a
 * directory without one (`tutti list`) start without them. Loaded synchronously (their CommonJS
 * builds) because settings are resolved synchronously.
 */
const requireLazily = createRequire(import.meta.url);

/** Options every store-using command accepts. */
export interface StoreFlags {
  db?: string;
  dataDir?: string;
  config?: string;
}

const makeConfigSchema = (zod: typeof z) =>
  zod.strictObject({
    dataDir: zod.string().optional(),
    db: zod.string().optional(),
    concurrency: zod.number().int().positive().nullable().optional(),
    shellConcurrency: zod.number().int().positive().nullable().optional(),
    killGraceMs: zod.number().int().min(0).max(600_000).optional(),
    leaseMs: zod.number().int().min(100).optional(),
    agents: zod.array(zod.unknown()).default([]),
  });

export type CliConfig = z.infer<ReturnType<typeof makeConfigSchema>>;

export interface ResolvedCliSettings {
  dataDir: string;
  dbPath: string;
  config: CliConfig;
  configPath: string | null;
}

const CONFIG_NAMES = ['tutti.config.yaml', 'tutti.config.yml', 'tutti.config.json'];

function loadConfig(path: string | undefined, env: NodeJS.ProcessEnv, cwd: string): { config: CliConfig; path: string | null } {
  const explicit = path ?? (env.TUTTI_CONFIG || undefined);
  const found = explicit ? resolve(cwd, explicit) : CONFIG_NAMES.map((n) => join(cwd, n)).find((p) => existsSync(p));
  if (!found) return { config: { agents: [] }, path: null };
  let raw: unknown;
  const text = readTextFile(found, 'config', MAX_CONFIG_BYTES);
  try {
    raw = found.endsWith('.json') ? parseJsonLimited(text, { what: `config ${found}` }) : (requireLazily('yaml') as typeof yaml).parse(text);
  } catch (e) {
    throw new UsageError(`cannot read config ${found}: ${(e as Error).message.split('\n')[0]}`);
  }
  const limit = findDeepNesting(raw) ?? findNulByte(raw);
  if (limit) throw new UsageError(`invalid config ${found}: ${limit.path}: ${limit.message}`);
  const r = makeConfigSchema((requireLazily('zod') as { z: typeof z }).z).safeParse(raw ?? {});
  if (!r.success) throw new UsageError(`invalid config ${found}: ${r.error.issues.map((i) => `${formatPath(i.path) || '(root)'}: ${i.message}`).join('; ')}`);
  return { config: r.data, path: found };
}

/** Resolves the data dir, database path and config of a command. */
export function resolveSettings(flags: StoreFlags, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): ResolvedCliSettings {
  const { config, path } = loadConfig(flags.config, env, cwd);
  const base = path ? dirname(path) : cwd;
  const dbFlag = flags.db ?? (env.TUTTI_DB || undefined) ?? (config.db ? resolve(base, config.db) : undefined);
  const dataDirFlag = flags.dataDir ?? (env.TUTTI_DATA_DIR || undefined) ?? (config.dataDir ? resolve(base, config.dataDir) : undefined);
  // A database given alone keeps its logs beside it.
  const dataDir = resolve(cwd, dataDirFlag ?? (dbFlag ? dirname(resolve(cwd, dbFlag)) : defaultDataDir()));
  const dbPath = resolve(cwd, dbFlag ?? join(dataDir, 'tutti.db'));
  return { dataDir, dbPath, config, configPath: path };
}
