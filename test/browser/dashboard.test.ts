/**
 * The dashboard in a real browser (Debian Chromium driven by playwright-core) against a real
 * `tutti serve` process: sign in with the token, watch a run's DAG go green live, reject a gate
 * with feedback and approve it by clicking, and see the run complete. Screenshots go to
 * test-artifacts/browser/.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cli.js';
import { startServe, type ServeProcess } from '../server/serve-process.js';

/** The page's DOM, inside `waitForFunction` callbacks (the test project does not load the dom lib). */
declare const document: { querySelector(selector: string): { getAttribute(name: string): string | null } | null };

const CHROMIUM = process.env.TUTTI_CHROMIUM ?? '/usr/bin/chromium';
const WEB_INDEX = resolve(import.meta.dirname, '../../web/dist/index.html');
const SHOTS = resolve(import.meta.dirname, '../../test-artifacts/browser');
const TOKEN = 'browser-test-token-0123456789';
/** Flags for Debian Chromium on a headless CI machine with no network beyond the test server. */
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const plan = {
  name: 'release',
  tasks: [
    { id: 'prep', title: 'Prepare', agent: 'test', input: { emit: ['preparing'], output: { ok: true } } },
    { id: 'review', title: 'Review the plan', approval: { message: 'Go ahead with the build?' }, dependsOn: ['prep'] },
    { id: 'build-a', title: 'Build A', agent: 'test', input: { sleepMs: 1500, emit: ['compiling a'] }, dependsOn: ['review'] },
    { id: 'build-b', title: 'Build B', agent: 'test', input: { sleepMs: 1500 }, dependsOn: ['review'] },
    { id: 'ship', title: 'Ship', agent: 'test', input: { sleepMs: 200 }, dependsOn: ['build-a', 'build-b'] },
  ],
};

/** Samples a DAG node's status until it reaches `until`; returns every status seen, in order, without repeats. */
async function watchNode(page: Page, taskId: string, until: string, timeoutMs = 20_000): Promise<string[]> {
  const seen: string[] = [];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const status = await page.getAttribute(`[data-testid="node-${taskId}"]`, 'data-status').catch(() => null);
    if (status && seen[seen.length - 1] !== status) seen.push(status);
    if (status === until) return seen;
    await page.waitForTimeout(50);
  }
  throw new Error(`node ${taskId} never became ${until}; seen: ${seen.join(' → ')}`);
}

const missing = !existsSync(CHROMIUM) ? `no Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run installs it)` : null;

