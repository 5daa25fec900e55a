import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Topics } from '@sluice/contracts';
import { KafkaProducer, createKafka } from '@sluice/kafka';
import { bootstrapService } from '@sluice/service-runtime';
import { startTestBroker, waitFor, type TestBroker } from '@sluice/testing';
import { NotifierModule } from '../notifier.module';

describe('notifier (thin)', () => {
  let broker: TestBroker;
  let app: NestFastifyApplication;
  let producer: KafkaProducer;

  beforeAll(async () => {
    broker = await startTestBroker();
    const env = { KAFKA_BROKERS: broker.brokers.join(',') };
    app = await bootstrapService(NotifierModule.forRoot(env), {
      name: 'notifier',
      port: 0,
      host: '127.0.0.1',
      logLevel: 'warn',
    });
    producer = new KafkaProducer(createKafka({ brokers: broker.brokers, clientId: 'test' }));
    await producer.connect();
  }, 60_000);

  afterAll(async () => {
    await producer?.disconnect();
    await app?.close();
    await broker?.stop();
  }, 30_000);

  it('consumes alerts.v1 and counts the records in /metrics, and reports healthy', async () => {
    const records = Array.from({ length: 5 }, (_, i) => ({ key: `t/d${i}`, value: '{}' }));
    await producer.send(Topics.alerts, records);
    const url = await app.getUrl();
    await waitFor(
      async () => {
        const text = await (await fetch(`${url}/metrics`)).text();
        return /^sluice_notifier_alerts_consumed_total\{[^}]*\} 5$/m.test(text);
      },
      { message: '5 records counted', timeoutMs: 30_000 },
    );
    const health = await fetch(`${url}/health/ready`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      status: 'ok',
      checks: { kafka: { status: 'ok' } },
    });
  });
});
