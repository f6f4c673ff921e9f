/**
 * Lays the simulator on a PATH: executable shims named like the real programs (`claude`, `codex`,
 * `gemini`, `cursor-agent`) that run `tutti-sim <cli>` with this Node.
 */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SimCli } from './scenario.js';

/** Program name of each CLI on PATH. */
export const SIM_PROGRAMS: Readonly<Record<SimCli, string>> = { claude: 'claude', codex: 'codex', gemini: 'gemini', cursor: 'cursor-agent' };

export interface InstalledSimulator {
  /** The directory holding the shims. */
  binDir: string;
  /** `binDir` before `base` (a PATH value; default: this process's PATH). */
  pathWith(base?: string): string;
}

/**
 * The compiled simulator entry (dist/testing/sim/bin.js), also when this module runs from its
 * TypeScript source (tests).
 * @throws Error when it has not been built (`npm run build`).
 */
export function simulatorBin(): string {
  const here = fileURLToPath(import.meta.url);
  const bin = here.endsWith('.ts') ? resolve(dirname(here), '../../../dist/testing/sim/bin.js') : join(dirname(here), 'bin.js');
  if (!existsSync(bin)) throw new Error(`the CLI simulator is not built (${bin} is missing): run npm run build`);
  return bin;
}

/**
 * Writes simulator shims into `dir` (created if needed).
 * @param options.clis which CLIs to install (default all four); the others are "not installed".
 * @returns the directory and a PATH builder.
 * @throws Error when the simulator is not built.
 * @example
 *   const sim = installSimulator(tmpDir, { clis: ['claude', 'codex'] });
 *   spawn('tutti', [...], { env: { ...process.env, PATH: sim.pathWith(), TUTTI_SIM_SCENARIO: file } });
 */
export function installSimulator(dir: string, options: { clis?: readonly SimCli[] } = {}): InstalledSimulator {
  const bin = simulatorBin();
  mkdirSync(dir, { recursive: true });
  for (const cli of options.clis ?? (Object.keys(SIM_PROGRAMS) as SimCli[])) {
    const p = join(dir, SIM_PROGRAMS[cli]);
    writeFileSync(p, `#!/bin/sh\nexec "${process.execPath}" "${bin}" ${cli} "$@"\n`);
    chmodSync(p, 0o755);
  }
  return { binDir: dir, pathWith: (base = process.env.PATH ?? '') => [dir, base].filter(Boolean).join(delimiter) };
}
