/**
 * Newline-delimited JSON from a CLI's stdout: chunks → lines → objects (non-JSON lines kept aside).
 * An agent's output is a hostile boundary: no line longer than {@link MAX_OUTPUT_LINE_BYTES} is
 * buffered or parsed, and no object nested deeper than {@link MAX_JSON_DEPTH} is parsed.
 */
import { MAX_JSON_DEPTH, MAX_OUTPUT_LINE_BYTES, parseJsonLimited } from '../../../core/limits.js';

/** UTF-8 bytes of `s`, computed only when `s` could be over `max` (a UTF-16 unit is at most 3 bytes). */
function bytesOver(s: string, max: number): boolean {
  return s.length > max || (s.length * 3 > max && Buffer.byteLength(s) > max);
}

/**
 * Splits chunks into complete lines; the tail waits for its newline. A line longer than
 * `maxLineBytes` (UTF-8) is dropped — whether it arrives whole or keeps growing without a newline,
 * the buffer never holds more than that plus one chunk — and splitting resumes after its newline.
 * Work per chunk is proportional to the chunk, not to the pending line.
 */
export class LineSplitter {
  #rest = '';
  /** UTF-8 bytes of `#rest`. */
  #restBytes = 0;
  /** Inside an overlong line: everything up to the next newline is dropped. */
  #skipping = false;
  #dropped = 0;

  /** @param maxLineBytes longest line kept, bytes (UTF-8). @default MAX_OUTPUT_LINE_BYTES (8 MiB) */
  constructor(readonly maxLineBytes: number = MAX_OUTPUT_LINE_BYTES) {}

  /** How many overlong lines were dropped so far. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Complete lines in `chunk` (with what was pending), none longer than `maxLineBytes`. */
  push(chunk: string): string[] {
    let text = chunk;
    if (this.#skipping) {
      const nl = text.indexOf('\n');
      if (nl < 0) return [];
      this.#skipping = false;
      text = text.slice(nl + 1);
    }
    const nl = text.indexOf('\n');
    if (nl < 0) {
      this.#append(text);
      return [];
    }
    const out: string[] = [];
    const first = this.#rest + text.slice(0, nl);
    const firstBytes = this.#restBytes + Buffer.byteLength(text.slice(0, nl));
    this.#rest = '';
    this.#restBytes = 0;
    if (firstBytes > this.maxLineBytes) this.#dropped++;
    else out.push(first);
    const parts = text.slice(nl + 1).split('\n');
    const tail = parts.pop()!;
    for (const line of parts) {
      if (bytesOver(line, this.maxLineBytes)) this.#dropped++;
      else out.push(line);
    }
    this.#append(tail);
    return out;
  }

  /** The last line when the stream ended without a newline (unless it was overlong). */
  end(): string[] {
    const r = this.#rest;
    this.#rest = '';
    this.#restBytes = 0;
    this.#skipping = false;
    return r ? [r] : [];
  }

  #append(text: string): void {
    this.#rest += text;
    this.#restBytes += Buffer.byteLength(text);
    if (this.#restBytes > this.maxLineBytes) {
      this.#rest = '';
      this.#restBytes = 0;
      this.#skipping = true;
      this.#dropped++;
    }
  }
}

/**
 * A JSON object from a line, or null when the line is not one — also when it is larger than
 * {@link MAX_OUTPUT_LINE_BYTES} or nested deeper than {@link MAX_JSON_DEPTH} (checked before
 * parsing, see `parseJsonLimited`). Never throws.
 */
export function parseJsonObject(line: string): Record<string, unknown> | null {
  const t = line.trim();
  if (!t.startsWith('{')) return null;
  try {
    const v = parseJsonLimited(t, { maxBytes: MAX_OUTPUT_LINE_BYTES, maxDepth: MAX_JSON_DEPTH, what: 'agent output line' });
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Reads a string field. */
export const str = (o: unknown, k: string): string | undefined => {
  const v = o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined;
  return typeof v === 'string' ? v : undefined;
};

/** Reads a finite number field. */
export const num = (o: unknown, k: string): number | undefined => {
  const v = o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
};

/** Reads an object field. */
export const obj = (o: unknown, k: string): Record<string, unknown> | undefined => {
  const v = o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined;
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
};

/** Reads an array field. */
export const arr = (o: unknown, k: string): unknown[] => {
  const v = o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined;
  return Array.isArray(v) ? v : [];
};

/** Most characters of a tool input or result kept in an event (~4 KB). */
export const TOOL_TEXT_MAX = 4096;

/** `text` cut to `max` characters, saying how much was cut. */
export function cut(text: string, max = TOOL_TEXT_MAX): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length - max} more characters)` : text;
}

/** A value as JSON, cut (for tool inputs). */
export function jsonCut(v: unknown, max = TOOL_TEXT_MAX): string | undefined {
  if (v === undefined) return undefined;
  try {
    return cut(typeof v === 'string' ? v : JSON.stringify(v), max);
  } catch {
    return undefined;
  }
}

/** The text of a tool result's content (a string, or content blocks with `text`). */
export function contentText(content: unknown): string | undefined {
  if (typeof content === 'string') return cut(content);
  if (Array.isArray(content)) {
    const parts = content.map((b) => (b && typeof b === 'object' && typeof (b as { text?: unknown }).text === 'string' ? (b as { text: string }).text : '')).filter(Boolean);
    return parts.length ? cut(parts.join('\n')) : undefined;
  }
  return undefined;
}
