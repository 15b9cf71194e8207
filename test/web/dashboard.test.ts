import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS_DIR, ensureDashboardBuilt, launchBrowser, openPage, screenshot } from '../helpers/browser.js';
import { longStrategy, spxStrategy, waitFor } from '../helpers/strategies.js';
import { startTestBackend, startTraining, type TestBackend } from '../helpers/test-backend.js';

const LONG_WAIT = 120_000;

/** The loss chart's point count, as the chart component exposes it. */
async function chartPoints(page: Page, title = 'Loss per epoch'): Promise<number> {
  const value = await page.locator('figure.chart', { hasText: title }).locator('.chart-box').getAttribute('data-points');
  return Number(value);
}

describe('dashboard in a real browser', () => {
  let server: TestBackend;
  let browser: Browser;
  let context: BrowserContext;
  let bigRun: string;

  beforeAll(async () => {
    ensureDashboardBuilt();
    server = await startTestBackend(
      {
        web_tiny: spxStrategy('web_tiny', { epochs: 6, earlyStopping: false }),
        web_long: longStrategy('web_long'),
        web_5k: spxStrategy('web_5k', { epochs: 5000, earlyStopping: false }),
      },
      { concurrency: 2 },
    );
    // Started first: it trains while the other tests run, and is opened last.
    bigRun = await startTraining(server, { strategy_name: 'web_5k' });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(LONG_WAIT);
  }, LONG_WAIT);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('should start a training from the strategy page and stream it to 100% with a loss point per epoch', async () => {
    const { page, problems } = await openPage(context);
    await page.goto(server.url);
    await expect.poll(() => page.getByRole('link', { name: 'web_tiny' }).count()).toBe(1);
    await screenshot(page, 'strategies');
    await page.getByRole('link', { name: 'web_tiny' }).click();
    await page.getByRole('heading', { name: 'Strategy web_tiny' }).waitFor();

    await page.getByRole('button', { name: 'Validate' }).click();
    await page.getByText('web_tiny is valid.').waitFor();
    await screenshot(page, 'strategy');

    await page.getByLabel('Epochs').fill('6');
    await page.getByLabel('Seed').fill('11');
    await page.getByRole('button', { name: 'Start training' }).click();
    await page.waitForURL(/\/operations\/[^/]+$/);
    const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);

    await page.getByTestId('final-metrics').waitFor();
    await expect.poll(() => page.getByTestId('progress-text').textContent()).toMatch(/^100\.0%/);
    expect(await chartPoints(page)).toBe(6);
    expect(await chartPoints(page, 'Accuracy per epoch')).toBe(6);
    await expect.poll(() => page.getByTestId('step-log').textContent()).toMatch(/Step 1\/\d+: Validating strategy/);
    const operation = await server.operation(id);
    expect(operation.status).toBe('completed');
    expect(operation.request).toMatchObject({ epochs: 6, seed: 11 });
    await screenshot(page, 'run-completed');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('should stream a running run point by point, resume after a reload and cancel it after confirmation', async () => {
    const id = await startTraining(server, { strategy_name: 'web_long' });
    const { page, problems } = await openPage(context);
    await page.goto(`${server.url}/operations/${id}`);
    await page.getByText('live').waitFor();
    // The same document throughout: points arrive without a page load.
    await page.evaluate("window.marker = 'same page'");
    const seen = new Set<number>();
    await waitFor(async () => (seen.add(await chartPoints(page)).size >= 4 ? true : undefined), 'the chart to grow several times', LONG_WAIT);
    expect(await page.evaluate('window.marker')).toBe('same page');
    const sorted = [...seen].sort((a, b) => a - b);
    expect(sorted[sorted.length - 1]).toBeGreaterThan(sorted[0]);

    const before = await chartPoints(page);
    await page.reload();
    await page.getByText('live').waitFor();
    await waitFor(async () => ((await chartPoints(page)) > before ? true : undefined), 'the chart to go on after the reload', LONG_WAIT);
    // Resumed, not restarted: the epochs drawn are exactly the epochs the server has, none twice.
    const metrics = await server.http('GET', `/api/v1/operations/${id}/metrics`);
    const serverEpochs = (metrics.body as { epochs: unknown[] }).epochs.length;
    expect(await chartPoints(page)).toBeLessThanOrEqual(serverEpochs);
    await screenshot(page, 'run-live');

    await page.getByRole('button', { name: 'Cancel…' }).click();
    await page.getByRole('button', { name: 'Keep running' }).waitFor();
    expect((await server.operation(id)).status).toBe('running');
    await page.getByRole('button', { name: 'Yes, cancel the run' }).click();
    await page.locator('.badge-cancelled', { hasText: 'cancelled' }).waitFor();
    expect((await server.operation(id)).status).toBe('cancelled');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('should show the model with its confusion matrix and run a backtest from it', async () => {
    const { page, problems } = await openPage(context);
    await page.goto(`${server.url}/models/web_tiny/1`);
    await page.getByRole('heading', { name: 'web_tiny v1' }).waitFor();
    const heatmap = page.getByRole('table', { name: 'Confusion matrix' });
    await heatmap.waitFor();
    expect(await heatmap.locator('td.heat').count()).toBe(9);
    expect(await chartPoints(page)).toBe(6);
    await page.getByRole('table', { name: 'Metrics vs buy and hold' }).waitFor();
    await page.getByText('No backtest of this version has run yet').waitFor();
    await screenshot(page, 'model');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'weights.bin' }).click()]);
    expect(download.suggestedFilename()).toBe('web_tiny-v1-weights.bin');
    const downloaded = await readFile((await download.path())!);
    const served = await fetch(`${server.url}/api/v1/models/web_tiny/1/files/weights.bin`);
    expect(served.headers.get('content-type')).toBe('application/octet-stream');
    expect(downloaded.equals(Buffer.from(await served.arrayBuffer()))).toBe(true);
    expect(downloaded.length).toBeGreaterThan(0);
    expect((await server.http('GET', '/api/v1/models/web_tiny/1/files/..%2Fv1%2Fmodel.json')).status).toBe(400);

    await page.getByRole('button', { name: 'Run backtest' }).click();
    await page.waitForURL(/\/operations\/[^/]+$/);
    await page.getByRole('link', { name: 'Backtest results' }).click();
    await page.waitForURL(/\/backtests\/[^/]+$/);
    await page.getByRole('table', { name: 'Trades' }).waitFor();
    await expect.poll(() => chartPoints(page, 'Equity')).toBeGreaterThan(10);
    await expect.poll(() => chartPoints(page, 'Drawdown')).toBeGreaterThan(10);
    expect(await page.locator('figure.chart', { hasText: 'Equity vs buy and hold' }).locator('.u-legend').textContent()).toContain('buy & hold');
    await screenshot(page, 'backtest');

    await page.goto(`${server.url}/models/web_tiny/1`);
    await page.getByText('Latest backtest:').waitFor();
    await expect.poll(() => chartPoints(page, 'Equity')).toBeGreaterThan(10);
    await screenshot(page, 'model-with-backtest');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('should list, filter and page operations, compare runs and show hosts', async () => {
    const { page, problems } = await openPage(context);
    await page.goto(`${server.url}/operations?type=training&strategy=web_tiny`);
    await page.getByText('1 matching, newest first').waitFor();
    await screenshot(page, 'operations');
    await page.getByRole('link', { name: 'Models' }).click();
    await page.getByRole('link', { name: 'web_tiny v1' }).waitFor();
    await screenshot(page, 'models');

    const ops = (await server.http('GET', '/api/v1/operations?type=training&status=completed,cancelled')).body as {
      data: { operation_id: string }[];
    };
    await page.goto(`${server.url}/compare?a=web_tiny/1&b=${ops.data[0].operation_id}`);
    await page.getByRole('table', { name: 'Side by side' }).waitFor();
    expect(await chartPoints(page, 'Loss per epoch, overlaid')).toBeGreaterThan(0);
    await screenshot(page, 'compare');

    await page.goto(`${server.url}/hosts`);
    await page.getByText('No training hosts are configured').waitFor();
    await screenshot(page, 'hosts');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('should show API errors with message and hint, and unknown pages inside the app', async () => {
    const { page } = await openPage(context);
    await page.goto(`${server.url}/models/web_tiny/99`);
    await page.getByRole('alert').getByText('MODEL_NOT_FOUND').waitFor();
    await page.goto(`${server.url}/no/such/page`);
    await page.getByRole('heading', { name: 'Not found' }).waitFor();
    await screenshot(page, 'not-found');
    await page.close();
  });

  it('should fit a 390 px wide window without horizontal scrolling', async () => {
    const narrow = await browser.newContext({ viewport: { width: 390, height: 844 } });
    narrow.setDefaultTimeout(LONG_WAIT);
    const { page, problems } = await openPage(narrow);
    for (const [path, name, ready] of [
      ['/', 'narrow-strategies', 'web_tiny'],
      ['/models/web_tiny/1', 'narrow-model', 'Confusion matrix (rows: actual, columns: predicted)'],
      ['/operations', 'narrow-operations', 'newest first'],
    ] as const) {
      await page.goto(`${server.url}${path}`);
      await page.getByText(ready).first().waitFor();
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      await screenshot(page, name);
    }
    expect(problems).toEqual([]);
    await narrow.close();
  });

  it('should draw the loss chart of a 5,000-epoch run on load (time reported, not asserted)', async () => {
    await server.waitForStatus(bigRun, ['completed'], 300_000);
    const { page, problems } = await openPage(context);
    await page.goto(`${server.url}/operations/${bigRun}`);
    const mark = await waitFor(
      () =>
        page.evaluate(() => {
          const entry = performance.getEntriesByName('ktrdr:loss-chart-drawn')[0] as unknown as { startTime: number; detail: unknown } | undefined;
          return entry ? { sinceNavigation: entry.startTime, ...(entry.detail as { drawMs: number; points: number }) } : undefined;
        }),
      'the loss chart to draw',
      LONG_WAIT,
    );
    expect(mark.points).toBe(5000);
    await mkdir(ARTIFACTS_DIR, { recursive: true });
    await writeFile(join(ARTIFACTS_DIR, 'chart-5000-epochs.json'), JSON.stringify(mark, null, 2));
    console.log(
      `5,000-epoch loss chart: drawn ${mark.drawMs.toFixed(1)} ms after its data arrived, ${mark.sinceNavigation.toFixed(0)} ms after navigation`,
    );
    await screenshot(page, 'run-5000-epochs');
    expect(problems).toEqual([]);
    await page.close();
  }, 400_000);
});

describe('dashboard HTTP', () => {
  let server: TestBackend;
  beforeAll(async () => {
    ensureDashboardBuilt();
    server = await startTestBackend({});
  });
  afterAll(async () => server?.close());

  it('should serve index.html uncached with a strict policy, hashed assets immutable, and deep links as the page', async () => {
    const index = await server.http('GET', '/');
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(index.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    expect(index.headers.get('x-frame-options')).toBe('DENY');
    expect(index.text).not.toMatch(/<script>[^<]/);
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(index.text)![1];
    const script = await server.http('GET', asset);
    expect(script.status).toBe(200);
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(script.headers.get('content-type')).toMatch(/javascript/);

    const deep = await server.http('GET', '/models/anything/3');
    expect(deep.status).toBe(200);
    expect(deep.text).toBe(index.text);
    expect((await server.http('GET', '/assets/missing-0000.js')).status).toBe(404);
    const api = await server.http('GET', '/api/v1/no-such-route');
    expect(api.status).toBe(404);
    expect(api.body).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
});
