/** Scripted dev-team roles and a real git repository for template tests. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FunctionContext } from '../../src/agents/types.js';
import type { AgentInput } from '../../src/core/plan/schema.js';

export function tempDir(prefix = 'tutti-tpl-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** `git init` in a new temp dir with an identity, an initial commit and a README. */
export function gitRepo(prefix = 'tutti-repo-'): string {
  const dir = tempDir(prefix);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.email', 'dev@example.com');
  git(dir, 'config', 'user.name', 'Dev');
  writeFileSync(join(dir, 'README.md'), '# project\n');
  git(dir, 'add', 'README.md');
  git(dir, 'commit', '-q', '-m', 'initial');
  return dir;
}

export function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8' });
}

/** The test suite every scaffold creates: passes when src/greet.txt says hello. */
export const SCAFFOLD = [
  '#!/bin/sh',
  '# scaffold.sh: creates the skeleton and the test script',
  'mkdir -p src',
  "printf '#!/bin/sh\\ngrep -q \"^hello\" src/greet.txt || { echo \"FAIL: src/greet.txt does not greet\"; exit 1; }\\necho PASS\\n' > test.sh",
  'chmod +x test.sh',
  '',
].join('\n');

export interface RoleLog {
  calls: Array<{ role: string; attempt: number; feedback: string | null; input: unknown }>;
}

/**
 * Function agents playing pm, architect and engineer. The pm and architect answer with text (the
 * documents step writes the files); the engineer edits files: wrong first, right once a bug
 * report exists (unless `fixAfter` says more failures).
 */
export function scriptedRoles(options: { fixOnIteration?: number } = {}): { functions: Record<string, (ctx: FunctionContext) => unknown>; agents: AgentInput[]; log: RoleLog } {
  const log: RoleLog = { calls: [] };
  const fixOn = options.fixOnIteration ?? 2;
  let engineerRuns = 0;
  return {
    log,
    agents: [
      { id: 'pm-bot', driver: 'function', capabilities: ['pm'], config: { function: 'role.pm' } },
      { id: 'architect-bot', driver: 'function', capabilities: ['architect'], config: { function: 'role.architect' } },
      { id: 'engineer-bot', driver: 'function', capabilities: ['code'], config: { function: 'role.engineer' } },
    ],
    functions: {
      'role.pm': (ctx) => {
        log.calls.push({ role: 'pm', attempt: ctx.attempt, feedback: ctx.feedback, input: ctx.input });
        return `# PRD\n\nMission: ${ctx.prompt?.split('## Mission')[1]?.trim() ?? '?'}\n\n## Acceptance criteria\n- greets with hello\n`;
      },
      'role.architect': (ctx) => {
        log.calls.push({ role: 'architect', attempt: ctx.attempt, feedback: ctx.feedback, input: ctx.input });
        const prd = readFileSync(join(ctx.workDir, 'docs/PRD.md'), 'utf8');
        const extra = ctx.feedback ? `\n## Revisions\n\nAddressed: ${ctx.feedback.split('\n')[0]}\n` : '';
        return `# Tech spec (v${ctx.attempt})\n\nBased on a PRD of ${prd.length} bytes.${extra}\n\n\`\`\`sh scaffold.sh\n${SCAFFOLD}\`\`\`\n`;
      },
      'role.engineer': (ctx) => {
        engineerRuns++;
        log.calls.push({ role: 'engineer', attempt: ctx.attempt, feedback: ctx.feedback, input: ctx.input });
        const good = engineerRuns >= fixOn;
        mkdirSync(join(ctx.workDir, 'src'), { recursive: true });
        writeFileSync(join(ctx.workDir, 'src/greet.txt'), good ? 'hello, world\n' : 'goodbye\n');
        return `implementation ${engineerRuns}${existsSync(join(ctx.workDir, 'docs/BUG_REPORT.md')) ? ' (after a bug report)' : ''}`;
      },
    },
  };
}

export async function waitFor<T>(fn: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)?.slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}
