/**
 * Reviewing agents' work in real Chromium: a coding attempt's diff (files, highlighted unified
 * diff) and transcript, its cost against the budget, reject with a comment then approve from the
 * review view; outcome bars that never paint a failed run green; a run nobody executes shown as
 * interrupted; a 103-task plan readable; a task log that follows new output unless scrolled up.
 * The attempts are made by a driver leaving what the coding driver leaves (test/review/contract-coder.ts)
 * in a real git repository; the server is the real HTTP server over the engine. Screenshots go to
 * test-artifacts/browser/review-*.png.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, runCli, startCli, tempDir } from '../helpers/cli.js';
import { contractCoder, makeRepo } from '../review/contract-coder.js';
import { gitRepo, tmp } from '../agents/helpers.js';
import { startServe } from '../server/serve-process.js';
import { startServer, TOKEN } from '../server/helpers.js';
import { sim } from '../sim/helpers.js';

/** The page's DOM inside `waitForFunction` / `$eval` callbacks (the test project does not load the dom lib). */
declare const document: { querySelector(selector: string): ({ scrollTop: number; scrollHeight: number; clientHeight: number; textContent: string | null; getBoundingClientRect(): { width: number } }) | null };

const CHROMIUM = process.env.TUTTI_CHROMIUM ?? '/usr/bin/chromium';
const WEB_DIR = resolve(import.meta.dirname, '../../web/dist');
const SHOTS = resolve(import.meta.dirname, '../../test-artifacts/browser');
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const FIXED = 'export function sum(a, b) {\n  return a + b;\n}\n';

const missing = !existsSync(CHROMIUM) ? `no Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run installs it)` : null;

async function signIn(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/#/runs`);
  await page.waitForSelector('[data-testid="token-input"]');
  await page.fill('[data-testid="token-input"]', TOKEN);
  await page.click('[data-testid="token-save"]');
  await page.waitForSelector('[data-testid="runs-table"]');
}

