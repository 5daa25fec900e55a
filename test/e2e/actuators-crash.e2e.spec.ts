import type { Client } from '@grpc/grpc-js';
import {
  ActuatorCommandSchema,
  buildHeaders,
  decodeRecord,
  encodeRecord,
  Topics,
  type ActuatorCommand,
  type CleanReadingBatch,
} from '@sluice/contracts';
import { callUnary, createGrpcClient } from '@sluice/grpc';
import { BatchConsumer, createKafka, KafkaProducer } from '@sluice/kafka';
import { uniqueName, waitFor } from '@sluice/testing';
import { E2eEnvironment } from '../support/e2e-environment';

// Starts, SIGKILLs and restarts the controller process: minutes, not the default 5 s.
jest.setTimeout(300_000);

const TENANT = 'demo';

/**
 * Acceptance 4, first part: SIGKILL the actuator-controller while a `for` duration is pending; the
 * restarted process continues from the state in Redis and issues the command exactly once.
 */
describe('actuator-controller crash while a `for` condition is pending', () => {
  const env = new E2eEnvironment();
  let client: Client;
  let producer: KafkaProducer;
  let observer: BatchConsumer;
  const published: ActuatorCommand[] = [];

  beforeAll(async () => {
    await env.start({
      services: ['actuator-controller'],
      serviceEnv: { 'actuator-controller': { SEED_DEMO_DEVICES: '0', PROGRAM_TICK_MS: '200' } },
    });
    const kafka = createKafka({
      brokers: env.pipeline.kafkaBrokers.split(','),
      clientId: 'crash-test',
    });
    producer = new KafkaProducer(kafka);
    await producer.connect();
    observer = new BatchConsumer(kafka, {
      groupId: uniqueName('observer'),
      topics: [Topics.actuatorCommands],
      handler: async (batch) => {
        for (const message of batch.messages)
          published.push(decodeRecord(ActuatorCommandSchema, message.value));
      },
    });
    await observer.start();
    client = createGrpcClient({
      protoFile: 'sluice/actuators.proto',
      service: 'sluice.actuators.v1.ActuatorService',
      address: env.pipeline.service('actuator-controller').grpcAddress ?? '',
    });
  });

  afterAll(async () => {
    client?.close();
    await observer?.stop();
    await producer?.disconnect();
    await env.stop();
  });

  const commandRows = async () =>
    (
      await env.pool.query<{ id: string; idempotency_key: string; status: string }>(
        `SELECT id, idempotency_key, status FROM commands WHERE tenant = $1 AND actuator = 'crash-fan'`,
        [TENANT],
      )
    ).rows;
  const state = async () => {
    const raw = await env.redis.get(`ac:state:${TENANT}/crash-fan`);
    return raw
      ? (JSON.parse(raw) as {
          time: number;
          holds: Record<string, number>;
          program: { lineage?: string };
        })
      : null;
  };

  it('neither loses nor repeats the command', async () => {
    await callUnary(client, 'CreateProgram', {
      tenant: TENANT,
      actor: 'test',
      definitionJson: JSON.stringify({
        id: 'crash-fan',
        version: 1,
        name: 'Fan after 3 s above 28',
        enabled: true,
        devices: ['crash-room'],
        actuators: ['crash-fan'],
        tree: {
          condition: { metric: 'temperature', op: '>', value: 28, for: '3s' },
          then: { action: 'set_state', state: 'on' },
        },
      }),
    });
    const readingAt = Date.now();
    const batch: CleanReadingBatch = {
      tenant: TENANT,
      device: 'crash-room',
      deviceTags: {},
      rawPartition: 0,
      rawOffset: '1',
      readings: [{ metric: 'temperature', time: readingAt, value: 30 }],
    };
    await producer.send(Topics.telemetryClean, [
      {
        key: `${TENANT}/crash-room`,
        value: encodeRecord(batch),
        headers: buildHeaders({ ingestTs: readingAt }),
      },
    ]);
    await waitFor(async () => Object.keys((await state())?.holds ?? {}).length > 0, {
      message: 'pending duration stored',
      timeoutMs: 30_000,
      intervalMs: 20,
    });

    const controller = env.pipeline.service('actuator-controller').process;
    controller.kill('SIGKILL');
    const exit = await controller.waitForExit();
    const killedAfterMs = Date.now() - readingAt;
    expect(exit.signal).toBe('SIGKILL');
    // killed while the 3 s were still pending, before any command
    expect(killedAfterMs).toBeLessThan(3000);
    expect(await commandRows()).toEqual([]);

    await env.pipeline.restart('actuator-controller');
    await waitFor(async () => (await commandRows()).length > 0, {
      message: 'command after restart',
      timeoutMs: 60_000,
    });
    const issuedAt = Date.now();
    // let the restarted controller tick on for a while: nothing more may come
    await waitFor(async () => ((await state())?.time ?? 0) > issuedAt + 2000, {
      message: 'ticks continue after the command',
      timeoutMs: 30_000,
    });
    const rows = await commandRows();
    expect(rows).toHaveLength(1);
    // the lineage stored before the crash: the restarted controller continued that state
    const lineage = (await state())?.program.lineage;
    expect(lineage).toMatch(/^[\w-]{8}$/);
    expect(rows[0].idempotency_key).toBe(`crash-fan:v1:${lineage}:crash-fan:1`);
    await waitFor(() => published.some((command) => command.id === rows[0].id), {
      message: 'command published',
    });
    expect(new Set(published.filter((c) => c.actuator === 'crash-fan').map((c) => c.id))).toEqual(
      new Set([rows[0].id]),
    );
  });
});
