/**
 * W8: memory search over 100,000 entries (20,000 with --quick) in the SQLite store.
 *
 * Data: 512-dimension unit vectors (the bundled model's size) in hierarchical clusters (themes →
 * subtopics → items, with a common baseline direction: sentence embeddings cluster by topic, and
 * uniform random vectors would have no neighbours to find), each with a text of words drawn from
 * its subtopic's vocabulary for the full-text side. Queries are perturbed copies of stored
 * vectors (a paraphrase lands near its passage). Embedding 100,000 real passages with the bundled
 * model would take over half an hour here, so the vectors are synthetic; the model's own
 * throughput is measured separately.
 *
 * Measured: the vector index alone (`searchMemoryVectors`, global scope, k = 10) and the whole
 * hybrid search of the memory plane (vector + BM25 + fusion + reading the records, query
 * embedding excluded: a lookup), p50/p99; recall@10 of the index against exact search (brute
 * force over every vector); the index build time; and the bundled model's embedding throughput.
 */
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { atLeast, atMost, row } from '../lib/rows.js';
import { percentile } from '../lib/stats.js';
import { DIST, removeDir, tempDir } from '../lib/tutti.js';

export const id = 'W8';
export const title = 'memory search over 100,000 entries: latency, recall@10 vs exact';

const DIM = 512;
const MODEL = 'bench-synthetic-512';

/** A small deterministic PRNG (mulberry32) and Gaussian draws. */
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(next() || 1e-12)) * Math.cos(2 * Math.PI * next());
  return { next, gauss };
}

function unit(v) {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i] * v[i];
  n = Math.sqrt(n) || 1;
  for (let i = 0; i < v.length; i++) v[i] /= n;
  return v;
}

/**
 * Hierarchical clusters, as sentence embeddings are: 40 broad themes, 50 subtopics in each, items
 * around their subtopic. Every vector also shares one common direction (sentence embeddings of
 * one model and language have a high baseline similarity).
 */
function dataset(n, seed = 42) {
  const r = rng(seed);
  const gaussVec = (scale) => Float32Array.from({ length: DIM }, () => scale * r.gauss());
  const common = unit(gaussVec(1));
  const themes = Array.from({ length: 40 }, () => unit(gaussVec(1)));
  const subtopics = [];
  for (const t of themes) {
    for (let s = 0; s < 50; s++) {
      const noise = gaussVec(0.9 / Math.sqrt(DIM));
      subtopics.push(unit(Float32Array.from({ length: DIM }, (_, d) => 0.6 * common[d] + t[d] + noise[d])));
    }
  }
  const words = Array.from({ length: 20_000 }, (_, i) => `w${i.toString(36)}`);
  const vectors = new Array(n);
  const texts = new Array(n);
  for (let i = 0; i < n; i++) {
    const t = Math.floor(r.next() * subtopics.length);
    const c = subtopics[t];
    const v = new Float32Array(DIM);
    for (let d = 0; d < DIM; d++) v[d] = c[d] + (0.9 / Math.sqrt(DIM)) * r.gauss(); // as spread as subtopics in a theme
    vectors[i] = unit(v);
    const base = t * 10;
    texts[i] = Array.from({ length: 12 }, () => words[r.next() < 0.6 ? (base + Math.floor(r.next() * 10)) % words.length : Math.floor(r.next() * words.length)]).join(' ');
  }
  return { vectors, texts, r };
}

function exactTop(vectors, q, k) {
  const best = [];
  for (let i = 0; i < vectors.length; i++) {
    const v = vectors[i];
    let s = 0;
    for (let d = 0; d < DIM; d++) s += v[d] * q[d];
    if (best.length < k || s > best[best.length - 1][1]) {
      best.push([i, s]);
      best.sort((a, b) => b[1] - a[1]);
      if (best.length > k) best.pop();
    }
  }
  return best.map(([i]) => i);
}

