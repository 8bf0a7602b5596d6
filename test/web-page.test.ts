// The page at / in Debian's Chromium (playwright-core), on a real daemon quoting the simulated
// venue: it loads with no console errors and nothing fetched from elsewhere, shows the live book
// with our quotes and a P&L that updates, and its kill button with a valid admin token stops
// quoting (the venue shows no open orders). Screenshots go to test-artifacts/ (gitignored).
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/cargo.js';
import { type ControlPlane, roleTokens, SIM_MODEL_CONFIG, startControlPlane, tokenConfig, until } from './helpers/control-plane.js';

const ARTIFACTS = fileURLToPath(new URL('test-artifacts/', repoRoot));
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SYMBOL = 'SEI/USDC';
const tokens = roleTokens();
let cp: ControlPlane;
let browser: Browser;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  cp = await startControlPlane({ tokens: tokenConfig(tokens) }, SIM_MODEL_CONFIG);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_FLAGS });
  page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (!r.url().startsWith(cp.server.url) && !r.url().startsWith('data:')) problems.push(`request elsewhere: ${r.url()}`);
  });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await cp?.stop();
});

const market = () => page.locator(`section[data-symbol="${SYMBOL}"]`);
const text = (testid: string) => market().getByTestId(testid).innerText();

describe('the live page', () => {
  it('loads with no console errors and shows the live book with our quotes', async () => {
    await page.goto(`${cp.server.url}/`);
    await page.getByTestId('stream-state').filter({ hasText: 'stream: live' }).waitFor();
    await market().locator('tr.ours').first().waitFor();
    const rows = await market().locator('[data-testid="book"] tbody tr').count();
    expect(rows).toBe(2 * cp.config.api.stream.depth);
    // Our four quotes (two levels a side) are marked where the venue has them.
    await until('four quotes live', async () => (await text('quotes')) === '4');
    // The page and the venue are read one after the other while the daemon requotes: compare a
    // pair of reads taken within the same frame (the page draws at the stream's rate).
    await until('the marked rows are where the venue has our orders', async () => {
      const marked = await market().locator('tr.ours td:nth-child(2)').allInnerTexts();
      const venuePrices = new Set((await cp.venue.openOrders(SYMBOL)).map((o) => (o.price * 0.0001).toFixed(4)));
      return marked.length > 0 && marked.every((price) => venuePrices.has(price));
    }, 10_000);
    expect(await market().getByTestId('risk').innerText()).toBe('active');
    expect(await text('feed')).toMatch(/^book valid, last data \d+ ms ago$/);
    expect(await page.getByTestId('daemon').innerText()).toBe('development · venue sim · 1 market(s) · model on');
    expect(problems).toEqual([]);
  });

  it('the book and P&L update as the daemon trades', async () => {
    const firstBook = await market().locator('[data-testid="book"] tbody').innerText();
    const firstPnl = await text('pnl');
    await until('book changes', async () => (await market().locator('[data-testid="book"] tbody').innerText()) !== firstBook, 10_000);
    await until('P&L changes', async () => (await text('pnl')) !== firstPnl, 45_000);
    // What the page shows is the daemon's P&L, to the unit, within a frame or two.
    await until('page P&L equals the API', async () => {
      const api = (await (await fetch(`${cp.server.url}/api/v1/pnl`)).json()) as { pnl: { net: string }[] };
      return (await text('pnl')) === api.pnl[0]?.net;
    }, 10_000);
    expect(await text('pnl')).toMatch(/^-?\d+(\.\d+)?$/);
    await page.screenshot({ path: `${ARTIFACTS}web-live.png`, fullPage: true });
    expect(problems).toEqual([]);
  }, 70_000);

  it('the page charts predictions against outcomes from the daemon\'s forecasts, and their scores per horizon', async () => {
    const chart = market().locator('.prediction-chart');
    await until('forecasts on the chart', async () => Number(await chart.getAttribute('data-forecasts')) >= 5, 20_000);
    expect(await text('prediction')).toMatch(/^-?\d\.\d{3}$/);
    // Every horizon scored, as the API reports it.
    await until('every horizon scored', async () => /^100 ms: \d+\.\d % of [1-9]\d* · 200 ms: \d+\.\d % of [1-9]\d* · 500 ms: \d+\.\d % of [1-9]\d*$/.test(await text('accuracy')), 20_000);
    expect(await market().locator('.prediction-note').innerText()).toBe('');
    await page.screenshot({ path: `${ARTIFACTS}web-predictions.png`, fullPage: true });
    expect(problems).toEqual([]);
  }, 45_000);

  it('the kill button refuses a read token, and with an admin token stops quoting', async () => {
    await page.getByTestId('kill').click();
    await page.getByTestId('token-input').fill(tokens.read);
    await page.getByTestId('token-ok').click();
    await page.getByTestId('message').filter({ hasText: 'kill switch: 403 this route needs the admin role' }).waitFor();
    // Chromium reports every 4xx fetch on the console: this one the test provoked, and only it.
    expect(problems.splice(0)).toEqual(['console error: Failed to load resource: the server responded with a status of 403 (Forbidden)']);
    expect(cp.daemon.risk.isKilled()).toBe(false);
    expect((await cp.venue.openOrders(SYMBOL)).length).toBeGreaterThan(0);

    await page.getByTestId('kill').click();
    await page.getByTestId('token-input').fill(tokens.admin);
    await page.getByTestId('token-ok').click();
    await page.getByTestId('message').filter({ hasText: 'kill switch: done' }).waitFor();
    expect(await cp.venue.openOrders(SYMBOL)).toEqual([]);
    await page.getByTestId('killed').waitFor({ state: 'visible' });
    await market().getByTestId('risk').filter({ hasText: 'halted' }).waitFor();
    await until('no quote on the page', async () => (await text('quotes')) === '0');
    // Later ticks place nothing.
    const loop = cp.daemon.loops.get(SYMBOL);
    const at = loop?.latest()?.atMs ?? 0;
    await until('three more decisions', () => (loop?.latest()?.atMs ?? 0) >= at + 3 * cp.config.engine.intervalMs);
    expect(await cp.venue.openOrders(SYMBOL)).toEqual([]);
    expect(await market().locator('tr.ours').count()).toBe(0);
    await page.screenshot({ path: `${ARTIFACTS}web-killed.png`, fullPage: true });
    expect(problems).toEqual([]);
  }, 30_000);

  it('the API reference page loads from the daemon with no console errors', async () => {
    await page.goto(`${cp.server.url}/api/v1/reference`);
    await page.getByText('/api/v1/admin/kill').first().waitFor();
    await page.screenshot({ path: `${ARTIFACTS}web-reference.png` });
    expect(problems).toEqual([]);
  });
});
