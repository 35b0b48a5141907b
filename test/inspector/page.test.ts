import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { fixture, ROOT, testIO } from '../cli/helpers.js';

/** Debian's chromium (`.ci/run` installs it); playwright-core downloads no browser of its own. */
const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
const NEEDS_CHROMIUM = `needs Debian package chromium (apt-get install chromium): ${CHROMIUM} is missing`;
if (!HAS_CHROMIUM) console.warn(`test/inspector/page.test.ts: the browser tests are skipped: ${NEEDS_CHROMIUM}`);
const browserIt = it.skipIf(!HAS_CHROMIUM);
const skipped = HAS_CHROMIUM ? '' : ` [skipped: ${NEEDS_CHROMIUM}]`;

const OPERATOR = 'page-operator-token-0123456789abcdef';
const READER = 'page-read-token-0123456789abcdef0000';
const SCREENSHOT = join(ROOT, 'test-artifacts', 'inspector-page.png');
const WAIT_MS = 10_000;

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Served {
  readonly url: string;
  /** Its data and workflows directories' parent. */
  readonly root: string;
  /** Stop it as SIGINT would (exit 0). */
  stop(): Promise<void>;
}

/**
 * A real `troupe serve` (the CLI's command, in this process) with the CLI's gated and hello
 * workflows and both tokens: on a fresh directory, or again on `again`'s directory and port.
 */
async function serve(again?: { root: string; port: string }): Promise<Served> {
  const root = again?.root ?? mkdtempSync(join(tmpdir(), 'troupe-page-'));
  const workflows = join(root, 'workflows');
  if (again === undefined) {
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    mkdirSync(workflows);
    for (const name of ['gated.yaml', 'hello.yaml']) {
      writeFileSync(join(workflows, name), readFileSync(join(ROOT, fixture(name)), 'utf8').replace('./agents.ts', join(ROOT, fixture('agents.ts'))));
    }
  }
  let interrupt: () => void = () => undefined;
  let listening: (url: string) => void = () => undefined;
  const url = new Promise<string>((resolve) => (listening = resolve));
  const io = testIO({
    onStdout: (chunk) => {
      const m = /listening on (http:\/\/\S+)/.exec(chunk);
      if (m) listening(m[1]!);
    },
    onInterrupt: (handler) => {
      interrupt = handler;
      return () => undefined;
    },
  });
  const exited = main(['serve', '--port', again?.port ?? '0', '--data', join(root, 'data'), '--workflows', workflows, '--token', OPERATOR, '--read-token', READER], io);
  const stop = async (): Promise<void> => {
    interrupt();
    expect(await exited, io.err()).toBe(0);
  };
  cleanups.push(stop);
  const at = await Promise.race([url, exited.then((code) => Promise.reject(new Error(`troupe serve exited with ${code} before listening: ${io.err()}`)))]);
  return { url: at, root, stop };
}

