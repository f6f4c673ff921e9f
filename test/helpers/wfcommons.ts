/**
 * The real WfCommons traces shared by the workspace (`../shared/data/wfcommons/`, never copied
 * into the repository) and the figures its README publishes for them.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The traces folder; `TUTTI_WFCOMMONS_DIR` overrides it. */
export const WFCOMMONS_DIR = process.env.TUTTI_WFCOMMONS_DIR ?? resolve(import.meta.dirname, '../../../shared/data/wfcommons');

/** Whether the folder is there (tests skip, saying why, when it is not). */
export const WFCOMMONS_AVAILABLE = existsSync(join(WFCOMMONS_DIR, 'README.md'));

/** Trace names (file names without `.json`), sorted. */
export function traceNames(): string[] {
  if (!WFCOMMONS_AVAILABLE) return [];
  return readdirSync(WFCOMMONS_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** The parsed JSON of one trace. */
export function loadTrace(name: string): unknown {
  return JSON.parse(readFileSync(join(WFCOMMONS_DIR, `${name}.json`), 'utf8'));
}

/** A published figure and the unit of its last printed digit (`2,894` → 1, `10.4` → 0.1). */
export interface Figure {
  value: number;
  unit: number;
}

export interface ReadmeRow {
  tasks: number;
  edges: number;
  levels: number;
  maxWidth: number;
  criticalPathSeconds: Figure;
  totalWorkSeconds: Figure;
}

function figure(cell: string): Figure {
  const text = cell.trim().replace(/,/g, '');
  if (!/^\d+(\.\d+)?$/.test(text)) throw new Error(`not a number in the README table: '${cell}'`);
  const decimals = text.includes('.') ? text.length - text.indexOf('.') - 1 : 0;
  return { value: Number(text), unit: 10 ** -decimals };
}

/** The README's table, by trace name. */
export function readmeTable(): Map<string, ReadmeRow> {
  const text = readFileSync(join(WFCOMMONS_DIR, 'README.md'), 'utf8');
  const rows = new Map<string, ReadmeRow>();
  const lines = text.split('\n').filter((l) => l.startsWith('|'));
  const header = lines[0]?.split('|').map((c) => c.trim()) ?? [];
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`README table has no '${name}' column`);
    return i;
  };
  const c = { file: col('file'), tasks: col('tasks'), edges: col('edges'), levels: col('levels'), width: col('max width'), cp: col('critical path (s)'), work: col('total work (s)') };
  for (const line of lines.slice(2)) {
    const cells = line.split('|');
    const cell = (i: number) => cells[i] ?? '';
    rows.set(cell(c.file).trim(), {
      tasks: figure(cell(c.tasks)).value,
      edges: figure(cell(c.edges)).value,
      levels: figure(cell(c.levels)).value,
      maxWidth: figure(cell(c.width)).value,
      criticalPathSeconds: figure(cell(c.cp)),
      totalWorkSeconds: figure(cell(c.work)),
    });
  }
  return rows;
}
