import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  DlqRecordSchema,
  RawReadingBatchSchema,
  Topics,
  decodeRecord,
  type DlqRecord,
} from '@sluice/contracts';
import { BatchConsumer, type ConsumedMessage } from '@sluice/kafka';
import { uniqueName, waitFor } from '@sluice/testing';
import { hashApiKey } from '../auth/api-key';
import { startTestGateway, type TestGateway } from '../testing/test-gateway';
import { MqttBridgeService } from './mqtt-bridge.service';

jest.setTimeout(60_000);

const run = promisify(execFile);
const MQTT_PORT = process.env['MQTT_PORT'] ?? '1883';

/**
 * Needs Mosquitto on 127.0.0.1:1883 and mosquitto_pub (Debian mosquitto-clients). Every run uses
 * its own topic prefix and client id, so runs in parallel do not see each other's messages.
 */
describe('MQTT bridge (Mosquitto → telemetry.raw.v1)', () => {
  let gw: TestGateway;
  let consumer: BatchConsumer;
  const prefix = uniqueName('mqtt');
  const raw: ConsumedMessage[] = [];
  const dlq: ConsumedMessage[] = [];
  const keys = { writer: '', reader: '', other: '', revoked: '', scoped: '' };

  beforeAll(async () => {
    gw = await startTestGateway({
      env: {
        MQTT_URL: `mqtt://127.0.0.1:${MQTT_PORT}`,
        MQTT_TOPIC_PREFIX: prefix,
        MQTT_CLIENT_ID: `${prefix}-bridge`,
        MQTT_RETRY_DELAY_MS: '100',
        AUTH_CACHE_TTL_MS: '0',
      },
      topics: [
        { topic: Topics.telemetryRaw, partitions: 3 },
        { topic: Topics.telemetryDlq, partitions: 1 },
      ],
    });
    keys.writer = await gw.createKey('acme', ['write']);
    keys.reader = await gw.createKey('acme', ['read']);
    keys.other = await gw.createKey('globex', ['write']);
    keys.revoked = await gw.createKey('acme', ['write']);
    await gw.pool.query('UPDATE api_keys SET revoked_at = now() WHERE key_hash = $1', [
      hashApiKey(keys.revoked),
    ]);
    keys.scoped = await gw.createKey('acme', ['write'], ['mqtt-allowed']);
    consumer = new BatchConsumer(gw.kafka, {
      groupId: 'mqtt-observer',
      topics: [Topics.telemetryRaw, Topics.telemetryDlq],
      fromBeginning: true,
      handler: async (batch) => {
        (batch.topic === Topics.telemetryDlq ? dlq : raw).push(...batch.messages);
      },
    });
    await consumer.start();
    await gw.app.get(MqttBridgeService).whenSubscribed;
  }, 60_000);

  afterAll(async () => {
    await consumer?.stop();
    await gw?.stop();
  }, 30_000);

  async function publish(tenant: string, device: string, payload: unknown): Promise<void> {
    await run('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      MQTT_PORT,
      '-q',
      '1',
      '-t',
      `${prefix}/${tenant}/${device}/telemetry`,
      '-m',
      typeof payload === 'string' ? payload : JSON.stringify(payload),
    ]);
  }

  function rawOf(tenant: string, device: string) {
    return raw
      .filter((message) => message.key === `${tenant}/${device}`)
      .map((message) => decodeRecord(RawReadingBatchSchema, message.value));
  }

  function dlqOf(tenant: string, device: string): DlqRecord[] {
    return dlq
      .filter((message) => message.key === `${tenant}/${device}`)
      .map((message) => decodeRecord(DlqRecordSchema, message.value));
  }

  // readings must lie within INGEST_MAX_PAST_MS (30 days) of now
  const T0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;

  it('publishes readings sent with mosquitto_pub -q 1 to telemetry.raw.v1', async () => {
    await publish('acme', 'mqtt-1', {
      key: keys.writer,
      readings: [
        { metric: 'temperature', time: new Date(T0).toISOString(), value: 21.5, unit: 'C' },
        { metric: 'humidity', time: T0 + 1000, value: 40, tags: { room: 'a' } },
      ],
    });
    await publish('acme', 'mqtt-1', {
      key: keys.writer,
      metric: 'power',
      time: T0 + 2000,
      value: 0.5,
    });
    await waitFor(async () => rawOf('acme', 'mqtt-1').length === 2, {
      message: 'MQTT readings in Kafka',
    });
    const [first, second] = rawOf('acme', 'mqtt-1');
    expect(first).toMatchObject({ tenant: 'acme', device: 'mqtt-1', source: 'mqtt' });
    expect(first.readings).toEqual([
      { metric: 'temperature', time: T0, value: 21.5, unit: 'C' },
      { metric: 'humidity', time: T0 + 1000, value: 40, tags: { room: 'a' } },
    ]);
    expect(second.readings).toEqual([{ metric: 'power', time: T0 + 2000, value: 0.5 }]);
  });

  it('dead-letters invalid payloads with a reason, acks them and keeps going', async () => {
    await publish('acme', 'bad-1', 'not json');
    await publish('acme', 'bad-1', {
      key: keys.writer,
      readings: [{ metric: 'temperature', time: 'yesterday', value: 1 }],
    });
    await publish('acme', 'bad-1', {
      key: keys.writer,
      readings: [{ metric: 'temperature', time: T0, value: 7 }],
    });
    await waitFor(async () => dlqOf('acme', 'bad-1').length === 2, {
      message: 'two DLQ records',
    });
    const [unparseable, invalid] = dlqOf('acme', 'bad-1');
    expect(unparseable).toMatchObject({
      reason: 'unparseable',
      stage: 'ingest-gateway.mqtt-bridge',
      sourceTopic: `mqtt:${prefix}/acme/bad-1/telemetry`,
    });
    expect(invalid.reason).toBe('invalid_schema');
    expect(invalid.detail).toMatch(/readings\[0\]\.time/);
    // the key never reaches the DLQ
    expect(invalid.originalValue).not.toContain(keys.writer);
    expect(JSON.parse(invalid.originalValue)).toMatchObject({ key: '[redacted]' });
    // the bridge goes on with the next message
    await waitFor(async () => rawOf('acme', 'bad-1').length === 1, {
      message: 'valid message after bad ones',
    });
  });

  describe('security', () => {
    const reading = { metric: 'temperature', time: T0, value: 1 };

    it.each([
      ['no key', 'acme', 'sec-none', () => undefined],
      ['an unknown key', 'acme', 'sec-unknown', () => 'sk_unknown-00000000000000000000'],
      ['a revoked key', 'acme', 'sec-revoked', () => keys.revoked],
      ['a read-only key', 'acme', 'sec-reader', () => keys.reader],
      ['another tenant’s key', 'acme', 'sec-other', () => keys.other],
      ['a key scoped to another device', 'acme', 'mqtt-forbidden', () => keys.scoped],
    ])(
      'refuses a message with %s (DLQ unauthorized, nothing in raw)',
      async (_name, tenant, device, key) => {
        await publish(tenant, device, { key: key(), readings: [reading] });
        await waitFor(async () => dlqOf(tenant, device).length === 1, {
          message: `DLQ record for ${device}`,
        });
        const [record] = dlqOf(tenant, device);
        expect(record.reason).toBe('unauthorized');
        expect(record.originalValue).not.toContain(keys.revoked);
        expect(record.originalValue).not.toContain(keys.other);
        expect(rawOf(tenant, device)).toEqual([]);
        expect(rawOf('globex', device)).toEqual([]);
      },
    );

    it('lets a device-scoped key write its own device only, whatever the payload names', async () => {
      await publish('acme', 'mqtt-allowed', {
        key: keys.scoped,
        readings: [{ ...reading, device: 'mqtt-elsewhere' }],
      });
      await waitFor(async () => rawOf('acme', 'mqtt-allowed').length === 1, {
        message: 'scoped device reading',
      });
      expect(rawOf('acme', 'mqtt-elsewhere')).toEqual([]);
    });
  });
});

