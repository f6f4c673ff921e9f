/**
 * `tutti doctor`: which coding-agent CLIs are installed (where, which version), whether each is
 * authenticated, whether git, gh (and its login) and tmux are there, and the state of this
 * repository's tutti worktrees (orphans, and `--prune-worktrees` to remove the safe ones).
 */
import { homedir } from 'node:os';
import type { Command } from 'commander';
import { CLI_ADAPTERS } from '../../agents/drivers/cli/adapters.js';
import { reconcileWithEngine } from '../../agents/drivers/cli/coding/reconcile.js';
import { probeCli, probeTools, type CliProbe, type ToolProbe } from '../../agents/drivers/cli/probe.js';
import { CLI_NAMES } from '../../agents/drivers/cli/types.js';
import { pruneOrphans, type Reconciliation } from '../../workspace/reconcile.js';
import { openEngine } from '../context.js';
import type { StoreFlags } from '../config.js';
import { EXIT } from '../errors.js';
import { handler, parsePositiveInt, printJson, withStoreOptions } from '../io.js';

interface DoctorFlags extends StoreFlags {
  json?: boolean;
  pruneWorktrees?: boolean;
  probeTimeout: number;
}

export interface DoctorReport {
  clis: CliProbe[];
  tools: ToolProbe[];
  /** Null outside a git repository. */
  worktrees: (Reconciliation & { pruned: string[] }) | null;
}

function authText(p: CliProbe): string {
  if (!p.installed) return p.auth.detail;
  if (p.auth.authenticated === true) return `authenticated: ${p.auth.detail}`;
  if (p.auth.authenticated === false) return `NOT authenticated: ${p.auth.detail}`;
  return `authentication unknown: ${p.auth.detail}`;
}

function print(r: DoctorReport): void {
  const w = (s: string) => process.stdout.write(`${s}\n`);
  w('coding-agent CLIs');
  for (const p of r.clis) w(`  ${p.name.padEnd(7)} ${p.installed ? `${(p.version ?? '?').padEnd(26)} ${p.path}` : 'not installed'.padEnd(26)}  ${authText(p)}`);
  w('tools');
  for (const t of r.tools) w(`  ${t.name.padEnd(7)} ${t.installed ? `${(t.version ?? '?').padEnd(26)} ${t.path}` : 'not installed'}${t.detail ? `  ${t.detail}` : ''}`);
  if (!r.worktrees) {
    w('worktrees: not in a git repository');
    return;
  }
  const { active, orphans, pruned, repoRoot } = r.worktrees;
  w(`worktrees of ${repoRoot}: ${active.length} of unfinished tasks, ${orphans.length} orphaned${pruned.length ? `, ${pruned.length} removed` : ''}`);
  for (const o of orphans) w(`  ${pruned.includes(o.path) ? 'removed ' : ''}${o.path}  ${o.reason.replace(/_/g, ' ')}${o.branch ? `  branch ${o.branch}` : ''}${pruned.includes(o.path) ? '' : `  ${o.blocker ?? 'removable (tutti doctor --prune-worktrees)'}`}`);
}

export function registerDoctor(program: Command): void {
  withStoreOptions(
    program
      .command('doctor')
      .description('check the coding-agent CLIs (installed, version, authenticated), git, gh, tmux, and this repository’s worktrees')
      .option('--json', 'print the report as JSON')
      .option('--prune-worktrees', 'remove orphaned worktrees whose commits are safe on a branch')
      .option('--probe-timeout <ms>', 'longest wait for each probe command; past it the command and everything it started are killed', parsePositiveInt('--probe-timeout'), 20_000),
  ).action(
    handler(async (flags: DoctorFlags) => {
      const env = process.env;
      const clis = await Promise.all(CLI_NAMES.map((n) => probeCli(CLI_ADAPTERS[n], { env, home: homedir(), timeoutMs: flags.probeTimeout })));
      const tools = await probeTools(env, flags.probeTimeout);
      let worktrees: DoctorReport['worktrees'] = null;
      if (tools.find((t) => t.name === 'git')?.installed) {
        const { engine, settings } = openEngine(flags, 'own');
        try {
          const rec = await reconcileWithEngine(engine, process.cwd(), settings.dataDir).catch(() => null);
          if (rec) worktrees = { ...rec, pruned: flags.pruneWorktrees ? await pruneOrphans(rec) : [] };
        } finally {
          await engine.stop();
        }
      }
      const report: DoctorReport = { clis, tools, worktrees };
      if (flags.json) printJson(report);
      else print(report);
      return EXIT.ok;
    }),
  );
}
