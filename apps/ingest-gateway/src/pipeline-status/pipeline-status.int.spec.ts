import { Topics } from '@sluice/contracts';
import { createKafka, ensureTopics, type Kafka } from '@sluice/kafka';
import { startTestBroker, uniqueName, waitFor, type TestBroker } from '@sluice/testing';
import { PipelineStatusService } from './pipeline-status.service';

jest.setTimeout(90_000);

describe('pipeline status', () => {
  let broker: TestBroker;
  let kafka: Kafka;
  let service: PipelineStatusService;
  const groupId = uniqueName('status-group');

  beforeAll(async () => {
    broker = await startTestBroker();
    kafka = createKafka({ brokers: broker.brokers, clientId: 'pipeline-status-test' });
    await ensureTopics(kafka, [
      { topic: Topics.telemetryRaw, partitions: 2 },
      { topic: Topics.telemetryDlq, partitions: 1 },
    ]);
    service = new PipelineStatusService(kafka, [{ service: 'test-consumer', groupId }]);
  });

  afterAll(async () => {
    await service?.onModuleDestroy();
    await broker?.stop();
  });

  async function produce(topic: string, count: number): Promise<void> {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    });
    await producer.disconnect();
  }

  it('reports records per topic, DLQ size, and a consumer group lag behind new records', async () => {
    await produce(Topics.telemetryRaw, 10);
    await produce(Topics.telemetryDlq, 3);
    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic: Topics.telemetryRaw, fromBeginning: true });
    let seen = 0;
    await consumer.run({
      autoCommitThreshold: 1,
      eachMessage: async () => {
        seen += 1;
      },
    });
    await waitFor(() => seen === 10, { timeoutMs: 30_000 });
    await consumer.stop();
    await consumer.disconnect();

    const first = await service.status();
    expect(first.dlq.records).toBe(3);
    expect(first.topics.find((topic) => topic.topic === Topics.telemetryRaw)).toMatchObject({
      partitions: 2,
      records: 10,
      recordsPerSecond: null,
    });
    expect(first.consumerGroups.find((group) => group.groupId === groupId)?.totalLag).toBe(0);

    await produce(Topics.telemetryRaw, 5);
    const second = await service.status();
    const group = second.consumerGroups.find((entry) => entry.groupId === groupId);
    expect(group?.totalLag).toBe(5);
    expect(group?.service).toBe('test-consumer');
    expect(group?.topics.map((topic) => topic.topic)).toEqual([Topics.telemetryRaw]);
    expect(second.ingest.rawRecordsPerSecond).toBeGreaterThan(0);
    expect(second.rateWindowSeconds).toBeGreaterThan(0);
  });
});
