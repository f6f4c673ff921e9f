/**
 * Learnings an agent reports through its output, in one of two documented forms (docs/memory.md):
 *
 * 1. A structured output (function and test drivers, agents answering JSON) with a `learnings`
 *    array: `{ learnings: ['text', { text, score?, metadata? }] }`.
 * 2. Lines in the text output or attempt log (exec and CLI agents), one learning per line:
 *    `TUTTI_LEARNING: plain text` or `TUTTI_LEARNING: {"text": "...", "score": 0.8}`.
 *
 * Parsing is forgiving of noise around the marker and strict on content: a malformed entry is
 * skipped, never half-recorded. Duplicates (same text) are recorded once.
 */
import { z } from 'zod';

/** The line marker of the text form. */
export const LEARNING_MARKER = 'TUTTI_LEARNING:';

/** Longest learning text kept, characters. */
export const MAX_LEARNING_CHARS = 10_000;

/** Most learnings taken from one attempt. */
export const MAX_LEARNINGS_PER_ATTEMPT = 100;

export interface ParsedLearning {
  text: string;
  score?: number;
  metadata?: Record<string, unknown>;
}

const entrySchema = z.union([
  z.string().min(1),
  z.object({
    text: z.string().min(1),
    score: z.number().finite().optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  }),
]);

function toLearning(raw: unknown): ParsedLearning | null {
  const r = entrySchema.safeParse(raw);
  if (!r.success) return null;
  const l: ParsedLearning = typeof r.data === 'string' ? { text: r.data } : { text: r.data.text };
  if (typeof r.data !== 'string') {
    if (r.data.score !== undefined) l.score = r.data.score;
    if (r.data.metadata !== undefined) l.metadata = r.data.metadata;
  }
  l.text = l.text.trim().slice(0, MAX_LEARNING_CHARS);
  return l.text ? l : null;
}

/** Learnings from a structured output (`{ learnings: [...] }`); none for other shapes. */
export function learningsFromOutput(output: unknown): ParsedLearning[] {
  if (typeof output === 'string') return learningsFromText(output);
  if (output === null || typeof output !== 'object' || Array.isArray(output)) return [];
  const list = (output as { learnings?: unknown }).learnings;
  if (!Array.isArray(list)) return [];
  return list.map(toLearning).filter((l): l is ParsedLearning => l !== null);
}

/** Learnings from `TUTTI_LEARNING:` lines of a text. */
export function learningsFromText(text: string): ParsedLearning[] {
  const out: ParsedLearning[] = [];
  let from = 0;
  for (;;) {
    const at = text.indexOf(LEARNING_MARKER, from);
    if (at < 0) break;
    const end = text.indexOf('\n', at);
    const line = text.slice(at + LEARNING_MARKER.length, end < 0 ? undefined : end).trim();
    from = end < 0 ? text.length : end + 1;
    if (!line) continue;
    let parsed: ParsedLearning | null = null;
    if (line.startsWith('{')) {
      try {
        parsed = toLearning(JSON.parse(line));
      } catch {
        parsed = null; // a line that looks like JSON but is not: skipped rather than stored as text
      }
    } else parsed = toLearning(line);
    if (parsed) out.push(parsed);
  }
  return out;
}

/** Removes repeated texts (first kept) and caps the count. */
export function uniqueLearnings(list: readonly ParsedLearning[]): ParsedLearning[] {
  const seen = new Set<string>();
  const out: ParsedLearning[] = [];
  for (const l of list) {
    if (seen.has(l.text)) continue;
    seen.add(l.text);
    out.push(l);
    if (out.length >= MAX_LEARNINGS_PER_ATTEMPT) break;
  }
  return out;
}
