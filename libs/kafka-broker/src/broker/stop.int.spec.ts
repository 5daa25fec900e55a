import { rm } from 'node:fs/promises';
import { connect } from 'node:net';

import { Consumer, Producer } from 'kafkajs';
import pino from 'pino';

import { startTestBroker, TestBroker, uniqueName, waitFor } from '../testing/test-broker';
import { startBroker } from './embedded-broker';

jest.setTimeout(60_000);

/**
 * Regression: stop() used to end() sockets that drain() had paused, so their FIN was never read,
 * they never closed and the listener's close callback never came while clients stayed connected.
 */
describe('embedded broker: stop with connected kafkajs clients', () => {
  let tb: TestBroker;
  let producer: Producer;
  let consumer: Consumer;

  afterAll(async () => {
    // The clients keep retrying a lost broker: bring one back on the same port so they can
    // disconnect cleanly and leave no reconnect timers behind.
    const again = await startBroker({
      dataDir: tb.dataDir,
      port: tb.broker.port,
      logger: pino({ level: 'silent' }),
    });
    await Promise.all([producer.disconnect(), consumer.disconnect()]);
    await again.stop();
    await rm(tb.dataDir, { recursive: true, force: true });
  });

  it('resolves while a producer and a group consumer are connected', async () => {
    tb = await startTestBroker({ shutdownTimeoutMs: 2_000 });
    const topic = uniqueName('stop-topic');
    producer = tb.kafka('stop-producer').producer();
    consumer = tb.kafka('stop-consumer').consumer({
      groupId: uniqueName('stop-group'),
      maxWaitTimeInMs: 5_000,
    });
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'before stop' }] });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let received = 0;
    await consumer.run({ eachMessage: async () => void received++ });
    await waitFor(() => received === 1, 'the consumer to read the message');

    let stopped = false;
    await tb.broker.stop().then(() => (stopped = true));
    expect(stopped).toBe(true);
  });

  it('destroys a socket whose client never closes its side after shutdownTimeoutMs', async () => {
    const half = await startTestBroker({ shutdownTimeoutMs: 300 });
    // allowHalfOpen: this client reads our FIN and never ends its side.
    const socket = connect({ host: half.broker.host, port: half.broker.port, allowHalfOpen: true });
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    let stopped = false;
    await half.destroy().then(() => (stopped = true));
    socket.destroy();
    expect(stopped).toBe(true);
  });
});
