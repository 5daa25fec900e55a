import { parseAlertRules, resolveDetectors } from './alert-rules';
import { routeNotification } from './channel-routing';
import { DEFAULT_BACKOFF, isLastAttempt, retryDelayMs } from './delivery-backoff';
import { slackMessage, type IncidentNotification } from './notification-message';
import { signWebhook, verifyWebhookSignature } from './webhook-signature';

describe('delivery backoff', () => {
  const policy = { baseMs: 1_000, maxMs: 60_000, maxAttempts: 5 };

  it('grows exponentially with equal jitter and is capped', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, policy, () => 0))).toEqual([
      500, 1_000, 2_000, 4_000,
    ]);
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, policy, () => 1))).toEqual([
      1_000, 2_000, 4_000, 8_000,
    ]);
    expect(retryDelayMs(30, policy, () => 1)).toBe(60_000);
    expect(retryDelayMs(1000, DEFAULT_BACKOFF, () => 0.5)).toBe(225_000);
  });

  it('spreads retries of deliveries that failed together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => retryDelayMs(3, policy)));
    expect(delays.size).toBeGreaterThan(10);
    for (const delay of delays) expect(delay).toBeGreaterThanOrEqual(2_000);
  });

  it('dead-letters after maxAttempts', () => {
    expect(isLastAttempt(4, policy)).toBe(false);
    expect(isLastAttempt(5, policy)).toBe(true);
  });
});

describe('webhook HMAC signature', () => {
  const body = JSON.stringify({ hello: 'world' });

  it('verifies what it signed and rejects a changed body, wrong secret or old timestamp', () => {
    const now = 1_700_000_000_000;
    const signature = signWebhook('s3cret', now, body);
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    const ok = { secret: 's3cret', signature, timestamp: String(now), body, now };
    expect(verifyWebhookSignature(ok)).toBe(true);
    expect(verifyWebhookSignature({ ...ok, body: body.replace('world', 'w0rld') })).toBe(false);
    expect(verifyWebhookSignature({ ...ok, secret: 'other' })).toBe(false);
    expect(verifyWebhookSignature({ ...ok, now: now + 10 * 60_000 })).toBe(false);
    expect(verifyWebhookSignature({ ...ok, signature: undefined })).toBe(false);
  });
});

describe('Slack message', () => {
  it('has the fallback text and Block Kit blocks, escaping mrkdwn control characters', () => {
    const notification: IncidentNotification = {
      idempotencyKey: 'k',
      notification: 'opened',
      sentAt: 0,
      incident: {
        id: 'inc-1',
        tenant: 'acme',
        device: 'boiler-1',
        metric: 'temperature',
        kind: 'threshold',
        severity: 'critical',
        status: 'firing',
        message: '95 > 90 <b>',
        evidence: {},
        openedAt: 1_700_000_000_000,
        acknowledgedAt: null,
        acknowledgedBy: null,
        resolvedAt: null,
      },
    };
    const message = slackMessage(notification);
    expect(message.text).toBe('[CRITICAL] Incident opened: threshold on boiler-1 / temperature');
    expect(message.blocks[0]).toMatchObject({ type: 'section', text: { type: 'mrkdwn' } });
    expect(JSON.stringify(message.blocks)).toContain('95 &gt; 90 &lt;b&gt;');
    expect(message.blocks[1]).toMatchObject({ type: 'context' });
  });
});

describe('channel routing', () => {
  const channels = [
    { id: 'ops', enabled: true, minSeverity: 'warning' as const, escalation: false },
    { id: 'pager', enabled: true, minSeverity: 'warning' as const, escalation: true },
    { id: 'crit-only', enabled: true, minSeverity: 'critical' as const, escalation: false },
    { id: 'off', enabled: false, minSeverity: 'info' as const, escalation: false },
  ];
  const ids = (
    notification: 'opened' | 'escalated' | 'resolved',
    severity: 'info' | 'warning' | 'critical',
    escalated = false,
  ) => routeNotification(channels, { notification, severity, escalated }).map((c) => c.id);

  it('sends escalations only to escalation channels, and respects severity and enabled', () => {
    expect(ids('opened', 'warning')).toEqual(['ops']);
    expect(ids('opened', 'critical')).toEqual(['ops', 'crit-only']);
    expect(ids('opened', 'info')).toEqual([]);
    expect(ids('escalated', 'warning')).toEqual(['pager']);
    expect(ids('resolved', 'warning', true)).toEqual(['ops', 'pager']);
    expect(ids('resolved', 'warning', false)).toEqual(['ops']);
  });
});

describe('alert rules', () => {
  const config = parseAlertRules(
    JSON.stringify({
      defaults: { zscore: { threshold: 5 } },
      rules: [
        { match: { metric: 'temperature' }, detectors: { threshold: { max: 30 } } },
        { match: { tenant: 'acme' }, detectors: { threshold: { max: 50 }, zscore: null } },
        {
          match: { tag: { key: 'site', value: 'lab' } },
          detectors: { threshold: { max: 40, severity: 'critical' } },
        },
        { match: { tenant: 'acme' }, detectors: { silence: { afterMs: 5_000 } } },
      ],
    }),
  );

  it('layers defaults < tenant < tag < metric, fills unset fields with detector defaults, null turns off', () => {
    const other = resolveDetectors(config, { tenant: 'other', metric: 'power', deviceTags: {} });
    expect(other).toEqual({
      zscore: expect.objectContaining({ threshold: 5, window: 100, minSamples: 30 }),
    });

    const acmePower = resolveDetectors(config, { tenant: 'acme', metric: 'power', deviceTags: {} });
    expect(acmePower.zscore).toBeUndefined();
    expect(acmePower.threshold).toEqual({ max: 50, severity: 'warning' });

    const labTemperature = resolveDetectors(config, {
      tenant: 'acme',
      metric: 'temperature',
      deviceTags: { site: 'lab' },
    });
    // metric (30) beats tag (40) beats tenant (50); the tag's severity survives
    expect(labTemperature.threshold).toEqual({ max: 30, severity: 'critical' });

    const device = resolveDetectors(config, { tenant: 'acme', deviceTags: {} });
    expect(device.silence).toEqual({ afterMs: 5_000, severity: 'warning' });
  });

  it('names the bad field of an invalid configuration', () => {
    expect(() => parseAlertRules('{"rules":[{"detectors":{"zscore":{"threshold":-1}}}]}')).toThrow(
      /rules\.0\.detectors\.zscore\.threshold/,
    );
    expect(() => parseAlertRules('{')).toThrow(/not valid JSON/);
  });
});
