import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS_DIR, desktopContext, ensureDashboardBuilt, launchBrowser, openPage, screenshot } from '../helpers/browser.js';
import { HOST_TOKEN, startHostProcess, type HostProcess } from '../helpers/host-process.js';
import { INVALID_STRATEGY, longStrategy, spxStrategy, waitFor } from '../helpers/strategies.js';
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
        web_broken: INVALID_STRATEGY,
      },
      { concurrency: 2 },
    );
    // Started first: it trains while the other tests run, and is opened last.
    bigRun = await startTraining(server, { strategy_name: 'web_5k' });
    browser = await launchBrowser();
    context = await desktopContext(browser, LONG_WAIT);
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

    // A refused start stays on the form and says why, in the API's words.
    await page.getByLabel('Start date').fill('the day before yesterday');
    await page.getByRole('button', { name: 'Start training' }).click();
    const refusal = page.getByRole('form', { name: 'Train' }).getByRole('alert');
    await refusal.getByText('VALIDATION_FAILED').waitFor();
    expect(await refusal.textContent()).toContain('start_date');
    expect(page.url()).toBe(`${server.url}/strategies/web_tiny`);
    await page.getByLabel('Start date').fill('');

    await page.getByLabel('Epochs').fill('6');
    await page.getByLabel('Seed').fill('11');
    await page.getByRole('button', { name: 'Start training' }).click();
    await page.waitForURL(/\/operations\/[^/]+$/);
    const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);

    await page.getByTestId('final-metrics').waitFor();
    await expect.poll(() => page.getByTestId('progress-text').textContent()).toMatch(/^100\.0%/);
    await expect.poll(() => chartPoints(page)).toBe(6);
    await expect.poll(() => chartPoints(page, 'Accuracy per epoch')).toBe(6);
    await expect.poll(() => page.getByTestId('step-log').textContent()).toMatch(/Step 1\/\d+: Validating strategy/);
    const operation = await server.operation(id);
    expect(operation.status).toBe('completed');
    expect(operation.request).toMatchObject({ epochs: 6, seed: 11 });
    await screenshot(page, 'run-completed');
    expect(problems.filter((problem) => !problem.includes('status of 400'))).toEqual([]);
    await page.close();
  });

  it('should show every problem of an invalid strategy inline with its path, and again on Validate', async () => {
    const { page, problems } = await openPage(context);
    await page.goto(server.url);
    await page.getByRole('link', { name: 'web_broken' }).click();
    await page.getByRole('heading', { name: 'Strategy web_broken' }).waitFor();
    const expected = ((await server.http('POST', '/api/v1/strategies/web_broken/validate')).body as { errors: { path: string }[] }).errors;
    expect(expected.length).toBeGreaterThanOrEqual(2);
    const listed = page.locator('.problems li.problem');
    await expect.poll(() => listed.count()).toBe(expected.length);
    for (const [i, problem] of expected.entries()) expect(await listed.nth(i).locator('code').textContent()).toBe(problem.path);
    await page.getByRole('button', { name: 'Validate' }).click();
    await page.getByText(`web_broken has ${expected.length} problem(s):`).waitFor();
    expect(await listed.count()).toBe(expected.length);
    await screenshot(page, 'strategy-invalid');
    expect(problems.filter((problem) => !problem.includes('status of 422'))).toEqual([]);
    await page.close();
  });

  it('should stream a running run point by point, resume after a reload and cancel it after confirmation', async () => {
    const id = await startTraining(server, { strategy_name: 'web_long' });
    const { page, problems } = await openPage(context);
    await page.goto(`${server.url}/operations/${id}`);
    await page.getByText('live').waitFor();
    // The same document throughout: points arrive without a page load, and nothing on it moves while they do.
    await page.evaluate(`
      window.marker = 'same page';
      window.shifted = 0;
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.shifted += entry.value;
      }).observe({ type: 'layout-shift' });
    `);
    const seen = new Set<number>();
    await waitFor(async () => (seen.add(await chartPoints(page)).size >= 4 ? true : undefined), 'the chart to grow several times', LONG_WAIT);
    expect(await page.evaluate('window.marker')).toBe('same page');
    expect(await page.evaluate('window.shifted')).toBe(0);
    const sorted = [...seen].sort((a, b) => a - b);
    expect(sorted[sorted.length - 1]).toBeGreaterThan(sorted[0]);

    // A lost connection says so, reconnects by itself and goes on from its cursor. The server drops every connection,
    // as a restarting proxy would; the browser's own offline mode leaves an open stream alone.
    server.backend.app.server.closeAllConnections();
    await page.getByRole('status').getByText('connection lost — reconnecting…').waitFor();
    await screenshot(page, 'run-reconnecting');
    await page.getByRole('status').getByText('live', { exact: true }).waitFor();
    const reconnected = await chartPoints(page);
    await waitFor(async () => ((await chartPoints(page)) > reconnected ? true : undefined), 'the chart to go on after reconnecting', LONG_WAIT);
    expect(await page.evaluate('window.marker')).toBe('same page');

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
    // The dropped stream is the one failed request.
    expect(problems).toEqual(['console: Failed to load resource: net::ERR_INCOMPLETE_CHUNKED_ENCODING']);
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

    // Paging through the API's cursor, one operation a page, newest first, none twice.
    const all = (await server.http('GET', '/api/v1/operations')).body as { total: number; data: { operation_id: string }[] };
    expect(all.total).toBeGreaterThanOrEqual(3);
    await page.goto(`${server.url}/operations?limit=1`);
    const paged: string[] = [];
    const shownId = () => page.locator('tbody tr td a').first().textContent();
    for (let i = 0; i < 3; i++) {
      if (i > 0) {
        await page.getByRole('link', { name: 'Next page' }).click();
        await expect.poll(shownId).not.toBe(paged[i - 1]);
      }
      await page.getByText(`${all.total} matching, newest first`).waitFor();
      expect(await page.locator('tbody tr').count()).toBe(1);
      paged.push((await shownId())!);
    }
    expect(paged).toEqual(all.data.slice(0, 3).map((op) => op.operation_id));
    await page.getByRole('link', { name: 'First page' }).click();
    await expect.poll(shownId).toBe(paged[0]);

    // The filter form: a status filter is a link like any other.
    await page.getByLabel('Status').selectOption('cancelled');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/status=cancelled/);
    await page.getByText('1 matching, newest first').waitFor();
    expect(await page.locator('tbody .badge').allTextContents()).toEqual(['cancelled']);
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
    const hinted: (string | null)[] = [];
    for (const [pagePath, apiPath] of [
      ['/models/web_tiny/99', '/models/web_tiny/99'],
      ['/strategies/no_such_strategy', '/strategies/no_such_strategy'],
    ]) {
      const { error } = (await server.http('GET', `/api/v1${apiPath}`)).body as { error: { code: string; message: string; hint?: string } };
      await page.goto(`${server.url}${pagePath}`);
      const alert = page.getByRole('alert');
      await alert.getByText(error.code).waitFor();
      const shown = await alert.textContent();
      expect(shown).toContain(error.message);
      if (error.hint !== undefined) {
        expect(shown).toContain(`Hint: ${error.hint}`);
        hinted.push(shown);
      }
    }
    // The unknown strategy's answer names the strategies there are.
    expect(hinted).toEqual([expect.stringContaining('Hint: available: ')]);
    await screenshot(page, 'api-error');
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

  it('should follow the system setting for dark and light, and work from the keyboard', async () => {
    const backgrounds: Record<string, unknown> = {};
    for (const scheme of ['light', 'dark'] as const) {
      const themed = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: scheme });
      themed.setDefaultTimeout(LONG_WAIT);
      const { page, problems } = await openPage(themed);
      await page.goto(`${server.url}/models/web_tiny/1`);
      await page.getByRole('table', { name: 'Confusion matrix' }).waitFor();
      backgrounds[scheme] = await page.evaluate('getComputedStyle(document.body).backgroundColor');
      await screenshot(page, `${scheme}-model`);
      expect(problems).toEqual([]);
      await themed.close();
    }
    expect(backgrounds).toEqual({ light: 'rgb(255, 255, 255)', dark: 'rgb(20, 23, 27)' });

    const { page, problems } = await openPage(context);
    await page.goto(server.url);
    await page.getByRole('link', { name: 'web_tiny' }).waitFor();
    const focused = () => page.evaluate('document.activeElement?.id || document.activeElement?.textContent?.trim()');
    /** Tabs forward until the element with that text (or id) has the focus. */
    const tabTo = async (target: string) => {
      for (let i = 0; i < 40 && (await focused()) !== target; i++) await page.keyboard.press('Tab');
      expect(await focused()).toBe(target);
    };
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await focused()).toBe('main');
    await tabTo('web_tiny');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Strategy web_tiny' }).waitFor();
    await tabTo('Validate');
    await page.keyboard.press('Enter');
    await page.getByText('web_tiny is valid.').waitFor();
    expect(problems).toEqual([]);
    await page.close();
  });

  it('should draw the loss chart of a 5,000-epoch run on load (time reported, not asserted)', async () => {
    await server.waitForStatus(bigRun, ['completed'], 300_000);
    const { page, problems } = await openPage(context);
    // Five loads of the page (the first with a cold cache); the median is the figure reported.
    const loads: { sinceNavigation: number; drawMs: number; points: number; apiDoneMs: number; requests: string[] }[] = [];
    for (let i = 0; i < 5; i++) {
      await page.goto(`${server.url}/operations/${bigRun}`);
      loads.push(
        await waitFor(
          () =>
            page.evaluate(() => {
              const entry = performance.getEntriesByName('ktrdr:loss-chart-drawn')[0] as unknown as
                { startTime: number; detail: unknown } | undefined;
              if (!entry) return undefined;
              // When the last API answer arrived: what of the time is the network and the server, what the page.
              const requests = performance.getEntriesByType('resource') as unknown as { name: string; startTime: number; responseEnd: number }[];
              const api = requests.filter((r) => r.name.includes('/api/v1/'));
              return {
                sinceNavigation: entry.startTime,
                ...(entry.detail as { drawMs: number; points: number }),
                apiDoneMs: Math.max(...api.map((r) => r.responseEnd)),
                requests: requests.map((r) => `${new URL(r.name).pathname} ${r.startTime.toFixed(0)}–${r.responseEnd.toFixed(0)} ms`),
              };
            }),
          'the loss chart to draw',
          LONG_WAIT,
        ),
      );
    }
    for (const load of loads) expect(load.points).toBe(5000);
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const summary = {
      median_since_navigation_ms: median(loads.map((l) => l.sinceNavigation)),
      median_draw_ms: median(loads.map((l) => l.drawMs)),
      median_api_done_ms: median(loads.map((l) => l.apiDoneMs)),
      loads,
    };
    await mkdir(ARTIFACTS_DIR, { recursive: true });
    await writeFile(join(ARTIFACTS_DIR, 'chart-5000-epochs.json'), JSON.stringify(summary, null, 2));
    console.log(
      `5,000-epoch loss chart, median of ${loads.length} loads: drawn ${summary.median_since_navigation_ms.toFixed(0)} ms after navigation ` +
        `(last API answer at ${summary.median_api_done_ms.toFixed(0)} ms, the draw itself ${summary.median_draw_ms.toFixed(1)} ms)`,
    );
    await screenshot(page, 'run-5000-epochs');
    expect(problems).toEqual([]);
    await page.close();
  }, 400_000);
});

