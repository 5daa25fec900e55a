import { parseAlertRules } from '@sluice/alerting';
import { AlertEventSchema, decodeRecord, type AlertEvent } from '@sluice/contracts';
import { BatchConsumer, createKafka, ensureTopics, KafkaProducer, type Kafka } from '@sluice/kafka';
import { startTestBroker, uniqueName, waitFor, type TestBroker } from '@sluice/testing';
import { Redis } from 'ioredis';
import { SilenceDetectionService } from './silence-detection.service';

jest.setTimeout(60_000);

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const T0 = 1_700_000_000_000;

describe('device silence detection (Redis last-seen, alerts.v1 on the embedded broker)', () => {
  const keyPrefix = `${uniqueName('test_silence')}:`;
  const topic = uniqueName('alerts');
  let broker: TestBroker;
  let kafka: Kafka;
  let producer: KafkaProducer;
  let observer: BatchConsumer;
  let redis: Redis;
  let service: SilenceDetectionService;
  const alerts: AlertEvent[] = [];

  beforeAll(async () => {
    broker = await startTestBroker({ fsync: { mode: 'interval', intervalMs: 100 } });
    kafka = createKafka({ brokers: broker.brokers, clientId: 'silence-test' });
    await ensureTopics(kafka, [{ topic, partitions: 1 }]);
    producer = new KafkaProducer(kafka);
    await producer.connect();
    observer = new BatchConsumer(kafka, {
      groupId: uniqueName('observer'),
      topics: [topic],
      fromBeginning: true,
      handler: async (batch) => {
        for (const message of batch.messages)
          alerts.push(decodeRecord(AlertEventSchema, message.value));
      },
    });
    await observer.start();
    redis = new Redis(REDIS_URL, { keyPrefix });
    service = new SilenceDetectionService(redis, producer, {
      alertsTopic: topic,
      batchSize: 100,
      rules: parseAlertRules(
        JSON.stringify({
          defaults: { silence: { afterMs: 60_000 } },
          rules: [
            { match: { tag: { key: 'mode', value: 'sleepy' } }, detectors: { silence: null } },
          ],
        }),
      ),
    });
  });

  afterAll(async () => {
    await observer?.stop();
    await producer?.disconnect();
    const cleaner = new Redis(REDIS_URL);
    const keys = await cleaner.keys(`${keyPrefix}*`);
    if (keys.length > 0) await cleaner.unlink(...keys);
    await cleaner.quit();
    await redis?.quit();
    await broker?.stop();
  });

  it('fires once for a device quiet past afterMs, never for a talking or exempt device, and resolves when it comes back', async () => {
    await service.heard(
      [
        { tenant: 'acme', device: 'quiet-1', tags: {} },
        { tenant: 'acme', device: 'chatty-1', tags: {} },
        { tenant: 'acme', device: 'sleepy-1', tags: { mode: 'sleepy' } },
      ],
      T0,
    );
    expect(await service.check(T0 + 59_999)).toBe(0);
    await service.heard([{ tenant: 'acme', device: 'chatty-1', tags: {} }], T0 + 50_000);

    expect(await service.check(T0 + 60_000)).toBe(1);
    expect(await service.check(T0 + 100_000)).toBe(0); // already firing: nothing new
    await waitFor(() => alerts.length >= 1, { message: 'silence alert' });
    expect(alerts[0]).toMatchObject({
      id: `acme/quiet-1/_/silence/firing/${T0}`,
      device: 'quiet-1',
      metric: null,
      kind: 'silence',
      state: 'firing',
      evidence: { lastSeenAt: T0, afterMs: 60_000, quietForMs: 60_000 },
    });

    // the device is back: resolved, with the same last-seen time in its id
    await service.heard([{ tenant: 'acme', device: 'quiet-1', tags: {} }], T0 + 130_000);
    await waitFor(() => alerts.length >= 2, { message: 'resolved alert' });
    expect(alerts[1]).toMatchObject({
      id: `acme/quiet-1/_/silence/resolved/${T0}`,
      state: 'resolved',
    });
    // and it can go silent again later, as a new alert
    expect(await service.check(T0 + 130_000 + 60_000)).toBe(2); // quiet-1 again, and chatty-1 by now
    expect(alerts.every((alert) => alert.device !== 'sleepy-1')).toBe(true);
  });

  it('does not fire when the clock jumps back behind the last reading', async () => {
    await service.heard([{ tenant: 'acme', device: 'jumpy', tags: {} }], T0 + 1_000_000);
    expect(await service.check(T0 + 500_000)).toBe(0);
  });
});
