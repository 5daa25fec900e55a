import { ConfigError, loadConfig } from '@sluice/config';
import { notifierEnvSchema } from './notifier.config';

const load = (env: Record<string, string>) => loadConfig(notifierEnvSchema, env, 'notifier');

describe('notifier configuration: retention', () => {
  it('keeps resolved incidents 90 days, finished deliveries 30, alert ids 7, ended silences 90', () => {
    expect(load({})).toMatchObject({
      ALERT_RETENTION_INTERVAL_MS: 3_600_000,
      ALERT_RETENTION_BATCH_ROWS: 5_000,
      ALERT_RETENTION_INCIDENTS_DAYS: 90,
      ALERT_RETENTION_DELIVERIES_DAYS: 30,
      ALERT_RETENTION_SEEN_EVENTS_DAYS: 7,
      ALERT_RETENTION_SILENCES_DAYS: 90,
    });
  });

  it('refuses to forget alert ids within a day (redelivered alerts would apply again)', () => {
    expect(() => load({ ALERT_RETENTION_SEEN_EVENTS_DAYS: '0' })).toThrow(
      'ALERT_RETENTION_SEEN_EVENTS_DAYS: must be >= 1 (got "0")',
    );
  });

  it('refuses the replaced ALERT_DEDUPE_RETENTION_MS instead of ignoring a longer window', () => {
    expect(() => load({ ALERT_DEDUPE_RETENTION_MS: '2592000000' })).toThrow(ConfigError);
    expect(() => load({ ALERT_DEDUPE_RETENTION_MS: '2592000000' })).toThrow(
      'ALERT_DEDUPE_RETENTION_MS: was replaced by ALERT_RETENTION_SEEN_EVENTS_DAYS',
    );
  });
});