/** One HTTP call with a bearer token, as a program would make it. */
async function call(base: string, method: string, path: string, token: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(new URL(path, base), {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: await res.json() };
}

let browser: Browser | undefined;
beforeAll(async () => {
  if (HAS_CHROMIUM) browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
});
afterAll(async () => {
  await browser?.close();
});

/**
 * A page in a fresh browser context (its own cookies). Script errors and console errors are
 * collected (a Content-Security-Policy violation shows as one); a refused request's
 * "Failed to load resource" line is not an error of the page (401 before logging in is expected).
 */
async function open(url: string, expected: RegExp = /^$/): Promise<{ page: Page; errors: string[] }> {
  const context: BrowserContext = await browser!.newContext({ viewport: { width: 1440, height: 960 } });
  cleanups.push(() => context.close());
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource') && !expected.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  await page.goto(url);
  return { page, errors };
}

async function logIn(page: Page, token: string): Promise<void> {
  await page.locator('#login').waitFor({ state: 'visible' });
  await page.fill('#token', token);
  await page.click('#login button[type=submit]');
  await page.locator('#conn[data-level="ok"]').waitFor();
}

/** The id of the run the page follows (it names it in the URL's fragment). */
async function followed(page: Page): Promise<string> {
  await page.waitForURL(/#run=/);
  return decodeURIComponent(new URL(page.url()).hash.slice('#run='.length));
}

const row = (id: string, status?: string): string => `#runs tr[data-run-id="${id}"]${status ? `[data-status="${status}"]` : ''}`;

describe('the inspector page', () => {
  it('serves its script and style from the page folder with their content types; any other name is 404 (no path out of the folder)', async () => {
    const { url: base } = await serve();
    const page = await fetch(new URL('/', base));
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await page.text()).toContain('<script type="module" src="/page/app.js">');
    for (const [name, type] of [['app.js', 'text/javascript; charset=utf-8'], ['model.js', 'text/javascript; charset=utf-8'], ['style.css', 'text/css; charset=utf-8']]) {
      const res = await fetch(new URL(`/page/${name}`, base));
      expect(res.status, name).toBe(200);
      expect(res.headers.get('content-type')).toBe(type);
    }
    for (const path of ['/page/..%2Froutes.ts', '/page/%2e%2e%2fserver.js', '/page/index.html', '/page/missing.js', '/page/App.js']) {
      expect((await fetch(new URL(path, base))).status, path).toBe(404);
    }
  });

  browserIt(`an operator logs in, starts a gated run, sees it wait for approval, approves it and sees it complete, with its timeline and hash-chained context log${skipped}`, async () => {
    const { url: base } = await serve();
    const { page, errors } = await open(base);
    await logIn(page, OPERATOR);
    await page.locator('#tree li[data-kind="supervisor"]').first().waitFor();

    await page.selectOption('#workflow', 'gated');
    await page.fill('#input', '{}');
    await page.click('#start-form button[type=submit]');
    const id = await followed(page);
    await page.locator(row(id, 'waiting-approval')).waitFor();
    // The tree shows the run's actor under the workflows supervisor (drawn from the runs feed).
    const runActor = page.locator(`#tree li[data-kind="run"]`, { hasText: id });
    await runActor.waitFor();
    expect(await runActor.getAttribute('class')).toContain('actor-active');
    expect(await page.textContent(`${row(id)} .current`)).toContain('draft');
    const approve = page.locator(`#approvals button[data-action="approve"][data-run-id="${id}"][data-step="draft"]`);
    await expect.poll(() => page.textContent('#approvals')).toContain('Send the greeting?');
    await page.locator('#timeline .bar[data-kind="approval"][data-outcome="waiting"]').waitFor();

    await page.fill('#by', 'page-test');
    await approve.click();
    await page.locator('#approvals .ack-ok').waitFor();
    expect(await page.textContent('#approvals .ack-ok')).toContain('approved');
    await page.locator(row(id, 'completed')).waitFor();

    // The timeline: one bar per step attempt and one for the wait, coloured by outcome.
    for (const bar of ['[data-step="draft"][data-kind="step"]', '[data-step="draft"][data-kind="approval"]', '[data-step="send"][data-kind="step"]']) {
      await page.locator(`#timeline .bar${bar}`).waitFor();
    }
    expect(await page.$$eval('#timeline .bar', (bars) => bars.map((b) => ['step', 'kind', 'outcome'].map((a) => b.getAttribute(`data-${a}`)).join('/')))).toEqual([
      'draft/step/completed',
      'draft/approval/approved',
      'send/step/completed',
    ]);

    // The context log: every entry, each chained to the one before, the last one the run's head.
    await expect.poll(() => page.locator('#log tr.entry').count()).toBe(3);
    const entries = await page.$$eval('#log tr.entry', (rows) =>
      rows.map((r) => {
        const cells = r.querySelectorAll('td');
        const hash = cells[6]!.querySelector('code')!;
        return { seq: cells[0]!.textContent, kind: cells[1]!.textContent, step: cells[2]!.textContent, shown: hash.textContent, hash: hash.getAttribute('title')!, prev: cells[7]!.querySelector('code')!.getAttribute('title')! };
      }),
    );
    expect(entries.map((e) => `${e.seq} ${e.kind} ${e.step}`)).toEqual(['1 step draft', '2 approval draft', '3 step send']);
    for (const [i, e] of entries.entries()) {
      expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(e.shown).toBe(e.hash.slice(0, 12));
      if (i > 0) expect(e.prev).toBe(entries[i - 1]!.hash);
    }
    expect(await page.locator('#log .broken').count()).toBe(0);
    const shown = await call(base, 'GET', `/runs/${id}`, OPERATOR);
    expect(shown.json.head.hash).toBe(entries.at(-1)!.hash);
    await page.click('#log tr.entry[data-seq="2"]');
    expect(await page.textContent('#log tr.output pre')).toContain('"by": "page-test"');

    // Live metrics from the event stream.
    await expect.poll(() => page.textContent('[data-metric="steps"] .value')).toBe('2 (0)');
    expect(Number(await page.textContent('[data-metric="steps-per-second"] .value'))).toBeGreaterThan(0);
    expect(await page.textContent('[data-metric="p99"] .value')).toMatch(/\d+ ms/);
    // Queue depths come from /metrics when the runtime has metrics; the page says so when it has none.
    await page.locator('#metrics table.depths[data-of="agent"], #metrics [data-metrics-state="unavailable"]').first().waitFor();
    const depths = await page.locator('#metrics table.depths[data-of="agent"]').count();
    if (depths > 0) expect(await page.textContent('#metrics table.depths[data-of="agent"]')).toContain('greeter');

    mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(errors).toEqual([]);
  });

  browserIt(`a read-only session sees runs and approvals but no operator controls${skipped}`, async () => {
    const { url: base } = await serve();
    const { page, errors } = await open(base);
    await logIn(page, READER);
    expect(await page.textContent('#conn')).toContain('read-only');
    const started = await call(base, 'POST', '/runs', OPERATOR, { workflow: 'gated' });
    expect(started.status).toBe(201);
    const id = started.json.id as string;
    await page.locator(row(id, 'waiting-approval')).waitFor();
    expect(await page.locator(`#approvals button[data-action="approve"][data-run-id="${id}"]`).isDisabled()).toBe(true);
    expect(await page.locator('#start-form').isVisible()).toBe(false);
    await page.click(row(id));
    await page.locator('#run-controls').waitFor({ state: 'hidden' });
    expect(errors).toEqual([]);
  });

  browserIt(`shows what a run carries as text, never as markup${skipped}`, async () => {
    const { url: base } = await serve();
    const { page, errors } = await open(base);
    await logIn(page, OPERATOR);
    const name = '<img src=x onerror="window.__pwned=1"><b>bold</b>';
    await page.selectOption('#workflow', 'hello');
    await page.fill('#input', JSON.stringify({ name }));
    await page.click('#start-form button[type=submit]');
    const id = await followed(page);
    await page.locator(row(id, 'completed')).waitFor();
    await page.click('#log tr.entry[data-seq="1"]');
    expect(await page.textContent('#log tr.output pre')).toContain(`hello, ${name.replace(/"/g, '\\"')}`);
    expect(await page.locator('#log img, #log b').count()).toBe(0);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(errors).toEqual([]);
  });

  browserIt(`after the server restarts it reconnects, asks for the token again (sessions end with the server) and shows the runs the store kept${skipped}`, async () => {
    const first = await serve();
    // Chromium reports each refused WebSocket attempt on the console: expected while the server is down or before logging in again.
    const { page, errors } = await open(first.url, /^WebSocket connection to .* failed/);
    await logIn(page, OPERATOR);
    const started = await call(first.url, 'POST', '/runs', OPERATOR, { workflow: 'hello', input: { name: 'Ada' } });
    const id = started.json.id as string;
    await page.locator(row(id, 'completed')).waitFor();

    await first.stop();
    await page.locator('#conn[data-level="bad"]').waitFor();
    await serve({ root: first.root, port: new URL(first.url).port });
    await page.locator('#login').waitFor({ state: 'visible' });
    expect(await page.textContent('#login-error')).toContain('log in again');
    await logIn(page, OPERATOR);
    await page.locator(row(id, 'completed')).waitFor();
    expect(errors).toEqual([]);
  });
});