/** @param {import('../run.js').Context} ctx */
export async function run(ctx) {
  const n = ctx.quick ? 20_000 : 100_000;
  const queries = ctx.quick ? 100 : 200;
  const { SqliteStore } = await import(join(DIST, 'index.js'));
  const { MemoryPlane, createLocalEmbedder } = await import(join(DIST, 'memory', 'orchestration', 'index.js'));
  const dir = tempDir('tutti-bench-w8-');
  const store = new SqliteStore({ path: join(dir, 'tutti.db') });
  try {
    const data = dataset(n);
    const ids = new Array(n);
    const t0 = performance.now();
    const batch = 2000;
    for (let i = 0; i < n; i += batch) {
      const items = [];
      for (let j = i; j < Math.min(n, i + batch); j++) {
        ids[j] = `mem_w8_${j.toString().padStart(7, '0')}`;
        items.push({ id: ids[j], runId: `run-${j % 50}`, kind: 'entry', key: null, text: data.texts[j], value: data.texts[j], metadata: {}, provenance: null, score: null, embedding: { model: MODEL, vector: data.vectors[j] }, createdAt: 1_700_000_000_000 + j });
      }
      await store.addMemories(items);
    }
    const insertS = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    await store.maintainMemoryIndex();
    const buildS = (performance.now() - t1) / 1000;
    ctx.log(`W8: ${n} entries inserted in ${insertS.toFixed(1)} s (${Math.round(n / insertS)}/s), index trained in ${buildS.toFixed(1)} s`);

    // Queries: perturbed stored vectors, with the text of their passage's topic.
    const qs = [];
    for (let i = 0; i < queries; i++) {
      const src = Math.floor(data.r.next() * n);
      const v = new Float32Array(DIM);
      for (let d = 0; d < DIM; d++) v[d] = data.vectors[src][d] + 0.02 * data.r.gauss();
      qs.push({ vector: unit(v), text: data.texts[src].split(' ').slice(0, 4).join(' ') });
    }
    const idIndex = new Map(ids.map((x, i) => [x, i]));
    const vectorMs = [];
    let recallSum = 0;
    for (const q of qs) {
      const s = performance.now();
      const hits = await store.searchMemoryVectors('global', MODEL, q.vector, 10);
      vectorMs.push(performance.now() - s);
      const truth = new Set(exactTop(data.vectors, q.vector, 10));
      recallSum += hits.filter((h) => truth.has(idIndex.get(h.id))).length / 10;
    }
    const recall = recallSum / qs.length;

    const byText = new Map(qs.map((q) => [q.text, q.vector]));
    const lookup = { model: MODEL, dimension: DIM, embed: async (texts) => texts.map((t) => byText.get(t)) };
    const plane = new MemoryPlane({ store, embedder: lookup, maintainIndex: false });
    const hybridMs = [];
    for (const q of qs) {
      const s = performance.now();
      await plane.search('global', q.text, 10);
      hybridMs.push(performance.now() - s);
    }
    await plane.close();
    ctx.log(`W8: vector p50 ${percentile(vectorMs, 50).toFixed(2)} ms p99 ${percentile(vectorMs, 99).toFixed(2)} ms, hybrid p50 ${percentile(hybridMs, 50).toFixed(2)} ms, recall@10 ${recall.toFixed(3)}`);

    // Embedding throughput of the bundled model (model load excluded, reported in the note).
    let throughput = null;
    let loadMs = null;
    try {
      const embedder = createLocalEmbedder();
      const l0 = performance.now();
      await embedder.embed(['warm up the model']);
      loadMs = performance.now() - l0;
      const sentences = Array.from({ length: ctx.quick ? 64 : 256 }, (_, i) => `Sentence number ${i} talks about ${data.texts[i].split(' ').slice(0, 6).join(' ')} and the deployment pipeline.`);
      const e0 = performance.now();
      await embedder.embed(sentences);
      throughput = sentences.length / ((performance.now() - e0) / 1000);
      await embedder.close?.();
    } catch (e) {
      ctx.log(`W8: embedding throughput not measured: ${e instanceof Error ? e.message : String(e)}`);
    }

    const note = `${n.toLocaleString('en-US')} entries × ${DIM} dims, ${queries} queries; insert ${Math.round(n / insertS)}/s, index build ${buildS.toFixed(1)} s`;
    const rows = [
      row('W8', `vector search p50, N=${n.toLocaleString('en-US')}`, 'ms', [percentile(vectorMs, 50)], { target: atMost(10, '≤ 10 ms'), note }),
      row('W8', 'vector search p99', 'ms', [percentile(vectorMs, 99)], { note: 'global scope, k = 10' }),
      row('W8', 'hybrid search p50 (vector + BM25 + fusion)', 'ms', [percentile(hybridMs, 50)], { target: atMost(10, '≤ 10 ms'), note: 'query embedding excluded' }),
      row('W8', 'hybrid search p99', 'ms', [percentile(hybridMs, 99)], {}),
      row('W8', 'recall@10 vs exact search', '×', [recall], { target: atLeast(0.95, '≥ 0.95'), note: 'mean over queries' }),
    ];
    if (throughput !== null) rows.push(row('W8', 'embedding throughput, bundled model', 'count', [throughput], { note: `sentences/s, batched, in a worker thread; model load ${Math.round(loadMs)} ms` }));
    return rows;
  } finally {
    await store.close();
    removeDir(dir);
  }
}
