import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { defaultDashboardDir } from '../../src/api/dashboard.js';
import { projectRoot } from '../../src/util/package-info.js';

/** Debian's Chromium; `npm test` installs it first (scripts/ensure-system-packages.sh). */
export const CHROMIUM = process.env.KTRDR_CHROMIUM ?? '/usr/bin/chromium';

/** Where browser tests leave screenshots and measurements (gitignored). */
export const ARTIFACTS_DIR = join(projectRoot(), 'test-artifacts');

/**
 * The built dashboard, building it when it is missing (a test run straight after checkout); `npm test` builds it
 * before the tests, so this is normally a no-op.
 */
export function ensureDashboardBuilt(): void {
  if (existsSync(join(defaultDashboardDir(), 'index.html'))) return;
  execFileSync(process.execPath, [join(projectRoot(), 'node_modules', 'vite', 'bin', 'vite.js'), 'build', 'web'], {
    cwd: projectRoot(),
    stdio: 'pipe',
  });
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ensure-system-packages.sh chromium (npm test does)`);
  // No sandbox: CI containers run as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}

/** A desktop-sized browser context whose waits (`timeoutMs`) allow for a busy machine. */
export async function desktopContext(browser: Browser, timeoutMs: number): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(timeoutMs);
  return context;
}

/**
 * A page that records what the browser complained about (script errors, CSP violations, failed requests), so a test
 * can require a clean console.
 */
export async function openPage(context: BrowserContext): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  return { page, problems };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = join(ARTIFACTS_DIR, 'screenshots');
  await mkdir(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}
