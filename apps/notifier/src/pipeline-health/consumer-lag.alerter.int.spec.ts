import { loadConfig } from '@sluice/config';
import { BatchConsumer, createKafka, ensureTopics, KafkaProducer, type Kafka } from '@sluice/kafka';
import { startTestBroker, uniqueName, waitFor, type TestBroker } from '@sluice/testing';
import { notifierEnvSchema } from '../notifier.config';
import { ConsumerLagAlerter, groupLag } from './consumer-lag.alerter';

jest.setTimeout(60_000);

describe('consumer lag alerts (embedded broker)', () => {
  const topic = uniqueName('lagging');
  const alerts = uniqueName('alerts');
  const groupId = uniqueName('slow-group');
  let broker: TestBroker;
  let kafka: Kafka;
  let producer: KafkaProducer;

  beforeAll(async () => {
    broker = await startTestBroker({ fsync: { mode: 'interval', intervalMs: 100 } });
    kafka = createKafka({ brokers: broker.brokers, clientId: 'lag-test' });
    await ensureTopics(kafka, [
      { topic, partitions: 2 },
      { topic: alerts, partitions: 1 },
    ]);
    producer = new KafkaProducer(kafka);
    await producer.connect();
    await producer.send(
      topic,
      Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: String(i) })),
    );
  });

  afterAll(async () => {
    await producer?.disconnect();
    await broker?.stop();
  });

  it('fires once when a group is behind the threshold and resolves when it caught up', async () => {
    // a consumer whose handler is stuck: nothing is committed, the whole topic is lag
    let release: () => void = () => undefined;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    let started = false;
    const slow = new BatchConsumer(kafka, {
      groupId,
      topics: [topic],
      fromBeginning: true,
      handler: async () => {
        started = true;
        await stuck;
      },
    });
    await slow.start();
    await waitFor(() => started || undefined, { message: 'the slow consumer got a batch' });
    const admin = kafka.admin();
    await admin.connect();
    expect(await groupLag(admin, groupId, [topic])).toBe(30);

    const config = loadConfig(notifierEnvSchema, {
      KAFKA_BROKERS: broker.brokers.join(','),
      SYSTEM_ALERTS_TENANT: 'ops',
      LAG_ALERT_THRESHOLD: '10',
      LAG_ALERT_GROUPS: `${groupId}:${topic}`,
      TOPIC_ALERTS: alerts,
    });
    const alerter = new ConsumerLagAlerter(kafka, producer, config);
    const fired = await alerter.check(1_000);
    expect(fired).toEqual([
      expect.objectContaining({
        tenant: 'ops',
        device: null,
        metric: groupId,
        kind: 'consumer_lag',
        state: 'firing',
        evidence: { groupId, lag: 30, threshold: 10 },
      }),
    ]);
    expect(await alerter.check(2_000)).toEqual([]); // still behind: nothing new

    release();
    await waitFor(async () => (await groupLag(admin, groupId, [topic])) === 0 || undefined, {
      message: 'the group caught up',
    });
    await slow.stop();
    expect((await alerter.check(3_000)).map((event) => event.state)).toEqual(['resolved']);
    await admin.disconnect();
    await alerter.beforeApplicationShutdown();
  });
});
