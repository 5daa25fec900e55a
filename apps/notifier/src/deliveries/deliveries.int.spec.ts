import type { Client } from '@grpc/grpc-js';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { verifyWebhookSignature, WebhookHeaders } from '@sluice/alerting';
import {
  decodeRecord,
  IncidentNotificationSchema,
  type IncidentNotificationRecord,
} from '@sluice/contracts';
import { BatchConsumer } from '@sluice/kafka';
import { uniqueName, waitFor } from '@sluice/testing';
import { startHttpReceiver, startSmtpReceiver, type HttpReceiver } from '../testing/receivers';
import { alertEvent, call, NotifierTestBed } from '../testing/test-notifier';

jest.setTimeout(90_000);

const SECRET = 'test-webhook-secret-0123456789';

/**
 * Acceptance 3 (in-process part): real receivers started by the test — an HTTP server checking the
 * HMAC signature, one checking Slack's payload shape, smtp-server receiving the email, a receiver
 * failing then recovering, and a dead-lettered delivery resent through the API.
 */
describe('notifier deliveries to real receivers', () => {
  const bed = new NotifierTestBed();
  let app: NestFastifyApplication;
  let client: Client;
  let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
  let webhook: HttpReceiver;
  let slack: HttpReceiver;
  let inApp: BatchConsumer;
  const inAppRecords: IncidentNotificationRecord[] = [];
  const receivers: HttpReceiver[] = [];

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    await bed.start({
      SMTP_URL: smtp.url,
      SMTP_FROM: 'alerts@sluice.test',
      INCIDENT_CLEAR_MS: '300',
    });
    webhook = await startHttpReceiver((request, response) => {
      const valid = verifyWebhookSignature({
        secret: SECRET,
        signature: request.headers[WebhookHeaders.signature] as string | undefined,
        timestamp: request.headers[WebhookHeaders.timestamp] as string | undefined,
        body: request.body,
      });
      response.writeHead(valid ? 200 : 401).end();
    });
    slack = await startHttpReceiver((request, response) => {
      const body = JSON.parse(request.body) as { text?: unknown; blocks?: unknown };
      const ok =
        typeof body.text === 'string' && Array.isArray(body.blocks) && body.blocks.length > 0;
      response.writeHead(ok ? 200 : 400).end(ok ? 'ok' : 'invalid_payload');
    });
    receivers.push(webhook, slack);
    inApp = new BatchConsumer(bed.kafka, {
      groupId: uniqueName('in-app-observer'),
      topics: [bed.topics.notifications],
      fromBeginning: true,
      handler: async (batch) => {
        for (const message of batch.messages)
          inAppRecords.push(decodeRecord(IncidentNotificationSchema, message.value));
      },
    });
    await inApp.start();
    ({ app, client } = await bed.startInProcess());
  });

  afterAll(async () => {
    client?.close();
    await app?.close();
    await inApp?.stop();
    await Promise.all(receivers.map((receiver) => receiver.close()));
    await smtp?.close();
    await bed.stop();
  });

  const createChannel = async (body: Record<string, unknown>): Promise<string> => {
    const reply = await call<{ id: string }>(client, 'CreateChannel', {
      tenant: 'acme',
      channelJson: JSON.stringify(body),
    });
    return reply.id;
  };

  const deliveriesOf = async (incidentId: string) =>
    (
      await call<{ deliveries: Array<Record<string, unknown>> }>(client, 'ListDeliveries', {
        tenant: 'acme',
        incidentId,
      })
    ).deliveries;

  it('signs webhooks, sends Slack-shaped messages, emails over SMTP and publishes in-app — once per notification', async () => {
    const webhookId = await createChannel({
      name: 'ops hook',
      type: 'webhook',
      config: { url: webhook.url, secret: SECRET },
    });
    const slackId = await createChannel({
      name: 'slack',
      type: 'slack',
      config: { url: slack.url },
    });
    await createChannel({ name: 'mail', type: 'email', config: { to: ['oncall@example.test'] } });

    const device = uniqueName('boiler');
    await bed.publish([alertEvent({ device })]);
    await waitFor(
      () => webhook.requests.length >= 1 && slack.requests.length >= 1 && smtp.mails.length >= 1,
      {
        message: 'webhook, Slack and email deliveries',
        timeoutMs: 20_000,
      },
    );

    const hook = webhook.requests[0];
    expect(
      verifyWebhookSignature({
        secret: SECRET,
        signature: hook.headers[WebhookHeaders.signature] as string,
        timestamp: hook.headers[WebhookHeaders.timestamp] as string,
        body: hook.body,
      }),
    ).toBe(true);
    const payload = JSON.parse(hook.body) as IncidentNotificationRecord;
    expect(payload).toMatchObject({
      notification: 'opened',
      incident: {
        tenant: 'acme',
        device,
        metric: 'temperature',
        kind: 'threshold',
        status: 'firing',
      },
    });
    expect(hook.headers[WebhookHeaders.idempotencyKey]).toBe(payload.idempotencyKey);
    expect(payload.idempotencyKey).toContain(webhookId);

    const slackBody = JSON.parse(slack.requests[0].body) as { text: string; blocks: unknown[] };
    expect(slackBody.text).toContain('Incident opened: threshold on');
    expect(slack.requests[0].headers[WebhookHeaders.idempotencyKey]).toContain(slackId);

    expect(smtp.mails[0].to).toEqual(['oncall@example.test']);
    expect(smtp.mails[0].raw).toMatch(/^Subject: \[CRITICAL\] Incident opened: threshold on/m);
    expect(smtp.mails[0].raw).toMatch(/^X-Sluice-Idempotency-Key:\s+inc_\S+:1:opened:ch_/m);

    await waitFor(() => inAppRecords.some((record) => record.incident.device === device), {
      message: 'in-app record',
    });

    // acknowledge through the API: every channel hears about it, and the incident says who
    const incidentId = payload.incident.id;
    const acked = await call<{ status: string; acknowledgedBy: string }>(
      client,
      'AcknowledgeIncident',
      {
        tenant: 'acme',
        id: incidentId,
        by: 'alice',
      },
    );
    expect(acked).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'alice' });
    await waitFor(() => webhook.requests.length >= 2 && smtp.mails.length >= 2, {
      message: 'acknowledged notifications',
    });
    expect(JSON.parse(webhook.requests[1].body)).toMatchObject({ notification: 'acknowledged' });

    const deliveries = await deliveriesOf(incidentId);
    await waitFor(
      async () => (await deliveriesOf(incidentId)).every((d) => d.status === 'delivered'),
      {
        message: 'all deliveries delivered',
      },
    );
    // opened + acknowledged, each to webhook, slack, email and in-app
    expect(deliveries).toHaveLength(8);
    expect(new Set(deliveries.map((d) => d.idempotencyKey)).size).toBe(8);
    expect(webhook.requests).toHaveLength(2);
    expect(slack.requests).toHaveLength(2);
    expect(smtp.mails).toHaveLength(2);
  });

  it('groups repeated and redelivered alerts into one incident and resolves it after the clear time', async () => {
    const device = uniqueName('pump');
    const first = alertEvent({ device, kind: 'zscore' });
    await bed.publish([
      first,
      first,
      alertEvent({ device, kind: 'zscore' }),
      alertEvent({ device, kind: 'zscore' }),
    ]);
    const open = async () =>
      (
        await call<{ incidents: Array<Record<string, unknown>> }>(client, 'ListIncidents', {
          tenant: 'acme',
          device,
          includeHistory: true,
        })
      ).incidents;
    await waitFor(async () => (await open())[0]?.eventCount === 3, {
      message: '3 distinct events on one incident',
    });
    expect(await open()).toHaveLength(1);

    await bed.publish([
      alertEvent({ device, kind: 'zscore', state: 'resolved', message: 'back to normal' }),
    ]);
    await waitFor(async () => (await open())[0]?.status === 'resolved', {
      message: 'auto-resolved after clear time',
    });
    const [incident] = await open();
    expect((incident.history as Array<{ type: string }>).map((entry) => entry.type)).toEqual([
      'opened',
      'cleared',
      'resolved',
    ]);
    await waitFor(
      () =>
        inAppRecords.some(
          (record) => record.incident.device === device && record.notification === 'resolved',
        ),
      { message: 'resolved in-app notification' },
    );
  });

  it('retries a failing receiver with backoff until it recovers, then delivers once', async () => {
    let calls = 0;
    const flaky = await startHttpReceiver((_, response) => {
      calls += 1;
      response.writeHead(calls <= 3 ? 503 : 200).end();
    });
    receivers.push(flaky);
    const channelId = await createChannel({
      name: 'flaky',
      type: 'webhook',
      config: { url: flaky.url },
      minSeverity: 'critical',
    });
    const device = uniqueName('flaky');
    await bed.publish([alertEvent({ device, kind: 'flatline' })]);
    await waitFor(() => flaky.requests.length >= 4, {
      message: 'four attempts',
      timeoutMs: 20_000,
    });
    const delivery = await waitFor(
      async () => {
        const list = (
          await call<{ deliveries: Array<Record<string, unknown>> }>(client, 'ListDeliveries', {
            tenant: 'acme',
            channelId,
          })
        ).deliveries;
        return list.find((d) => d.status === 'delivered');
      },
      { message: 'delivered after retries' },
    );
    expect(delivery).toMatchObject({ attempts: 4, status: 'delivered' });
    const keys = flaky.requests.map((request) => request.headers[WebhookHeaders.idempotencyKey]);
    expect(new Set(keys).size).toBe(1); // every retry carries the same idempotency key
    const gaps = flaky.requests.slice(1).map((request, i) => request.at - flaky.requests[i].at);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(20); // backoff, not a hot loop
    await call(client, 'DeleteChannel', { tenant: 'acme', id: channelId });
  });

  it('dead-letters after the last attempt, lists it, and delivers it on resend', async () => {
    let healthy = false;
    const broken = await startHttpReceiver((_, response) => {
      response.writeHead(healthy ? 200 : 500).end();
    });
    receivers.push(broken);
    const channelId = await createChannel({
      name: 'broken',
      type: 'webhook',
      config: { url: broken.url },
      minSeverity: 'critical',
    });
    await bed.publish([alertEvent({ device: uniqueName('dead'), kind: 'range' })]);
    const dead = await waitFor(
      async () =>
        (
          await call<{ deliveries: Array<{ id: string; attempts: number; lastError: string }> }>(
            client,
            'ListDeliveries',
            {
              tenant: 'acme',
              status: 'dead',
              channelId,
            },
          )
        ).deliveries[0],
      { message: 'dead-lettered delivery', timeoutMs: 30_000 },
    );
    expect(dead.attempts).toBe(8);
    expect(dead.lastError).toContain('answered 500');

    healthy = true;
    await call(client, 'ResendDelivery', { tenant: 'acme', id: dead.id });
    await waitFor(
      async () =>
        (
          await call<{ deliveries: Array<{ id: string }> }>(client, 'ListDeliveries', {
            tenant: 'acme',
            status: 'delivered',
            channelId,
          })
        ).deliveries.some((d) => d.id === dead.id),
      { message: 'delivered after resend' },
    );
    await call(client, 'DeleteChannel', { tenant: 'acme', id: channelId });
  });

  it('sends a test notification through a channel on demand and validates channel bodies', async () => {
    const id = await createChannel({ name: 'test me', type: 'slack', config: { url: slack.url } });
    const before = slack.requests.length;
    const delivery = await call<{ status: string; notification: string }>(client, 'TestChannel', {
      tenant: 'acme',
      id,
    });
    expect(delivery).toMatchObject({ status: 'delivered', notification: 'test' });
    expect(slack.requests.length).toBe(before + 1);

    const invalid = await call(client, 'CreateChannel', {
      tenant: 'acme',
      channelJson: JSON.stringify({ name: 'x', type: 'webhook', config: { url: 'ftp://nope' } }),
    }).catch((error: Error) => error);
    expect(String(invalid)).toContain('config.url');
    await call(client, 'DeleteChannel', { tenant: 'acme', id });
  });
});
