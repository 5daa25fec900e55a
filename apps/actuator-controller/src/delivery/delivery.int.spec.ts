import type { ClientReadableStream } from '@grpc/grpc-js';
import type { ActuatorCommand } from '@sluice/contracts';
import { uniqueName, waitFor } from '@sluice/testing';
import { connectAsync, type MqttClient } from 'mqtt';
import { ControllerHarness } from '../testing/controller-harness';
import { commandTopic } from './mqtt.bridge';

jest.setTimeout(120_000);

const MQTT_URL = process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';

describe('actuator-controller: delivery over gRPC WatchCommands/Ack and MQTT', () => {
  const harness = new ControllerHarness();
  // a tenant of its own: the MQTT broker is shared with other runs
  const tenant = uniqueName('edge').replace(/[^a-z0-9-]/g, '-');
  let mqtt: MqttClient;

  beforeAll(async () => {
    await harness.start({ MQTT_URL });
    mqtt = await connectAsync(MQTT_URL, { clientId: uniqueName('edge-agent') });
  });

  afterAll(async () => {
    await mqtt?.endAsync();
    await harness.stop();
  });

  const status = async (id: string) =>
    (await harness.commandRows(tenant)).find((row) => row.id === id)?.status;

  function send(actuator: string, state: string) {
    return harness.call<{ id: string }>('SendCommand', {
      tenant,
      actuator,
      action: 'set_state',
      paramsJson: JSON.stringify({ state }),
      issuedBy: 'key:test',
      reason: 'delivery test',
      holdMs: 0,
      idempotencyKey: '',
    });
  }

  it('streams commands to a gRPC watcher and takes its Ack', async () => {
    const received: ActuatorCommand[] = [];
    const stream = (
      harness.client as unknown as {
        WatchCommands(request: object): ClientReadableStream<{ commandJson: string }>;
      }
    ).WatchCommands({ tenant, actuator: 'edge-valve' });
    stream.on('data', (message) =>
      received.push(JSON.parse(message.commandJson) as ActuatorCommand),
    );
    stream.on('error', () => undefined);
    try {
      // the watch is registered once the stream is open; retry the send until it arrives
      let id = '';
      await waitFor(
        async () => {
          if (received.length > 0) return true;
          id = (await send('edge-valve', 'open')).id;
          return false;
        },
        { message: 'command streamed', timeoutMs: 30_000, intervalMs: 500 },
      );
      const command = received[0];
      expect(command).toMatchObject({ tenant, actuator: 'edge-valve', params: { state: 'open' } });
      expect(id).not.toBe('');
      const reply = await harness.call<{ status: string }>('Ack', {
        tenant,
        actuator: 'edge-valve',
        commandId: command.id,
        kind: 'ack',
        stateJson: '{"state":"open"}',
      });
      expect(reply.status).toBe('acknowledged');
      expect(await status(command.id)).toBe('acknowledged');
    } finally {
      stream.cancel();
    }
  });

  it('publishes commands on sluice/{tenant}/{actuator}/commands and takes acks from .../acks', async () => {
    const received: ActuatorCommand[] = [];
    mqtt.on('message', (_topic, payload) =>
      received.push(JSON.parse(payload.toString()) as ActuatorCommand),
    );
    await mqtt.subscribeAsync(commandTopic(tenant, 'mqtt-lamp'), { qos: 1 });
    const { id } = await send('mqtt-lamp', 'on');
    await waitFor(() => received.some((command) => command.id === id), {
      message: 'command over MQTT',
      timeoutMs: 30_000,
    });
    await mqtt.publishAsync(
      `sluice/${tenant}/mqtt-lamp/acks`,
      JSON.stringify({ commandId: id, kind: 'ack', state: { state: 'on' } }),
      { qos: 1 },
    );
    await waitFor(async () => (await status(id)) === 'acknowledged', {
      message: 'MQTT ack recorded',
      timeoutMs: 30_000,
    });
    const { rows } = await harness.pool.query<{ detail: { via: string } }>(
      `SELECT detail FROM command_events WHERE command_id = $1 AND kind = 'acknowledged'`,
      [id],
    );
    expect(rows[0].detail.via).toBe('mqtt');
  });
});
