import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const REPO_ROOT = resolve(__dirname, '../..');
export const ARTIFACTS_DIR = join(__dirname, 'artifacts');
/** Debian's chromium package; browsers are never downloaded (`apt-get install chromium`). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** Builds apps/dashboard through Nx (a cache hit when nothing changed), as npm start does. */
export function buildDashboard(): void {
  const result = spawnSync(
    join(REPO_ROOT, 'node_modules', '.bin', 'nx'),
    ['build', 'dashboard', '--outputStyle=static'],
    {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, NX_DAEMON: 'false', NODE_ENV: 'production' },
    },
  );
  if (result.status !== 0) {
    throw new Error(`nx build dashboard failed:\n${result.stdout}\n${result.stderr}`);
  }
  const size = /\[dashboard\] initial JS: .*/.exec(result.stdout)?.[0];
  if (size) console.log(size);
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `no Chromium at ${CHROMIUM_PATH}: install Debian's package (apt-get install chromium)`,
    );
  }
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox'] });
}

/** A browser context already signed in (the key the sign-in form stores in localStorage). */
export async function signedInContext(
  browser: Browser,
  apiKey: string,
  viewport: { width: number; height: number },
): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport,
    isMobile: viewport.width < 500,
    hasTouch: viewport.width < 500,
    serviceWorkers: 'allow',
  });
  await context.addInitScript((key) => {
    const { localStorage } = globalThis as unknown as PageGlobals;
    if (localStorage.getItem('sluice.apiKey') === null) localStorage.setItem('sluice.apiKey', key);
  }, apiKey);
  return context;
}

/**
 * The browser globals the page functions below use: the root tsconfig has no DOM lib, and these
 * functions run in the page (serialised), so they reach the globals through `globalThis`.
 */
export interface PageGlobals {
  localStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
  document: {
    querySelector(selector: string): { getAttribute(name: string): string | null } | null;
  };
  navigator: { serviceWorker: { ready: Promise<{ scope: string }> } };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

/** Number of points the device chart currently draws (its data-points attribute). */
export async function chartPoints(page: Page): Promise<number> {
  return Number(await page.getByTestId('chart-points').getAttribute('data-points'));
}

/** Waits until the device chart draws at least `count` points. */
export async function waitForChartPoints(
  page: Page,
  count: number,
  timeout = 30_000,
): Promise<void> {
  await page.waitForFunction(
    (atLeast) => {
      const { document } = globalThis as unknown as PageGlobals;
      const element = document.querySelector('[data-testid="chart-points"]');
      return Number(element?.getAttribute('data-points')) >= atLeast;
    },
    count,
    { timeout },
  );
}

export async function storedKey(page: Page): Promise<string | null> {
  return page.evaluate(() =>
    (globalThis as unknown as PageGlobals).localStorage.getItem('sluice.apiKey'),
  );
}

export async function serviceWorkerScope(page: Page): Promise<string> {
  return page.evaluate(
    async () => (await (globalThis as unknown as PageGlobals).navigator.serviceWorker.ready).scope,
  );
}