describe('hosts page in a real browser', () => {
  let host: HostProcess;
  let deadUrl: string;
  let server: TestBackend;
  let browser: Browser;

  beforeAll(async () => {
    ensureDashboardBuilt();
    host = await startHostProcess();
    // A second configured host that nothing answers at: a port taken and let go.
    const free = await startTestBackend({});
    deadUrl = free.url;
    await free.close();
    server = await startTestBackend({}, { hosts: { hosts: [host.url, deadUrl], token: HOST_TOKEN } });
    browser = await launchBrowser();
  }, LONG_WAIT);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await host?.kill();
  });

  it('should show each host with health, device, busy and capacity, last seen and last error', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(LONG_WAIT);
    const { page, problems } = await openPage(context);
    // The page shows what the API knows; wait until both hosts were probed once.
    await waitFor(async () => {
      const list = (await server.http('GET', '/api/v1/hosts')).body as { data: { status: string }[] };
      return list.data.every((h) => h.status !== 'unknown') ? true : undefined;
    }, 'both hosts to be probed');
    await page.goto(`${server.url}/hosts`);
    const live = page.locator('tbody tr', { hasText: host.url });
    await live.locator('.badge-healthy').waitFor();
    expect(await live.textContent()).toMatch(/CPU .*\d+ cores, \d+ GiB.*free · 0\/\d+/);
    expect(await live.locator('td').nth(4).textContent()).not.toBe('–');
    const dead = page.locator('tbody tr', { hasText: deadUrl });
    await dead.locator('.badge-unhealthy').waitFor();
    expect(await dead.locator('td').nth(6).textContent()).toContain('ECONNREFUSED');
    await screenshot(page, 'hosts-configured');
    expect(problems).toEqual([]);
    await context.close();
  });
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

    // What a first visit downloads, compressed: well under the 200 kB budget.
    const assets = [...index.text.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets.length).toBeGreaterThanOrEqual(2);
    let gzipped = gzipSync(index.text).length;
    for (const path of assets) gzipped += gzipSync((await server.http('GET', path)).text).length;
    console.log(`dashboard first load: ${(gzipped / 1000).toFixed(1)} kB gzip (${assets.join(', ')} and index.html)`);
    expect(gzipped).toBeLessThan(200_000);
    const api = await server.http('GET', '/api/v1/no-such-route');
    expect(api.status).toBe(404);
    expect(api.body).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
});
