/** Newline-delimited JSON from a CLI's stdout: chunks → lines → objects (non-JSON lines kept aside). */

/** Splits chunks into complete lines; the tail waits for its newline. */
export class LineSplitter {
  #rest = '';
  /** Complete lines in `chunk` (with what was pending). */
  push(chunk: string): string[] {
    const text = this.#rest + chunk;
    const lines = text.split('\n');
    this.#rest = lines.pop() ?? '';
    // A line longer than 16 MiB is not an event: drop it rather than grow without bound.
    if (this.#rest.length > 16 * 1024 * 1024) this.#rest = '';
    return lines;
  }
  /** The last line when the stream ended without a newline. */
  end(): string[] {
    const r = this.#rest;
    this.#rest = '';
    return r ? [r] : [];
  }
}

/** A JSON object from a line, or null when the line is not one. */
export function parseJsonObject(line: string): Record<string, unknown> | null {
  const t = line.trim();
  if (!t.startsWith('{')) return null;
  try {
    const v = JSON.parse(t) as unknown;
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
