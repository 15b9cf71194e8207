import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenStore } from '../../src/auth/token-store.js';
import { desktopContext, ensureDashboardBuilt, launchBrowser, openPage, screenshot } from '../helpers/browser.js';
import { spxStrategy } from '../helpers/strategies.js';
import { startTestBackend, type TestBackend } from '../helpers/test-backend.js';

const LONG_WAIT = 120_000;

/** A page on another origin that posts a form to the dashboard's API, as a malicious site would. */
function startAttackerSite(target: string): Promise<{ server: Server; port: number }> {
  const page = `<!doctype html><form method="post" enctype="text/plain" action="${target}/api/v1/trainings/start">
<input name='{"strategy_name":"login_tiny","x":"' value='"}'><button type="submit">Win a prize</button></form>`;
  const server = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end(page));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port })));
}

describe('dashboard login in a real browser', () => {
  let server: TestBackend;
  let browser: Browser;
  let context: BrowserContext;
  let token: string;
  const auth = () => ({ authorization: `Bearer ${token}` });
  const trainings = async () => (await server.http('GET', '/api/v1/operations?type=training', { headers: auth() })).body as { total: number };

  beforeAll(async () => {
    ensureDashboardBuilt();
    server = await startTestBackend({ login_tiny: spxStrategy('login_tiny') });
    const tokens = new TokenStore(server.dirs.home);
    token = tokens.create('dashboard', 'train').token;
    tokens.close();
    browser = await launchBrowser();
    context = await desktopContext(browser, LONG_WAIT);
  }, LONG_WAIT);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('should refuse without a login, log in with a token, work with the cookie, and log out', async () => {
    const { page, problems } = await openPage(context);
    await page.goto(`${server.url}/strategies/login_tiny`);
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    expect(await page.getByRole('heading', { name: 'Strategy login_tiny' }).count()).toBe(0);
    await screenshot(page, 'login');

    await page.getByLabel('API token').fill('ktrdr_0000000000000000_wrong');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').getByText('UNAUTHORIZED').waitFor();

    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Strategy login_tiny' }).waitFor();
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: 'ktrdr_session', httpOnly: true, sameSite: 'Strict' });
    expect(cookie.value).not.toContain(token);
    // The token is not kept by the page anywhere a script could find it.
    expect(await page.evaluate('JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie')).not.toContain(
      token.slice(-20),
    );

    // A change (POST with the CSRF header) and a live stream (EventSource with the cookie), through the session alone.
    await page.getByLabel('Epochs').fill('3');
    await page.getByRole('button', { name: 'Start training' }).click();
    await page.waitForURL(/\/operations\/[^/]+$/);
    await page.getByTestId('final-metrics').waitFor();
    await expect.poll(() => page.getByTestId('progress-text').textContent()).toMatch(/^100\.0%/);

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    expect(problems.filter((p) => !p.includes('401'))).toEqual([]);
    await page.close();
  });

  it('should refuse a cross-site form post made with a logged-in browser', async () => {
    const { page } = await openPage(context);
    await page.goto(server.url);
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('link', { name: 'login_tiny' }).waitFor();
    const before = (await trainings()).total;

    // Another port on the same host is another origin but the same site, so the Strict cookie goes along: the CSRF
    // token is what refuses it.
    const attacker = await startAttackerSite(server.url);
    try {
      await page.goto(`http://127.0.0.1:${attacker.port}/`);
      await page.getByRole('button', { name: 'Win a prize' }).click();
      await page.waitForURL(`${server.url}/api/v1/trainings/start`);
      const body = JSON.parse((await page.locator('body').textContent()) ?? '{}') as { error?: { code: string; message: string } };
      expect(body.error?.code).toBe('FORBIDDEN');
      expect(body.error?.message).toContain('CSRF');
    } finally {
      attacker.server.close();
    }
    expect((await trainings()).total).toBe(before);
    await page.close();
  });
});
