import { parseAlertRules } from '@sluice/alerting';
import { AlertEventSchema, decodeRecord, type CleanReadingBatch } from '@sluice/contracts';
import { uniqueName } from '@sluice/testing';
import { Redis } from 'ioredis';
import { AnomalyDetectionService } from './anomaly-detection.service';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const T0 = 1_700_000_000_000;

describe('anomaly detection with detector state in Redis', () => {
  const keyPrefix = `${uniqueName('test_anomaly')}:`;
  let redis: Redis;
  let service: AnomalyDetectionService;

  beforeAll(() => {
    redis = new Redis(REDIS_URL, { keyPrefix });
    service = new AnomalyDetectionService(redis, {
      alertsTopic: 'alerts-test',
      stateTtlMs: 60_000,
      rules: parseAlertRules(
        JSON.stringify({
          defaults: { zscore: null },
          rules: [
            { match: { metric: 'temperature' }, detectors: { threshold: { max: 30 } } },
            {
              match: { tag: { key: 'kind', value: 'stuck-prone' } },
              detectors: { flatline: { durationMs: 3_000 } },
            },
          ],
        }),
      ),
    });
  });

  afterAll(async () => {
    const cleaner = new Redis(REDIS_URL);
    const keys = await cleaner.keys(`${keyPrefix}*`);
    if (keys.length > 0) await cleaner.unlink(...keys);
    await cleaner.quit();
    await redis.quit();
  });

  const batch = (
    device: string,
    readings: Array<[string, number, number]>,
    tags: Record<string, string> = {},
  ): CleanReadingBatch => ({
    tenant: 'acme',
    device,
    deviceTags: tags,
    rawPartition: 0,
    rawOffset: '0',
    readings: readings.map(([metric, offset, value]) => ({ metric, time: T0 + offset, value })),
  });

  const alertsOf = (inspection: Awaited<ReturnType<AnomalyDetectionService['inspect']>>) =>
    inspection.alerts.map((record) => decodeRecord(AlertEventSchema, record.value));

  it('publishes a firing alert with evidence, flags the reading, and resolves across batches via Redis state', async () => {
    const device = uniqueName('boiler');
    const first = [
      batch(device, [
        ['temperature', 0, 20],
        ['temperature', 1_000, 35],
        ['power', 1_000, 999],
      ]),
    ];
    const inspection = await service.inspect(first, () => T0);
    const alerts = alertsOf(inspection);
    expect(alerts).toEqual([
      expect.objectContaining({
        id: `acme/${device}/temperature/threshold/firing/${T0 + 1_000}`,
        device,
        metric: 'temperature',
        kind: 'threshold',
        state: 'firing',
        evidence: expect.objectContaining({ value: 35, max: 30 }),
      }),
    ]);
    expect(first[0].readings.map((reading) => reading.anomaly ?? false)).toEqual([
      false,
      true,
      false,
    ]);
    await inspection.commit();

    // the next batch continues from the state in Redis: still high = nothing new, back low = resolved
    const next = await service.inspect(
      [
        batch(device, [
          ['temperature', 2_000, 36],
          ['temperature', 3_000, 25],
        ]),
      ],
      () => T0,
    );
    expect(alertsOf(next).map((alert) => `${alert.kind}:${alert.state}`)).toEqual([
      'threshold:resolved',
    ]);
    await next.commit();
  });

  it('produces the same alert ids when a batch is replayed before its state was saved, and nothing after', async () => {
    const device = uniqueName('replay');
    const readings: Array<[string, number, number]> = [['temperature', 0, 50]];
    const crashed = await service.inspect([batch(device, readings)], () => T0);
    // crash before commit(): the replay recomputes the same transition with the same id
    const replay = await service.inspect([batch(device, readings)], () => T0);
    expect(alertsOf(replay).map((a) => a.id)).toEqual(alertsOf(crashed).map((a) => a.id));
    await replay.commit();
    // crash after commit(): the replayed reading is not newer than the state, so no second alert
    const again = await service.inspect([batch(device, readings)], () => T0);
    expect(again.alerts).toEqual([]);
  });

  describe('state kept in memory per raw partition', () => {
    const range = (firstOffset: number, nextOffset: number) => ({
      topic: 'raw',
      partition: 4,
      firstOffset: String(firstOffset),
      nextOffset: String(nextOffset),
    });
    const transitions = (inspection: Awaited<ReturnType<AnomalyDetectionService['inspect']>>) =>
      alertsOf(inspection).map((alert) => `${alert.kind}:${alert.state}`);

    it('continues the next batch of the partition from memory, without reading Redis', async () => {
      const device = uniqueName('memory');
      const first = await service.inspect(
        [batch(device, [['temperature', 0, 35]])],
        () => T0,
        range(0, 1),
      );
      expect(transitions(first)).toEqual(['threshold:firing']);
      await first.commit();
      // the durable copy is gone; only the process's memory still knows the detector is firing
      await redis.del(`anomaly:acme/${device}/temperature`);
      const next = await service.inspect(
        [batch(device, [['temperature', 1_000, 25]])],
        () => T0,
        range(1, 2),
      );
      expect(transitions(next)).toEqual(['threshold:resolved']);
    });

    it('reads Redis when the batch does not continue where the last one ended', async () => {
      const device = uniqueName('moved');
      const first = await service.inspect(
        [batch(device, [['temperature', 0, 35]])],
        () => T0,
        range(0, 1),
      );
      await first.commit();
      // another member had the partition meanwhile: it resolved the detector, saved in Redis
      const elsewhere = new AnomalyDetectionService(redis, {
        alertsTopic: 'alerts-test',
        stateTtlMs: 60_000,
        rules: parseAlertRules(
          JSON.stringify({
            defaults: { zscore: null },
            rules: [{ match: { metric: 'temperature' }, detectors: { threshold: { max: 30 } } }],
          }),
        ),
      });
      const moved = await elsewhere.inspect(
        [batch(device, [['temperature', 1_000, 25]])],
        () => T0,
        range(1, 2),
      );
      expect(transitions(moved)).toEqual(['threshold:resolved']);
      await moved.commit();

      // the partition came back at offset 2: a stale memory would still think it is firing
      const back = await service.inspect(
        [batch(device, [['temperature', 2_000, 36]])],
        () => T0,
        range(2, 3),
      );
      expect(transitions(back)).toEqual(['threshold:firing']);
      await back.commit();
      // a redelivery of a batch already saved (its offsets were not committed) reads Redis too
      const redelivered = await service.inspect(
        [batch(device, [['temperature', 2_000, 36]])],
        () => T0,
        range(2, 3),
      );
      expect(redelivered.alerts).toEqual([]);
    });
  });

  it('applies rules by device tag (flatline only on tagged devices)', async () => {
    const stuck: Array<[string, number, number]> = [0, 1_000, 2_000, 3_000, 4_000].map((t) => [
      'level',
      t,
      7,
    ]);
    const tagged = await service.inspect(
      [batch(uniqueName('tagged'), stuck, { kind: 'stuck-prone' })],
      () => T0,
    );
    expect(alertsOf(tagged).map((a) => `${a.kind}:${a.state}`)).toEqual(['flatline:firing']);
    const untagged = await service.inspect([batch(uniqueName('plain'), stuck)], () => T0);
    expect(untagged.alerts).toEqual([]);
  });

  it('saves the state of every series of a large batch, with the state TTL', async () => {
    const fleet = uniqueName('fleet');
    const devices = Array.from({ length: 2_500 }, (_, i) => `${fleet}-${i}`);
    const firing = await service.inspect(
      devices.map((device) => batch(device, [['temperature', 0, 35]])),
      () => T0,
    );
    expect(firing.alerts).toHaveLength(devices.length);
    await firing.commit();

    const keys = devices.map((device) => `anomaly:acme/${device}/temperature`);
    const ttls = await Promise.all(keys.map((key) => redis.pttl(key)));
    expect(ttls.every((ttl) => ttl > 0 && ttl <= 60_000)).toBe(true);
    // without a range every state is read back from Redis: each detector is still firing
    const resolving = await service.inspect(
      devices.map((device) => batch(device, [['temperature', 1_000, 20]])),
      () => T0,
    );
    expect(new Set(alertsOf(resolving).map((alert) => `${alert.kind}:${alert.state}`))).toEqual(
      new Set(['threshold:resolved']),
    );
    expect(resolving.alerts).toHaveLength(devices.length);
  });
});
