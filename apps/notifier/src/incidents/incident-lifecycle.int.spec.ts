import type { Client } from '@grpc/grpc-js';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { uniqueName, waitFor } from '@sluice/testing';
import { startHttpReceiver, type HttpReceiver } from '../testing/receivers';
import { alertEvent, call, NotifierTestBed } from '../testing/test-notifier';

jest.setTimeout(90_000);

interface Notification {
  notification: string;
  incident: { id: string; device: string };
}

/**
 * The lifecycle timers on the running notifier (PostgreSQL, ticker, outbox), with short timers:
 * re-notification and escalation to the escalation channel while unacknowledged, both stopping
 * at acknowledge; a silence holding notifications back until it is deleted (expired).
 * The timer arithmetic itself is specified with an injected clock in libs/alerting.
 */
describe('incident lifecycle in the notifier', () => {
  const bed = new NotifierTestBed();
  let app: NestFastifyApplication;
  let client: Client;
  let ops: HttpReceiver;
  let pager: HttpReceiver;
  const bodies = (receiver: HttpReceiver, device: string): Notification[] =>
    receiver.requests
      .map((request) => JSON.parse(request.body) as Notification)
      .filter((body) => body.incident.device === device);

  beforeAll(async () => {
    await bed.start({
      INCIDENT_RENOTIFY_MS: '700',
      INCIDENT_ESCALATE_AFTER_MS: '1000',
      INCIDENT_COOLDOWN_MS: '0',
      INCIDENT_CLEAR_MS: '60000',
    });
    ops = await startHttpReceiver();
    pager = await startHttpReceiver();
    ({ app, client } = await bed.startInProcess());
    for (const [name, url, escalation] of [
      ['ops', ops.url, false],
      ['pager', pager.url, true],
    ] as const) {
      await call(client, 'CreateChannel', {
        tenant: 'acme',
        channelJson: JSON.stringify({ name, type: 'webhook', config: { url }, escalation }),
      });
    }
  });

  afterAll(async () => {
    client?.close();
    await app?.close();
    await ops?.close();
    await pager?.close();
    await bed.stop();
  });

  it('re-notifies and escalates an unacknowledged incident, and stops both once acknowledged', async () => {
    const device = uniqueName('unacked');
    await bed.publish([alertEvent({ device })]);
    await waitFor(() => bodies(pager, device).length >= 1, {
      message: 'escalation',
      timeoutMs: 20_000,
    });
    await waitFor(
      () => bodies(ops, device).filter((b) => b.notification === 'renotify').length >= 1,
      {
        message: 're-notification',
      },
    );
    expect(bodies(pager, device).map((b) => b.notification)).toEqual(['escalated']);
    expect(bodies(ops, device)[0].notification).toBe('opened');
    expect(bodies(ops, device).some((b) => b.notification === 'escalated')).toBe(false);

    const id = bodies(ops, device)[0].incident.id;
    await call(client, 'AcknowledgeIncident', { tenant: 'acme', id, by: 'bob' });
    // the escalation channel hears how its escalation ended
    await waitFor(() => bodies(pager, device).some((b) => b.notification === 'acknowledged'), {
      message: 'acknowledged to the escalation channel',
    });
    const after = bodies(ops, device).length;
    // two more re-notify periods pass (observed through the ticker's own history of another incident)
    const marker = uniqueName('marker');
    await bed.publish([alertEvent({ device: marker })]);
    await waitFor(
      () => bodies(ops, marker).filter((b) => b.notification === 'renotify').length >= 2,
      {
        message: 'two re-notify periods of another incident',
      },
    );
    expect(bodies(ops, device).length).toBe(after);
    expect(bodies(ops, device).at(-1)?.notification).toBe('acknowledged');
  });

  it('holds notifications during a silence and sends the owed one when it ends', async () => {
    const device = uniqueName('muted');
    const silence = await call<{ id: string }>(client, 'CreateSilence', {
      tenant: 'acme',
      device,
      endsAt: Date.now() + 60 * 60_000,
      reason: 'maintenance window',
      createdBy: 'test',
    });
    await bed.publish([alertEvent({ device })]);
    const incidents = async () =>
      (
        await call<{
          incidents: Array<{ id: string; history: Array<{ type: string; detailJson: string }> }>;
        }>(client, 'ListIncidents', { tenant: 'acme', device, includeHistory: true })
      ).incidents;
    await waitFor(async () => (await incidents()).length === 1, {
      message: 'the silenced incident exists',
    });
    expect(JSON.parse((await incidents())[0].history[0].detailJson)).toMatchObject({
      held: 'silenced',
    });
    // well past the escalation and re-notify times: still nothing sent for this device
    const marker = uniqueName('marker');
    await bed.publish([alertEvent({ device: marker })]);
    await waitFor(() => bodies(pager, marker).length >= 1, { message: 'escalation time passed' });
    expect(bodies(ops, device)).toEqual([]);
    expect(bodies(pager, device)).toEqual([]);

    await call(client, 'DeleteSilence', { tenant: 'acme', id: silence.id });
    await waitFor(() => bodies(ops, device).some((b) => b.notification === 'opened'), {
      message: 'owed notification after the silence ended',
    });
  });
});
