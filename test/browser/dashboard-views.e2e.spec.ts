/**
 * The dashboard's working views against the whole pipeline (programs, actuators and alerts need the
 * actuator-controller and the notifier; the simulator's actuator agent acknowledges commands):
 * pipeline status, CSV upload, acknowledging an incident, program validation at the field and a
 * dry run, a manual actuator command acknowledged. Screenshots desktop and phone.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { E2E_API_KEY, E2eEnvironment } from '../support/e2e-environment';
import {
  buildDashboard,
  DESKTOP,
  launchChromium,
  PHONE,
  screenshot,
  signedInContext,
} from './browser-support';

jest.setTimeout(300_000);

const ALERT_RULES = JSON.stringify({
  defaults: { zscore: null, silence: { afterMs: 3_600_000 } },
  rules: [
    {
      match: { metric: 'temperature' },
      detectors: { threshold: { max: 50, severity: 'critical' } },
    },
  ],
});

describe('dashboard views in the browser', () => {
  const env = new E2eEnvironment();
  let browser: Browser;
  let desktop: BrowserContext;
  let phone: BrowserContext;

  beforeAll(async () => {
    buildDashboard();
    await env.start({
      services: [
        'stream-transformer',
        'aggregator',
        'actuator-controller',
        'notifier',
        'ingest-gateway',
        'simulator',
      ],
      env: {
        SEED_DEMO: 'true',
        DEMO_API_KEY: E2E_API_KEY,
        SIM_API_KEY: E2E_API_KEY,
        SIM_DEVICES: '5',
        SEED_DEMO_DEVICES: '5',
        SIM_INTERVAL_MS: '1000',
        REDIS_KEY_PREFIX: env.redisPrefix,
        LOG_LEVEL: 'warn',
        SHUTDOWN_GRACE_MS: '10000',
        ALERT_RULES,
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

  async function phoneShot(path: string, ready: (page: Page) => Promise<unknown>, name: string) {
    const page = await open(phone, path);
    await ready(page);
    await screenshot(page, `${name}-phone`);
    await page.close();
  }

  it('shows the pipeline: consumer lag per service and the ingest rate', async () => {
    const page = await open(desktop, '/pipeline');
    const transformer = page
      .getByTestId('consumer-lag')
      .getByRole('row')
      .filter({ hasText: 'stream-transformer' });
    await transformer.waitFor({ timeout: 30_000 });
    // The first answer has no rate yet (no earlier sample); the 3 s refresh brings one.
    await page.getByTestId('ingest-rate').filter({ hasText: '/s' }).waitFor({ timeout: 30_000 });
    await screenshot(page, 'pipeline-desktop');
    await page.close();
    await phoneShot('/pipeline', (p) => p.getByTestId('consumer-lag').waitFor(), 'pipeline');
  });

  it('uploads a CSV with progress and offers the result', async () => {
    const start = Date.now() - 10 * 60_000;
    const rows = ['time,device,metric,value,unit'];
    for (let i = 0; i < 2000; i++) {
      rows.push(
        `${new Date(start + i * 250).toISOString()},csv-browser-${i % 4},pressure,${1000 + (i % 7)},hPa`,
      );
    }
    rows.push('not-a-time,csv-browser-0,pressure,1,hPa');
    const page = await open(desktop, '/uploads');
    await page.getByLabel('CSV file').setInputFiles({
      name: 'readings.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(`${rows.join('\n')}\n`),
    });
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.getByTestId('upload-progress').waitFor();
    await page
      .locator('[data-testid="upload-status"][data-status="succeeded"]')
      .waitFor({ timeout: 60_000 });
    const status = await page.getByTestId('upload-status').innerText();
    expect(status).toContain('2000 accepted');
    expect(status).toContain('1 rejected');
    const download = page.getByTestId('result-download');
    await download.waitFor();
    const [file] = await Promise.all([page.waitForEvent('download'), download.click()]);
    expect(file.suggestedFilename()).toMatch(/result\.csv$/);
    await screenshot(page, 'uploads-desktop');
    await page.close();
    await phoneShot('/uploads', (p) => p.getByLabel('CSV file').waitFor(), 'uploads');
  });

  it('acknowledges an incident', async () => {
    const now = Date.now();
    expect(
      (
        await env.postReadings([
          {
            device: 'browser-spike',
            metric: 'temperature',
            time: now - 1000,
            value: 21,
            unit: '°C',
          },
          { device: 'browser-spike', metric: 'temperature', time: now, value: 95, unit: '°C' },
        ])
      ).status,
    ).toBe(202);
    const page = await open(desktop, '/alerts');
    const row = page.getByTestId('incident-row').filter({ hasText: 'browser-spike' });
    await row.waitFor({ timeout: 60_000 });
    await row.getByRole('button', { name: 'Acknowledge' }).click();
    await row.getByTestId('incident-status').filter({ hasText: 'acknowledged' }).waitFor();
    await page.getByLabel('Show').selectOption('acknowledged');
    await page
      .locator('[data-testid="incident-row"][data-status="acknowledged"]')
      .filter({ hasText: 'browser-spike' })
      .waitFor();
    await screenshot(page, 'alerts-desktop');
    await page.close();
    await phoneShot(
      '/alerts',
      (p) => p.getByRole('heading', { name: 'Alerts' }).waitFor(),
      'alerts',
    );
  });

  it('shows a validation message at the field of an invalid condition, then dry-runs a valid program on a chart', async () => {
    const page = await open(desktop, '/programs');
    await page.getByLabel('Name', { exact: true }).fill('Browser fan');
    await page.getByLabel('Device', { exact: true }).fill('sim-001');
    await page.getByLabel('Actuator', { exact: true }).fill('sim-001-fan');
    await page.getByLabel('Value', { exact: true }).fill('22');
    await page.getByLabel('Holds for (optional, e.g. 5m)').fill('5 min');
    const error = page.getByTestId('program-for-error');
    await error.waitFor({ timeout: 20_000 });
    expect(await error.innerText()).toMatch(/duration|5 min/i);
    expect(
      await page.getByLabel('Holds for (optional, e.g. 5m)').getAttribute('aria-invalid'),
    ).toBe('true');
    await error.scrollIntoViewIfNeeded();
    await screenshot(page, 'programs-invalid-desktop');

    await page.getByLabel('Holds for (optional, e.g. 5m)').fill('');
    await error.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Create program' }).click();
    await page.getByTestId('dry-run-summary').waitFor({ timeout: 60_000 });
    await page.getByTestId('dry-run-step').first().waitFor();
    const steps = await page.getByTestId('dry-run-step').allInnerTexts();
    expect(steps.join('\n')).toContain('sim-001-fan');
    // The chart draws the commands: uPlot's canvas is there with the "commands" series.
    await page.locator('.chart canvas').first().waitFor();
    expect(await page.locator('.chart .u-legend').innerText()).toContain('commands');
    await page.getByTestId('program-row').filter({ hasText: 'Browser fan' }).waitFor();
    await page.getByTestId('dry-run-summary').scrollIntoViewIfNeeded();
    await screenshot(page, 'programs-desktop');
    await page.close();
    await phoneShot('/programs', (p) => p.getByTestId('program-row').first().waitFor(), 'programs');
  });

  it('sends a confirmed manual command that shows as acknowledged in the history', async () => {
    const page = await open(desktop, '/actuators');
    await page.getByLabel('Actuator', { exact: true }).fill('sim-002-heater');
    await page.getByLabel('Set state').selectOption('on');
    await page.getByLabel('Reason', { exact: true }).fill('browser test');
    await page.getByRole('button', { name: 'Send command…' }).click();
    await page.getByRole('alertdialog').waitFor();
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByText(/Command .* sent/).waitFor();
    await page
      .locator('[data-testid="command-row"][data-status="acknowledged"]')
      .filter({ hasText: 'browser test' })
      .waitFor({ timeout: 60_000 });
    await screenshot(page, 'actuators-desktop');
    await page.close();
    await phoneShot(
      '/actuators',
      (p) => p.getByTestId('command-row').first().waitFor(),
      'actuators',
    );
  });
});
