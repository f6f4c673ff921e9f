/**
 * `tutti doctor`: the store's health (SQLite `PRAGMA quick_check` and schema level; PostgreSQL
 * connection and migration level), which coding-agent CLIs are installed (where, which version),
 * whether each is authenticated, whether git, gh (and its login) and tmux are there, and the state
 * of this repository's tutti worktrees (orphans, and `--prune-worktrees` to remove the safe ones).
 * Exit code 1 when the store is unhealthy.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import type { Command } from 'commander';
import { CLI_ADAPTERS } from '../../agents/drivers/cli/adapters.js';
import { reconcileWithEngine } from '../../agents/drivers/cli/coding/reconcile.js';
import { probeCli, probeTools, type CliProbe, type ToolProbe } from '../../agents/drivers/cli/probe.js';
import { describeQuota } from '../../agents/drivers/cli/quota.js';
import { CLI_NAMES } from '../../agents/drivers/cli/types.js';
import type { QuotaRecord } from '../../core/coordination.js';
import { pruneOrphans, type Reconciliation } from '../../workspace/reconcile.js';
import { errorMessage } from '../../core/errors.js';
import type { StoreHealth } from '../../store/health.js';
import { openPostgresStore } from '../../store/postgres/index.js';
import { openSqliteStore } from '../../store/sqlite/index.js';
import { databaseUrlOf, openEngine } from '../context.js';
import { resolveSettings, type StoreFlags } from '../config.js';
import { EXIT } from '../errors.js';
import { handler, parsePositiveInt, printJson, withStoreOptions } from '../io.js';

interface DoctorFlags extends StoreFlags {
  databaseUrl?: string;
  json?: boolean;
  pruneWorktrees?: boolean;
  probeTimeout: number;
}

export interface DoctorReport {
  store: StoreHealth;
  clis: CliProbe[];
  /** The quota ledger: CLIs known to be limited now (rate-limited, at capacity, out of credits) and until when. */
  quotas: QuotaRecord[];
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

/** Opens the store on its own (a damaged one must be reported, not crash the report) and checks it. */
async function checkStore(flags: DoctorFlags): Promise<StoreHealth> {
  const url = databaseUrlOf(flags);
  const location = url ? 'PostgreSQL' : resolveSettings(flags).dbPath;
  if (!url && !existsSync(location)) return { ok: true, kind: 'sqlite', location, detail: 'no database yet (created on first use)', schema: { applied: 0, required: 0 } };
  try {
    const store = url ? await openPostgresStore({ connectionString: url, skipMigrations: true }) : openSqliteStore({ path: location, skipMigrations: true });
    try {
      return (await store.checkHealth?.()) ?? { ok: true, kind: store.kind, location, detail: 'no self-check', schema: { applied: 0, required: 0 } };
    } finally {
      await store.close();
    }
  } catch (e) {
    return { ok: false, kind: url ? 'postgres' : 'sqlite', location, detail: errorMessage(e).split('\n')[0]!, schema: { applied: 0, required: 0 } };
  }
}

function print(r: DoctorReport): void {
  const w = (s: string) => process.stdout.write(`${s}\n`);
  w(`store ${r.store.kind} ${r.store.location}: ${r.store.ok ? 'ok' : 'PROBLEM'}${r.store.detail !== 'ok' ? ` — ${r.store.detail}` : ''} (schema ${r.store.schema.applied}/${r.store.schema.required})`);
  w('coding-agent CLIs');
  for (const p of r.clis) w(`  ${p.name.padEnd(7)} ${p.installed ? `${(p.version ?? '?').padEnd(26)} ${p.path}` : 'not installed'.padEnd(26)}  ${authText(p)}`);
  for (const q of r.quotas) w(`  ${describeQuota(q, Date.now())}${q.account === 'default' ? '' : ` (account ${q.account})`}: ${q.message}`);
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
      const store = await checkStore(flags);
      const clis = await Promise.all(CLI_NAMES.map((n) => probeCli(CLI_ADAPTERS[n], { env, home: homedir(), timeoutMs: flags.probeTimeout })));
      const tools = await probeTools(env, flags.probeTimeout);
      let worktrees: DoctorReport['worktrees'] = null;
      let quotas: QuotaRecord[] = [];
      if (store.ok) {
        const { engine, settings } = openEngine(flags, 'own');
        try {
          const now = Date.now();
          quotas = (await engine.listQuotas()).filter((q) => q.until > now);
          if (tools.find((t) => t.name === 'git')?.installed) {
            const rec = await reconcileWithEngine(engine, process.cwd(), settings.dataDir).catch(() => null);
            if (rec) worktrees = { ...rec, pruned: flags.pruneWorktrees ? await pruneOrphans(rec) : [] };
          }
        } finally {
          await engine.stop();
        }
      }
      const report: DoctorReport = { store, clis, quotas, tools, worktrees };
      if (flags.json) printJson(report);
      else print(report);
      return store.ok ? EXIT.ok : EXIT.runFailed;
    }),
  );
}