describe('MQTT bridge acknowledgements', () => {
  it('does not ack a message Kafka has not taken: another bridge on the same session gets it', async () => {
    const prefix = uniqueName('mqtt-ack');
    const env = {
      MQTT_URL: `mqtt://127.0.0.1:${MQTT_PORT}`,
      MQTT_TOPIC_PREFIX: prefix,
      MQTT_CLIENT_ID: `${prefix}-bridge`,
      MQTT_RETRY_DELAY_MS: '100',
      INGEST_PUBLISH_TIMEOUT_MS: '500',
    };
    const topics = [{ topic: Topics.telemetryRaw, partitions: 1 }];
    const first = await startTestGateway({ env, topics });
    let second: TestGateway | undefined;
    let consumer: BatchConsumer | undefined;
    try {
      const key = await first.createKey('acme', ['write']);
      await first.app.get(MqttBridgeService).whenSubscribed;
      // Kafka goes away: the bridge must hold the message instead of acking it
      await first.broker?.stop();
      const time = Date.now() - 1000;
      await run('mosquitto_pub', [
        ...['-h', '127.0.0.1', '-p', MQTT_PORT, '-q', '1'],
        ...['-t', `${prefix}/acme/held-1/telemetry`],
        ...['-m', JSON.stringify({ key, metric: 'temperature', time, value: 42 })],
      ]);
      await waitFor(async () => first.app.get(MqttBridgeService).retriesSoFar() > 0, {
        message: 'bridge retrying the held message',
      });
      // the bridge stops (as on shutdown) while still holding the message
      await first.app.get(MqttBridgeService).beforeApplicationShutdown();

      // same persistent session (client id) and registry, a working Kafka: the message comes back
      const { rows } = await first.pool.query<{ schema: string }>(
        'SELECT current_schema() AS schema',
      );
      second = await startTestGateway({ env: { ...env, DATABASE_SCHEMA: rows[0].schema }, topics });
      const raw: ConsumedMessage[] = [];
      consumer = new BatchConsumer(second.kafka, {
        groupId: 'held-observer',
        topics: [Topics.telemetryRaw],
        fromBeginning: true,
        handler: async (batch) => {
          raw.push(...batch.messages);
        },
      });
      await consumer.start();
      await waitFor(async () => raw.some((message) => message.key === 'acme/held-1'), {
        message: 'held message delivered after the restart',
        timeoutMs: 30_000,
      });
      const batch = decodeRecord(RawReadingBatchSchema, raw[0].value);
      expect(batch.readings).toEqual([{ metric: 'temperature', time, value: 42 }]);
    } finally {
      await consumer?.stop();
      await second?.stop();
      await first.stop().catch(() => undefined);
    }
  });
});
