/**
 * `tutti memory seed|search|list`: the memory plane from the command line (docs/memory.md).
 *
 * The embedder comes from flags, else the environment (`TUTTI_EMBEDDER` = local | openai | hash,
 * `TUTTI_EMBEDDINGS_URL`, `TUTTI_EMBEDDINGS_MODEL`, `TUTTI_EMBEDDINGS_KEY_ENV` naming the variable
 * that holds the API key, `TUTTI_EMBEDDINGS_DIMENSIONS`), else the bundled local model. A store
 * holding vectors of another model refuses to mix them (`ERR_EMBEDDING_MISMATCH`). The memory
 * modules load only when a memory command runs.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import type { EmbedderSettings } from '../../memory/embedders/index.js';
import type { MemoryEntryInput, MemoryPlane } from '../../memory/memory-plane.js';
import type { MemoryKind, MemoryRecord, MemoryScope } from '../../store/memory-types.js';
import { openEngine, type EngineFlags } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { handler, parsePositiveInt, printJson, withStoreOptions } from '../io.js';

type EmbedderFlags = EmbedderSettings;

function withEmbedderOptions(cmd: Command): Command {
  return withStoreOptions(cmd)
    .option('--embedder <name>', 'local (the bundled model, default), openai (any OpenAI-compatible /v1/embeddings), or hash (lexical, for tests) (env TUTTI_EMBEDDER)')
    .option('--embeddings-url <url>', 'base URL of the OpenAI-compatible provider, up to /v1 (env TUTTI_EMBEDDINGS_URL)')
    .option('--embeddings-model <name>', 'model of the provider (env TUTTI_EMBEDDINGS_MODEL)')
    .option('--embeddings-key-env <var>', 'environment variable holding the provider API key (env TUTTI_EMBEDDINGS_KEY_ENV; default OPENAI_API_KEY)')
    .option('--embeddings-dimensions <n>', 'ask the provider for vectors of this length (env TUTTI_EMBEDDINGS_DIMENSIONS)', parsePositiveInt('--embeddings-dimensions'));
}

async function withPlane<T>(flags: EngineFlags & EmbedderFlags, fn: (plane: MemoryPlane) => Promise<T>): Promise<T> {
  const [{ MemoryPlane: Plane }, { createEmbedder, embedderConfigFrom }] = await Promise.all([import('../../memory/memory-plane.js'), import('../../memory/embedders/index.js')]);
  const embedder = createEmbedder(embedderConfigFrom(flags, process.env), process.env);
  const { engine } = openEngine(flags);
  const plane = new Plane({ store: engine.store, embedder });
  try {
    return await fn(plane);
  } finally {
    await plane.close();
    await embedder.close?.();
    await engine.stop();
  }
}

/** Entries from a JSON or YAML file: an array of `{ key?, value, text?, metadata? }` or of strings. @throws UsageError */
function readEntries(path: string): MemoryEntryInput[] {
  let raw: unknown;
  try {
    const text = path === '-' ? readFileSync(0, 'utf8') : readFileSync(resolve(path), 'utf8');
    raw = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new UsageError(`cannot read entries ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message.split('\n')[0]}`);
  }
  if (!Array.isArray(raw)) throw new UsageError(`entries ${path}: expected a list of { key?, value, metadata? } or of strings`);
  return raw.map((e, i) => {
    if (typeof e === 'string') return { value: e };
    if (e && typeof e === 'object' && 'value' in e) return e as MemoryEntryInput;
    throw new UsageError(`entries ${path}: item ${i} has no value`);
  });
}

function scopeOf(flags: { run?: string; global?: boolean }): MemoryScope {
  if (flags.run && flags.global) throw new UsageError('give --run RUN or --global, not both');
  if (flags.run) return { runId: flags.run };
  return 'global';
}

function line(m: Pick<MemoryRecord, 'id' | 'kind' | 'runId' | 'key' | 'text'>, score?: number): string {
  const head = [score !== undefined ? score.toFixed(3) : null, m.id, m.kind, m.runId ?? 'global', m.key ? `key=${m.key}` : null].filter(Boolean).join('  ');
  const text = m.text.replace(/\s*\n\s*/g, ' ');
  return `${head}\n    ${text.length > 200 ? `${text.slice(0, 199)}…` : text}`;
}

