import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ActuatorEventSchema } from '@sluice/contracts';
import { createCounter } from '@sluice/metrics';
import { connectAsync, type MqttClient } from 'mqtt';
import {
  ACTUATOR_CONTROLLER_CONFIG,
  type ActuatorControllerConfig,
} from '../actuator-controller.config';
import { CommandSinks } from '../commands/command-sinks';
import { CommandsService } from '../commands/commands.service';

const mqttAcks = createCounter({
  name: 'sluice_actuator_controller_mqtt_acks_total',
  help: 'Messages received on sluice/+/+/acks, by outcome',
  labelNames: ['outcome'] as const,
});

/** `sluice/{tenant}/{actuator}/commands` for agents on MQTT. */
export function commandTopic(tenant: string, actuator: string): string {
  return `sluice/${tenant}/${actuator}/commands`;
}

/**
 * MQTT delivery (when MQTT_URL is set): every published command also goes to
 * `sluice/{tenant}/{actuator}/commands` (QoS 1, the ActuatorCommand JSON); agents answer on
 * `sluice/{tenant}/{actuator}/acks` with `{"commandId","kind":"ack"|"nack","state":{…}}`.
 */
@Injectable()
export class MqttBridge implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MqttBridge.name);
  private client: MqttClient | undefined;

  constructor(
    private readonly sinks: CommandSinks,
    private readonly commands: CommandsService,
    @Inject(ACTUATOR_CONTROLLER_CONFIG) private readonly config: ActuatorControllerConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.MQTT_URL) return;
    const client = await connectAsync(this.config.MQTT_URL, {
      clientId: `sluice-actuator-controller-${process.pid}`,
      reconnectPeriod: 1000,
    });
    this.client = client;
    client.on('error', (error) => this.logger.warn({ err: error, msg: 'MQTT error' }));
    client.on('message', (topic, payload) => void this.onAck(topic, payload));
    await client.subscribeAsync('sluice/+/+/acks', { qos: 1 });
    this.sinks.register('mqtt', async (command) => {
      await client.publishAsync(
        commandTopic(command.tenant, command.actuator),
        JSON.stringify(command),
        { qos: 1 },
      );
    });
    this.logger.log({ msg: 'MQTT delivery on', url: this.config.MQTT_URL });
  }

  async onApplicationShutdown(): Promise<void> {
    this.sinks.unregister('mqtt');
    await this.client?.endAsync();
  }

  private async onAck(topic: string, payload: Buffer): Promise<void> {
    const [, tenant, actuator] = topic.split('/');
    try {
      const body = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
      const event = ActuatorEventSchema.parse({
        tenant,
        actuator,
        kind: body.kind ?? 'ack',
        commandId: body.commandId ?? null,
        state: body.state ?? {},
        at: typeof body.at === 'number' ? body.at : Date.now(),
      });
      mqttAcks.inc({ outcome: await this.commands.handleEvent(event, 'mqtt') });
    } catch (error) {
      mqttAcks.inc({ outcome: 'invalid' });
      this.logger.warn({ err: error, msg: 'MQTT ack not handled', topic });
    }
  }
}
