import { WebhookHeaders } from '@sluice/alerting';
import { spawnService, uniqueName, waitFor, type SpawnedService } from '@sluice/testing';
import { startHttpReceiver, type HttpReceiver } from '../testing/receivers';
import { alertEvent, freePort, NotifierTestBed } from '../testing/test-notifier';

jest.setTimeout(120_000);

const NOTIFICATIONS = 30;

/**
 * Acceptance 3, crash part: the notifier process is SIGKILLed while webhook requests are in flight.
 * After a restart every notification reaches an idempotent receiver — none lost, none applied twice —
 * although some requests arrive twice (the lease of the killed worker's claims expires and they
 * are sent again with the same idempotency key).
 */
describe('notifier killed mid-delivery', () => {
  const bed = new NotifierTestBed();
  let receiver: HttpReceiver;
  let notifier: SpawnedService | undefined;
  /** The idempotent receiver's side effects: one per idempotency key it had not seen. */
  const applied = new Set<string>();
  let killed = false;

  const spawnNotifier = async (): Promise<SpawnedService> => {
    const service = spawnService('apps/notifier/src/main.ts', {
      ...bed.env,
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      GRPC_PORT: String(await freePort()),
      LOG_LEVEL: 'info',
    });
    await service.waitForLine(/"msg":"listening"/, 60_000);
    return service;
  };

  beforeAll(async () => {
    await bed.start({ DELIVERY_LEASE_MS: '3000', DELIVERY_CONCURRENCY: '8' });
    receiver = await startHttpReceiver(async (request, response) => {
      const key = String(request.headers[WebhookHeaders.idempotencyKey]);
      if (!killed) {
        // the first request: kill the notifier while this and other requests are in flight
        killed = true;
        notifier?.kill('SIGKILL');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      applied.add(key);
      response.writeHead(200).end();
    });
    await bed.pool.query(
      `INSERT INTO alert_channels (id, tenant, name, type, config) VALUES ('ch_crash', 'acme', 'crash', 'webhook', $1)`,
      [JSON.stringify({ url: receiver.url })],
    );
  });

  afterAll(async () => {
    await notifier?.stop();
    await receiver?.close();
    await bed.stop();
  });

  it('delivers each notification exactly once to an idempotent receiver after a SIGKILL and restart', async () => {
    notifier = await spawnNotifier();
    await bed.publish(
      Array.from({ length: NOTIFICATIONS }, (_, i) =>
        alertEvent({ device: uniqueName(`crash-${i}`) }),
      ),
    );
    const exit = await notifier.waitForExit(60_000);
    expect(exit.signal).toBe('SIGKILL');

    notifier = await spawnNotifier();
    await waitFor(() => applied.size === NOTIFICATIONS, {
      message: `${NOTIFICATIONS} distinct notifications at the receiver`,
      timeoutMs: 60_000,
    });
    await waitFor(
      async () =>
        (
          await bed.pool.query(
            `SELECT 1 FROM alert_deliveries WHERE channel_id = 'ch_crash' AND status <> 'delivered'`,
          )
        ).rowCount === 0,
      { message: 'every delivery marked delivered' },
    );
    const { rows } = await bed.pool.query<{ idempotency_key: string }>(
      `SELECT idempotency_key FROM alert_deliveries WHERE channel_id = 'ch_crash'`,
    );
    // one delivery per notification, and the receiver applied exactly those keys: nothing lost,
    // and no retry came with a new key (which an idempotent receiver would apply a second time)
    expect(rows).toHaveLength(NOTIFICATIONS);
    expect([...applied].sort()).toEqual(rows.map((row) => row.idempotency_key).sort());
    // the receiver did see repeats: the in-flight requests of the killed process came again
    const keys = receiver.requests.map((request) => request.headers[WebhookHeaders.idempotencyKey]);
    expect(keys.length).toBeGreaterThan(new Set(keys).size);
  });
});