export function registerMemory(program: Command): void {
  const memory = program.command('memory').description('durable memory: seed entries, search by meaning and words, list (docs/memory.md)');

  withEmbedderOptions(
    memory
      .command('seed')
      .description('store entries for a run (or global ones): each --text, or a JSON/YAML list from --file')
      .argument('[run]', 'run id (omit with --global)')
      .option('--global', 'global entries, of no run')
      .option('--text <text>', 'an entry (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
      .option('--key <key>', 'key of the single --text entry (seeding a key again replaces it)')
      .option('--file <path>', 'JSON or YAML list of { key?, value, text?, metadata? } or strings (- reads stdin)')
      .option('--json', 'print the stored entries as JSON'),
  ).action(
    handler(async (run: string | undefined, flags: EngineFlags & EmbedderFlags & { global?: boolean; text?: string[]; key?: string; file?: string; json?: boolean }) => {
      if (!run && !flags.global) throw new UsageError('tutti memory seed needs a run id, or --global');
      if (run && flags.global) throw new UsageError('give a run id or --global, not both');
      const entries: MemoryEntryInput[] = [...(flags.text ?? []).map((t) => ({ value: t })), ...(flags.file ? readEntries(flags.file) : [])];
      if (entries.length === 0) throw new UsageError('nothing to seed: give --text TEXT or --file PATH');
      if (flags.key) {
        if (flags.text?.length !== 1 || flags.file) throw new UsageError('--key names a single --text entry');
        entries[0]!.key = flags.key;
      }
      const stored = await withPlane(flags, (plane) => plane.seed(run ?? null, entries, { ...(run ? { runId: run } : {}), source: 'cli' }));
      if (flags.json) printJson(stored);
      else process.stdout.write(`stored ${stored.length} ${stored.length === 1 ? 'entry' : 'entries'} in ${run ? `run ${run}` : 'global memory'}\n`);
      return EXIT.ok;
    }),
  );

  withEmbedderOptions(
    memory
      .command('search')
      .description('search memory by meaning and words (hybrid), best first')
      .argument('<query>', 'what to look for')
      .option('--run <run>', "only this run's memories")
      .option('--global', 'every memory (the default)')
      .option('--top <k>', 'results at most', parsePositiveInt('--top'), 5)
      .option('--min-relevance <r>', 'only results at least this relevant, 0–1 (env TUTTI_MEMORY_MIN_RELEVANCE; default 0.3, docs/memory.md)', parseRelevance)
      .option('--json', 'print the results as JSON'),
  ).action(
    handler(async (query: string, flags: EngineFlags & EmbedderFlags & { run?: string; global?: boolean; top: number; minRelevance?: number; json?: boolean }) => {
      const scope = scopeOf(flags);
      const env = process.env.TUTTI_MEMORY_MIN_RELEVANCE;
      const minRelevance = flags.minRelevance ?? (env ? parseRelevance(env) : undefined);
      const results = await withPlane(flags, (plane) => plane.search(scope, query, flags.top, minRelevance === undefined ? {} : { minRelevance }));
      if (flags.json) printJson(results);
      else if (results.length === 0) process.stdout.write('no results\n');
      else for (const r of results) process.stdout.write(`${line(r, r.relevance)}\n`);
      return EXIT.ok;
    }),
  );

  withStoreOptions(
    memory
      .command('list')
      .description('list stored memories, newest first (no embedding needed)')
      .option('--run <run>', "only this run's memories")
      .option('--global', 'only global memories (of no run)')
      .option('--kind <kind>', 'entry or learning')
      .option('--limit <n>', 'at most this many', parsePositiveInt('--limit'), 50)
      .option('--before <id>', 'memories created before this one (pagination)')
      .option('--json', 'print a JSON array'),
  ).action(
    handler(async (flags: EngineFlags & { run?: string; global?: boolean; kind?: string; limit: number; before?: string; json?: boolean }) => {
      if (flags.run && flags.global) throw new UsageError('give --run RUN or --global, not both');
      if (flags.kind && flags.kind !== 'entry' && flags.kind !== 'learning') throw new UsageError(`--kind is entry or learning, got '${flags.kind}'`);
      const { engine } = openEngine(flags);
      try {
        const list = await engine.store.listMemories({
          limit: flags.limit,
          ...(flags.run ? { runId: flags.run } : flags.global ? { runId: null } : {}),
          ...(flags.kind ? { kind: flags.kind as MemoryKind } : {}),
          ...(flags.before ? { before: flags.before } : {}),
        });
        if (flags.json) printJson(list);
        else if (list.length === 0) process.stdout.write('no memories\n');
        else for (const m of list) process.stdout.write(`${line(m)}\n`);
        return EXIT.ok;
      } finally {
        await engine.stop();
      }
    }),
  );
}

/** A relevance threshold from the command line. @throws UsageError outside 0–1 */
function parseRelevance(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new UsageError(`--min-relevance must be a number from 0 to 1, got '${value}'`);
  return n;
}
