/**
 * A deterministic lexical embedder: feature hashing of lowercased words and character trigrams
 * into a fixed number of signed buckets. It knows no meaning (synonyms do not match), loads
 * nothing and is instant: for tests, examples and machines that may not run a model.
 */
import { normalise, type Embedder } from './types.js';

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A hashing embedder of `dimension` buckets (model id `hash-<dimension>`).
 * @param dimension vector length. @default 256
 */
export function createHashEmbedder(dimension = 256): Embedder {
  const embedOne = (text: string): Float32Array => {
    const v = new Float32Array(dimension);
    const add = (feature: string, weight: number) => {
      const h = fnv1a(feature);
      v[h % dimension]! += h & 0x80000000 ? -weight : weight;
    };
    for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
      add(`w:${word}`, 1);
      const padded = ` ${word} `;
      for (let i = 0; i + 3 <= padded.length; i++) add(`t:${padded.slice(i, i + 3)}`, 0.3);
    }
    return normalise(v);
  };
  return {
    model: `hash-${dimension}`,
    dimension,
    async embed(texts) {
      return texts.map(embedOne);
    },
  };
}
