/**
 * The dashboard in headless Chromium (Debian's package, driven by playwright-core) against a real
 * pipeline started by the launcher: gateway serving the built dashboard, simulator feeding it.
 * Screenshots of each view at desktop and phone widths go to test/browser/artifacts/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { E2E_API_KEY, E2eEnvironment } from '../support/e2e-environment';
import {
  buildDashboard,
  chartPoints,
  DESKTOP,
  launchChromium,
  PHONE,
  screenshot,
  serviceWorkerScope,
  signedInContext,
  storedKey,
  waitForChartPoints,
} from './browser-support';

jest.setTimeout(240_000);

const SIM_DEVICES = 12;

describe('dashboard in the browser', () => {
  const env = new E2eEnvironment();
  let browser: Browser;
  let desktop: BrowserContext;
  let phone: BrowserContext;

  beforeAll(async () => {
    buildDashboard();
    await env.start({
      services: ['stream-transformer', 'aggregator', 'ingest-gateway', 'simulator'],
      env: {
        SEED_DEMO: 'true',
        DEMO_API_KEY: E2E_API_KEY,
        SIM_API_KEY: E2E_API_KEY,
        SIM_DEVICES: String(SIM_DEVICES),
        SEED_DEMO_DEVICES: String(SIM_DEVICES),
        SIM_INTERVAL_MS: '500',
        REDIS_KEY_PREFIX: env.redisPrefix,
        LOG_LEVEL: 'warn',
        SHUTDOWN_GRACE_MS: '10000',
      },
    });
    browser = await launchChromium();
    desktop = await signedInContext(browser, E2E_API_KEY, DESKTOP);
    phone = await signedInContext(browser, E2E_API_KEY, PHONE);
  });

  afterAll(async () => {
    await browser?.close();
    await env.stop();
  });

  async function open(context: BrowserContext, path: string): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`${env.gatewayUrl}${path}`);
    return page;
  }

  it('signs in with an API key and refuses an unknown one at the field', async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    await page.goto(env.gatewayUrl);
    await page.getByLabel('API key').fill('not-a-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('This key is unknown or revoked.').waitFor();
    await screenshot(page, 'sign-in-error-desktop');
    await page.getByLabel('API key').fill(E2E_API_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Fleet' }).waitFor();
    expect(await storedKey(page)).toBe(E2E_API_KEY);
    await context.close();
  });

  it("lists the simulator's devices with live values on the fleet page", async () => {
    for (const [context, width] of [
      [desktop, 'desktop'],
      [phone, 'phone'],
    ] as const) {
      const page = await open(context, '/');
      await page.locator('[data-testid="fleet-row"][data-device="sim-001"]').waitFor();
      await page
        .getByTestId('fleet-count')
        .filter({ hasText: `of ${SIM_DEVICES} devices` })
        .waitFor();
      // Real values, not placeholders: the first row shows a number for a metric.
      await page
        .locator('[data-device="sim-001"] [data-testid="latest-values"] strong')
        .first()
        .waitFor();
      await page.getByTestId('live-status').filter({ hasText: 'live' }).waitFor();
      const ids = await page
        .locator('[data-testid="fleet-row"]')
        .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-device')));
      expect(ids).toEqual(expect.arrayContaining(['sim-001', 'sim-002', 'sim-003']));
      await screenshot(page, `fleet-${width}`);
      await page.close();
    }
  });

  it('draws a device chart from history and keeps adding live points', async () => {
    for (const [context, width] of [
      [desktop, 'desktop'],
      [phone, 'phone'],
    ] as const) {
      const page = await open(context, '/devices/sim-001');
      await page.getByRole('heading', { name: 'sim-001' }).waitFor();
      await page.getByTestId('chart-points').waitFor();
      await waitForChartPoints(page, 1);
      const before = await chartPoints(page);
      // The simulator reports every 500 ms: new points must arrive over the live stream.
      await waitForChartPoints(page, before + 3);
      await screenshot(page, `device-${width}`);
      await page.close();
    }
  });

  it('is an installable PWA: manifest and service worker registered', async () => {
    const page = await open(desktop, '/');
    const manifestHref = await page.locator('link[rel="manifest"]').getAttribute('href');
    expect(manifestHref).toBeTruthy();
    const manifest = (await (await fetch(`${env.gatewayUrl}${manifestHref}`)).json()) as {
      icons: Array<{ sizes: string }>;
    };
    expect(manifest).toMatchObject({
      name: 'Sluice dashboard',
      display: 'standalone',
      start_url: '/',
    });
    expect(manifest.icons.map((icon) => icon.sizes)).toEqual(
      expect.arrayContaining(['192x192', '512x512']),
    );
    const scope = await serviceWorkerScope(page);
    expect(scope).toBe(`${env.gatewayUrl}/`);
    await page.close();
  });

  it('opens offline from the service worker with an offline notice, and the live chart resumes when the network returns', async () => {
    const page = await open(desktop, '/devices/sim-002');
    await serviceWorkerScope(page);
    await waitForChartPoints(page, 1);

    await desktop.setOffline(true);
    const reloaded = await page.reload();
    expect(reloaded?.fromServiceWorker()).toBe(true);
    await page.getByRole('link', { name: 'Sluice home' }).waitFor();
    await page.getByTestId('offline-notice').waitFor();
    await page.getByTestId('live-status').filter({ hasText: 'offline' }).waitFor();
    await screenshot(page, 'offline-desktop');

    await desktop.setOffline(false);
    await page.getByTestId('offline-notice').waitFor({ state: 'detached' });
    await page.getByTestId('live-status').filter({ hasText: 'live' }).waitFor({ timeout: 30_000 });
    await page.getByRole('heading', { name: 'sim-002' }).waitFor();
    const resumedFrom = await chartPoints(page);
    await waitForChartPoints(page, resumedFrom + 3);
    await page.close();
  });
});