describe.skipIf(missing !== null)(`reviewing agents' work in Chromium${missing ? ` — skipped: ${missing}` : ''}`, () => {
  let browser: BrowserContext;
  let profileDir: string;

  beforeAll(async () => {
    if (!existsSync(join(WEB_DIR, 'index.html'))) throw new Error(`${WEB_DIR} is missing: build the dashboard with npm run build:web (npm test does it)`);
    mkdirSync(SHOTS, { recursive: true });
    profileDir = tempDir('tutti-chromium-');
    browser = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, args: FLAGS, viewport: { width: 1440, height: 1000 } });
  });

  afterAll(async () => {
    await browser?.close();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  });

  it('diff, transcript and cost of an attempt; reject with a comment, then approve, from the review view', { timeout: 120_000 }, async () => {
    const repo = makeRepo();
    const s = await startServer({
      engine: { drivers: [contractCoder()], agents: [{ id: 'coder', driver: 'contract-coder', config: { repo, budget: { usd: 0.1 } } }] },
      server: { webDir: WEB_DIR },
    });
    const url = await s.listen();
    const failed = await s.engine.run({ name: 'batch that failed', tasks: [1, 2].map((i) => ({ id: `item-${i}`, command: ['sh', '-c', 'exit 1'], continueOnFailure: true })) });
    expect(failed.status).toBe('failed');
    const created = await s.engine.createRun({
      name: 'fix the sum',
      tasks: [
        { id: 'fix', title: 'Fix sum()', agent: 'coder', input: { files: { 'src/sum.js': FIXED, 'NOTES.md': '# notes\n' }, message: 'sum: add, do not subtract', failAttempt: 1 }, retry: { maxAttempts: 2, backoff: { initialMs: 1, factor: 1, maxMs: 1, jitter: 0 } } },
        { id: 'review', title: 'Review the fix', approval: { message: 'Merge the fix?' }, dependsOn: ['fix'] },
      ],
    });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await signIn(page, url);

    // The failed run: red parts of the outcome bar, never a full green one.
    await page.waitForSelector(`[data-testid="run-row-${failed.id}"]`);
    expect(await page.textContent(`[data-testid="run-outcome-${failed.id}"]`)).toContain('0/2 succeeded · 2 failed');
    expect(await page.$$eval(`[data-testid="run-outcome-${failed.id}"] [data-part]`, (els) => els.map((e) => e.getAttribute('data-part')))).toEqual(['failed']);
    await page.waitForSelector(`[data-testid="run-row-${created.id}"]`);
    await page.screenshot({ path: `${SHOTS}/review-0-runs.png` });

    await page.goto(`${url}/#/runs/${created.id}`);
    await page.waitForSelector('[data-testid="run-status"][data-status="awaiting_approval"]', { timeout: 30_000 });
    await page.waitForSelector('[data-testid="run-cost"]');
    expect(await page.textContent('[data-testid="run-cost"]')).toContain('agent coder budget');
    await page.screenshot({ path: `${SHOTS}/review-1-run-with-cost.png` });

    // The task panel links the attempt's review.
    await page.click('[data-testid="node-fix"]');
    await page.waitForSelector('[data-testid="review-link"]');
    await page.click('[data-testid="review-link"]');
    await page.waitForSelector('[data-testid="diff-files"]');
    expect(await page.textContent('[data-testid="diff-file-src/sum.js"]')).toContain('+1−1');
    expect(await page.textContent('[data-testid="diff-file-NOTES.md"]')).toContain('+1');
    // diff2html drew the unified diff, and highlight.js coloured its code.
    await page.waitForSelector('.d2h-file-wrapper');
    expect(await page.textContent('.diff-body')).toContain('return a + b;');
    expect(await page.$$eval('.diff-body .hljs-keyword', (els) => els.length)).toBeGreaterThan(0);
    expect(await page.textContent('[data-testid="attempt-cost"]')).toMatch(/This attempt: 5,345 tokens \(\+12,000 cache reads\) · \$0\.0422/);
    expect(await page.textContent('[data-testid="task-budget"]')).toMatch(/\$0\.0843 of \$0\.1000 \(84%\)/);
    await page.screenshot({ path: `${SHOTS}/review-2-diff.png`, fullPage: true });

    await page.click('[data-testid="tab-transcript"]');
    await page.waitForSelector('[data-testid="transcript"]');
    const calls = await page.$$eval('[data-testid="transcript-tool-call"]', (els) => els.map((e) => e.textContent ?? ''));
    expect(calls[0]).toContain('Bash');
    expect(calls[0]).toContain('"command": "npm test"');
    expect(await page.textContent('[data-testid="transcript"]')).toContain('expected 3, got 2');
    expect(await page.textContent('[data-testid="transcript"]')).toContain('Fixed: sum() subtracted instead of adding.');
    await page.screenshot({ path: `${SHOTS}/review-3-transcript.png`, fullPage: true });

    // Reject with a comment from the review view: the fix runs again (attempt 3), the gate waits again.
    await page.click('[data-testid="tab-diff"]');
    await page.fill('[data-testid="reject-feedback"]', 'also cover negative numbers');
    await page.click('[data-testid="reject-button"]');
    await page.waitForSelector('[data-testid="attempt-3"]', { timeout: 30_000 });
    const view = await s.engine.getRun(created.id);
    expect(view!.tasks.find((t) => t.id === 'fix')!.attempts).toHaveLength(3);
    // Three attempts of $0.0422 are over the agent's $0.10.
    await page.click('[data-testid="attempt-3"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="task-budget"]')?.textContent?.includes('over budget') === true, undefined, { timeout: 15_000 });
    await page.waitForSelector('[data-testid="approve-button"]', { timeout: 30_000 });
    await page.screenshot({ path: `${SHOTS}/review-4-over-budget-decide.png`, fullPage: true });
    await page.click('[data-testid="approve-button"]');
    const done = await s.engine.waitForRun(created.id);
    expect(done.status).toBe('completed');
    const feedback = (await s.engine.store.listEvents(created.id)).find((e) => e.type === 'approval:rejected');
    expect(JSON.stringify(feedback?.data)).toContain('also cover negative numbers');
    expect(errors).toEqual([]);
  });

  it('a real coding attempt (tutti --agent-cli with the CLI simulator) reviewed in the dashboard of tutti serve', { timeout: 120_000 }, async () => {
    const repo = gitRepo({ 'answer.js': 'module.exports = 0;\n', 'test.js': "const a = require('./answer.js');\nif (a !== 42) process.exit(1);\n" });
    const scenario = sim({ entries: [{ match: { cli: 'claude' }, actions: [{ write: 'answer.js', content: 'module.exports = 42;\n' }], outcome: { kind: 'success', usage: { input: 1200, cacheWrite: 300, cacheRead: 9000, output: 80 } } }] }, ['claude']);
    const dataDir = tmp();
    const env = { ...scenario.env, HOME: tmp('tutti-home-') };
    const r = await runCli(['--agent-cli', 'claude', '--validate', 'node test.js', 'set the answer to 42'], { dataDir, cwd: repo, env });
    expect(r.code, r.stderr).toBe(0);
    const runId = /run (run_\w+)/.exec(r.stdout)![1]!;
    const serve = await startServe([], { dataDir, env: { ...env, TUTTI_API_TOKEN: TOKEN } });
    try {
      const page = await browser.newPage();
      await signIn(page, serve.url);
      await page.goto(`${serve.url}/#/runs/${runId}/tasks/main/attempts/1`);
      await page.waitForSelector('[data-testid="diff-file-answer.js"]');
      await page.waitForSelector('.d2h-file-wrapper');
      expect(await page.textContent('.diff-body')).toContain('module.exports = 42;');
      // The simulated session's usage, as Claude Code reports it: the tokens budgets count (input 1,200 + cache writes 300 + output 80), the cache reads apart, and the cost.
      await page.waitForFunction(() => /This attempt: 1,580 tokens \(\+9,000 cache reads\) · \$0\.0086/.test(document.querySelector('[data-testid="attempt-cost"]')?.textContent ?? ''), undefined, { timeout: 15_000 });
      await page.screenshot({ path: `${SHOTS}/review-8-real-attempt-diff.png`, fullPage: true });
      await page.click('[data-testid="tab-transcript"]');
      await page.waitForSelector('[data-testid="transcript"]');
      expect(await page.textContent('[data-testid="transcript"]')).toContain('answer.js');
      await page.screenshot({ path: `${SHOTS}/review-9-real-attempt-transcript.png`, fullPage: true });
    } finally {
      await serve.stop();
    }
  });

  it('a 103-task plan opens readable: by level, and the graph zoomed on its first levels', { timeout: 90_000 }, async () => {
    const s = await startServer({ server: { webDir: WEB_DIR } });
    const url = await s.listen();
    // Montage-like layers: 1 → 50 → 50 → 1 → 1.
    const tasks = [{ id: 'fetch', agent: 'test' }, ...Array.from({ length: 50 }, (_, i) => ({ id: `project-${i}`, agent: 'test', dependsOn: ['fetch'] })), ...Array.from({ length: 50 }, (_, i) => ({ id: `diff-${i}`, agent: 'test', dependsOn: [`project-${i}`] })), { id: 'fit', agent: 'test', dependsOn: Array.from({ length: 50 }, (_, i) => `diff-${i}`) }, { id: 'mosaic', agent: 'test', dependsOn: ['fit'] }];
    const run = await s.engine.run({ name: 'montage-like', tasks });
    expect(run.tasks).toHaveLength(103);
    const page = await browser.newPage();
    await signIn(page, url);
    await page.goto(`${url}/#/runs/${run.id}`);
    await page.waitForSelector('[data-testid="dag"][data-view="levels"]');
    expect(await page.textContent('[data-testid="level-1"]')).toContain('50 tasks');
    await page.screenshot({ path: `${SHOTS}/review-5-large-by-level.png` });
    await page.click('[data-testid="dag-view-graph"]');
    await page.waitForSelector('.react-flow__node');
    // Readable: the first nodes are drawn at 60% of their size or more, not as specks.
    await page.waitForFunction(() => (document.querySelector('[data-testid="node-fetch"]')?.getBoundingClientRect().width ?? 0) >= 0.6 * 190, undefined, { timeout: 10_000 });
    await page.screenshot({ path: `${SHOTS}/review-6-large-graph.png` });
  });

  it("a task's log follows new output, and stays where the reader scrolled", { timeout: 90_000 }, async () => {
    const s = await startServer({ server: { webDir: WEB_DIR } });
    const url = await s.listen();
    const marker = join(s.dataDir, 'go-on');
    // Prints 150 lines, waits for the test to have scrolled up, then 150 more.
    const script = `for i in $(seq 1 150); do echo "line $i"; done; while [ ! -f ${marker} ]; do sleep 0.05; done; for i in $(seq 151 300); do echo "line $i"; done; sleep 30`;
    const created = await s.engine.createRun({ name: 'chatty', tasks: [{ id: 'talk', command: ['sh', '-c', script] }] });
    const page = await browser.newPage();
    await signIn(page, url);
    await page.goto(`${url}/#/runs/${created.id}`);
    await page.waitForSelector('[data-testid="node-talk"][data-status="running"]', { timeout: 30_000 });
    await page.click('[data-testid="node-talk"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="task-log"]')?.textContent?.includes('line 150') === true, undefined, { timeout: 30_000 });
    // At the bottom: it followed.
    await page.waitForFunction(() => {
      const el = document.querySelector('[data-testid="task-log"]')!;
      return el.scrollHeight > el.clientHeight && el.scrollTop + el.clientHeight >= el.scrollHeight - 30;
    }, undefined, { timeout: 10_000 });
    // The reader scrolls up; new output arrives; the view stays where the reader is.
    await page.$eval('[data-testid="task-log"]', (el) => {
      (el as unknown as { scrollTop: number }).scrollTop = 0;
      el.dispatchEvent(new Event('scroll'));
    });
    writeFileSync(marker, '');
    await page.waitForFunction(() => document.querySelector('[data-testid="task-log"]')?.textContent?.includes('line 300') === true, undefined, { timeout: 30_000 });
    expect(await page.$eval('[data-testid="task-log"]', (el) => (el as unknown as { scrollTop: number }).scrollTop)).toBeLessThan(30);
    await s.engine.cancelRun(created.id);
  });

  it('a run that no live engine holds shows interrupted with the resume command', { timeout: 90_000 }, async () => {
    const dataDir = tempDir('tutti-interrupted-');
    const plan = join(dataDir, 'slow.json');
    writeFileSync(plan, JSON.stringify({ name: 'cut short', tasks: [{ id: 'slow', command: ['sleep', '30'] }] }));
    const child = startCli(['run', '--plan', plan, '--run-id', 'cut-short'], { dataDir });
    const exited = collect(child);
    for (;;) {
      const r = await runCli(['status', 'cut-short', '--json'], { dataDir });
      if (r.code === 0 && (JSON.parse(r.stdout) as { counts: { running: number } }).counts.running === 1) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    child.kill('SIGINT');
    expect((await exited).code).toBe(130);
    // A server that only reads the store (its engine not started): nothing executes the run.
    const s = await startServer({ engine: { store: { sqlite: join(dataDir, 'tutti.db') } }, server: { webDir: WEB_DIR }, start: false });
    const url = await s.listen();
    const page = await browser.newPage();
    await signIn(page, url);
    await page.waitForSelector('[data-testid="run-row-cut-short"] [data-status="interrupted"]');
    await page.goto(`${url}/#/runs/cut-short`);
    await page.waitForSelector('[data-testid="run-interrupted"]');
    expect(await page.textContent('[data-testid="run-interrupted"]')).toContain('Resume with: tutti resume');
    await page.screenshot({ path: `${SHOTS}/review-7-interrupted.png` });
  });
});
