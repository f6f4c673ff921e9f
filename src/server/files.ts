/**
 * Reads of files under the data dir (attempt logs, output blobs). Every path comes from the
 * store, is relative to the data dir, and is checked to stay inside it before it is opened.
 */
import { open, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';

/** The absolute path of `stored` inside `dataDir`, or null when it would leave it. */
export function insideDataDir(dataDir: string, stored: string): string | null {
  if (stored.includes('\u0000')) return null;
  const root = resolve(dataDir);
  const abs = resolve(root, stored);
  const rel = relative(root, abs);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return null;
  return abs;
}

/** Size of a file in bytes; null when it does not exist. */
export async function fileSize(path: string): Promise<number | null> {
  try {
    const s = await stat(path);
    return s.isFile() ? s.size : null;
  } catch {
    return null;
  }
}

export interface Chunk {
  size: number;
  offset: number;
  nextOffset: number;
  text: string;
}

/**
 * Reads at most `maxBytes` of a file: from `offset` when given, else its last `tail` bytes.
 * A missing file reads as empty (an attempt that has not written yet).
 */
export async function readChunk(path: string, options: { offset?: number; tail: number; maxBytes: number }): Promise<Chunk> {
  const size = (await fileSize(path)) ?? 0;
  const start = Math.min(size, options.offset ?? Math.max(0, size - Math.min(options.tail, options.maxBytes)));
  const length = Math.min(size - start, options.maxBytes);
  if (length <= 0) return { size, offset: start, nextOffset: start, text: '' };
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, start);
    return { size, offset: start, nextOffset: start + bytesRead, text: buf.subarray(0, bytesRead).toString('utf8') };
  } finally {
    await fh.close();
  }
}