describe.skipIf(missing !== null)(`dashboard in Chromium${missing ? ` — skipped: ${missing}` : ''}`, () => {
  let serve: ServeProcess;
  let browser: BrowserContext;
  let dataDir: string;
  let profileDir: string;

  beforeAll(async () => {
    if (!existsSync(WEB_INDEX)) throw new Error(`${WEB_INDEX} is missing: build the dashboard with npm run build:web (npm test does it)`);
    rmSync(SHOTS, { recursive: true, force: true });
    mkdirSync(SHOTS, { recursive: true });
    dataDir = tempDir('tutti-browser-');
    serve = await startServe([], { dataDir, env: { TUTTI_API_TOKEN: TOKEN } });
    // A fresh profile (--user-data-dir) per run: no state leaks between runs.
    profileDir = tempDir('tutti-chromium-');
    browser = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, args: FLAGS, viewport: { width: 1440, height: 1000 } });
  });

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  });

  it('signs in with the token, shows the live DAG, rejects then approves a gate, and the run completes', { timeout: 90_000 }, async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));

    // The runs page asks for the token, then lists runs live.
    await page.goto(`${serve.url}/#/runs`);
    await page.waitForSelector('[data-testid="token-input"]');
    // A wrong token is refused (401) and the prompt comes back.
    await page.fill('[data-testid="token-input"]', `${TOKEN}-wrong`);
    await page.click('[data-testid="token-save"]');
    await page.waitForSelector('[data-testid="token-error"]');
    await page.fill('[data-testid="token-input"]', TOKEN);
    await page.click('[data-testid="token-save"]');
    await page.waitForSelector('[data-testid="runs-table"]');

    const res = await fetch(`${serve.url}/api/v1/runs`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ plan }) });
    expect(res.status).toBe(201);
    const runId = ((await res.json()) as { id: string }).id;
    // The new run appears without a reload (all-runs event stream).
    await page.waitForSelector(`[data-testid="run-row-${runId}"]`, { timeout: 15_000 });
    await page.screenshot({ path: `${SHOTS}/1-runs.png` });

    await page.click(`[data-testid="run-row-${runId}"] a`);
    await page.waitForSelector('[data-testid="dag"]');
    await watchNode(page, 'prep', 'succeeded');
    await watchNode(page, 'review', 'awaiting_approval');
    expect(await page.getAttribute('[data-testid="node-build-a"]', 'data-status')).toBe('pending');
    expect(await page.textContent('[data-testid="approval-message"]')).toBe('Go ahead with the build?');
    // Hovering a waiting task tells why it waits.
    expect(await page.getAttribute('[data-testid="node-build-a"]', 'title')).toContain('why: waiting on review');
    // Clicking it shows the same reason in the task panel.
    await page.click('[data-testid="node-build-a"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="task-panel"]')?.getAttribute('data-task') === 'build-a', undefined, { timeout: 5000 });
    expect(await page.textContent('[data-testid="task-panel"]')).toContain('waiting on review');
    await page.screenshot({ path: `${SHOTS}/2-awaiting-approval.png` });

    // Reject with feedback: prep runs again (a second attempt) and the gate waits again.
    await page.fill('[data-testid="reject-feedback"]', 'prepare with the new config');
    await page.selectOption('[data-testid="reject-rewind"]', 'prep');
    await page.click('[data-testid="reject-button"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="node-prep"]')?.getAttribute('title')?.includes('2 attempts'), undefined, { timeout: 15_000 });
    await watchNode(page, 'review', 'awaiting_approval');
    await page.click('[data-testid="node-prep"]');
    await page.waitForSelector('[data-testid="task-panel"]');
    expect(await page.textContent('[data-testid="task-panel"]')).toContain('Attempts (2)');

    // Approve by clicking: the builds turn from pending to running to green, live.
    await page.click('[data-testid="approve-button"]');
    const seen = await watchNode(page, 'build-a', 'succeeded');
    expect(seen[0]).toBe('pending');
    expect(seen).toContain('running');
    await page.screenshot({ path: `${SHOTS}/3-building.png` });
    await page.waitForSelector('[data-testid="run-status"][data-status="completed"]', { timeout: 20_000 });
    for (const id of ['prep', 'review', 'build-a', 'build-b', 'ship']) expect(await page.getAttribute(`[data-testid="node-${id}"]`, 'data-status')).toBe('succeeded');
    const log = await page.textContent('[data-testid="live-log"]');
    expect(log).toContain('approval:rejected');
    expect(log).toContain('approval:granted');
    expect(log).toContain('run:completed');
    await page.screenshot({ path: `${SHOTS}/4-completed.png` });

    // The runs list: live counts per status, and the filters narrow the table.
    await page.goto(`${serve.url}/#/runs`);
    await page.waitForSelector(`[data-testid="run-row-${runId}"]`);
    expect(await page.textContent('[data-testid="count-completed"]')).toBe('1');
    expect(await page.textContent('[data-testid="count-awaiting_approval"]')).toBe('0');
    await page.click('[data-testid="filter-failed"]');
    // Wait for the state asserted (the empty page), not for the old row to go: the table is empty
    // for a moment between the two, before the filtered page has loaded.
    await page.waitForSelector('[data-testid="runs-empty"]');
    expect(await page.$(`[data-testid="run-row-${runId}"]`)).toBeNull();
    expect(await page.textContent('[data-testid="runs-empty"]')).toContain('No runs failed');
    await page.click('[data-testid="filter-completed"]');
    await page.waitForSelector(`[data-testid="run-row-${runId}"]`);
    await page.goto(`${serve.url}/#/runs/${runId}`);
    await page.waitForSelector('[data-testid="run-status"][data-status="completed"]');

    // Artifacts of the run, then the agents page with their load and the stats page.
    await page.click('[data-testid="tab-artifacts"]');
    await page.waitForSelector('[data-testid="artifacts"]');
    expect(await page.textContent('[data-testid="artifacts"]')).toContain('prep #1 output');
    await page.goto(`${serve.url}/#/agents`);
    await page.waitForSelector('[data-testid="agent-row-test"]');
    expect(await page.textContent('[data-testid="agent-load-test"]')).toContain('0 / ∞');
    await page.screenshot({ path: `${SHOTS}/5-agents.png` });
    await page.goto(`${serve.url}/#/stats`);
    await page.waitForSelector('[data-testid="stats-runs"]');
    expect(await page.textContent('[data-testid="stats-runs"]')).toContain('completed');
    await page.screenshot({ path: `${SHOTS}/6-stats.png` });

    // The API agrees.
    const view = (await (await fetch(`${serve.url}/api/v1/runs/${runId}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { status: string };
    expect(view.status).toBe('completed');
    expect(errors).toEqual([]);
  });
});
