import { hostname } from 'node:os';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import {
  Topics,
  buildHeaders,
  encodeRecord,
  newTraceparent,
  type DlqReason,
  type DlqRecord,
} from '@sluice/contracts';
import { KafkaProducer } from '@sluice/kafka';
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import { ApiKeyAuthService } from '../auth/api-key-auth.service';
import { AuthError } from '../auth/auth.errors';
import { hasScope } from '../auth/api-key';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { ApiError } from '../http/api-error';
import { ReadingsIngestService } from '../readings-ingest/readings-ingest.service';
import { mqttConnected, mqttMessages, mqttRetries } from './mqtt-bridge.metrics';
import {
  parseTelemetryPayload,
  parseTelemetryTopic,
  redactPayload,
  telemetryTopicFilter,
} from './mqtt-telemetry.message';

class BridgeStoppingError extends Error {}

/**
 * Bridges MQTT telemetry into Kafka: subscribes `{MQTT_TOPIC_PREFIX}/+/+/telemetry` at QoS 1 with a
 * persistent session (`clean: false`), and acknowledges (PUBACK) a message only once its readings
 * — or its dead-letter record — are in Kafka. MQTT.js calls `handleMessage` for one packet at a
 * time and sends the PUBACK when its callback runs, so while Kafka is slow or down the bridge holds
 * the current message, reads nothing more, and the broker keeps the rest queued for the session.
 *
 * Auth: the bridge trusts the broker to decide who may publish where (its ACL), and additionally
 * requires every payload to carry an API key (`"key"`) with the `write` scope of the topic's
 * tenant (a device-scoped key = per-device credential). Messages it refuses go to
 * telemetry.dlq.v1 (key redacted) and are acked, so a bad device never blocks the bridge.
 */
@Injectable()
export class MqttBridgeService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(MqttBridgeService.name);
  private client: MqttClient | undefined;
  private stopping = false;
  private subscribed!: () => void;
  /** Resolves once the first subscription was granted (tests wait on it). */
  readonly whenSubscribed = new Promise<void>((resolve) => (this.subscribed = resolve));

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly auth: ApiKeyAuthService,
    private readonly ingest: ReadingsIngestService,
    private readonly producer: KafkaProducer,
  ) {}

  onApplicationBootstrap(): void {
    const url = this.config.MQTT_URL;
    if (url === undefined) return;
    const filter = this.config.MQTT_SHARED_GROUP
      ? `$share/${this.config.MQTT_SHARED_GROUP}/${telemetryTopicFilter(this.config.MQTT_TOPIC_PREFIX)}`
      : telemetryTopicFilter(this.config.MQTT_TOPIC_PREFIX);
    const client = mqtt.connect(url, {
      clientId: this.config.MQTT_CLIENT_ID ?? `sluice-ingest-gateway-${hostname()}`,
      // a persistent session: messages published while the bridge is away wait at the broker
      clean: false,
      username: this.config.MQTT_USERNAME,
      password: this.config.MQTT_PASSWORD,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      // subscribe again after a reconnect in case the broker dropped the session
      resubscribe: true,
    });
    client.handleMessage = (packet, callback) => {
      this.handle(packet).then(
        () => callback(),
        (error: unknown) => callback(error as Error),
      );
    };
    client.on('connect', () => {
      mqttConnected.set(1);
      this.logger.log({ msg: 'MQTT bridge connected', url: redactUrl(url), filter });
      client.subscribe(filter, { qos: 1 }, (error, granted) => {
        if (error || granted?.some((grant) => grant.qos !== 1)) {
          this.logger.error({ msg: 'MQTT subscription refused', filter, err: error, granted });
          return;
        }
        this.subscribed();
      });
    });
    client.on('close', () => mqttConnected.set(0));
    client.on('error', (error) => {
      if (!(error instanceof BridgeStoppingError))
        this.logger.warn({ msg: 'MQTT bridge error', err: error });
    });
    this.client = client;
  }

  /** Unacked messages stay with the broker's session and come back on the next start. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    const client = this.client;
    if (client === undefined) return;
    await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
    mqttConnected.set(0);
  }

  private retries = 0;

  /** Times a message was held back and retried since start. */
  retriesSoFar(): number {
    return this.retries;
  }

  private async handle(packet: IPublishPacket): Promise<void> {
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    const receivedAt = Date.now();
    const topic = parseTelemetryTopic(this.config.MQTT_TOPIC_PREFIX, packet.topic);
    if (topic === undefined) {
      await this.deadLetter(
        packet,
        payload,
        'invalid_schema',
        'topic is not {prefix}/{tenant}/{device}/telemetry',
      );
      return;
    }
    const parsed = parseTelemetryPayload(topic, payload);
    if (!parsed.ok) {
      await this.deadLetter(
        packet,
        payload,
        'unparseable',
        parsed.detail,
        `${topic.tenant}/${topic.device}`,
      );
      return;
    }
    for (let attempt = 1; ; attempt++) {
      try {
        const principal = await this.auth.authenticate(parsed.key);
        if (!hasScope(principal, 'write')) throw AuthError.missingScope('write');
        await this.ingest.ingest(principal, parsed.body, newTraceparent(), 'mqtt');
        mqttMessages.inc({ outcome: 'accepted' });
        return;
      } catch (error) {
        if (error instanceof ApiError && error.status !== 503 && error.status !== 429) {
          await this.deadLetter(
            packet,
            payload,
            dlqReason(error),
            describe(error),
            `${topic.tenant}/${topic.device}`,
          );
          return;
        }
        // Kafka, the registry or PostgreSQL is unavailable (or the key is rate limited): keep the
        // message unacked and try again; the broker holds everything behind it.
        await this.beforeRetry(error, attempt, receivedAt);
      }
    }
  }

  private async deadLetter(
    packet: IPublishPacket,
    payload: Buffer,
    reason: DlqReason,
    detail: string,
    key: string | null = null,
  ): Promise<void> {
    const record: DlqRecord = {
      reason,
      detail,
      stage: 'ingest-gateway.mqtt-bridge',
      sourceTopic: `mqtt:${packet.topic}`,
      sourcePartition: 0,
      sourceOffset: String(packet.messageId ?? 0),
      originalKey: key,
      originalValue: redactPayload(payload),
      failedAt: Date.now(),
    };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.producer.send(Topics.telemetryDlq, [
          {
            key: key ?? packet.topic,
            value: encodeRecord(record),
            headers: buildHeaders({ ingestTs: Date.now() }),
          },
        ]);
        mqttMessages.inc({ outcome: 'dlq' });
        return;
      } catch (error) {
        await this.beforeRetry(error, attempt, Date.now());
      }
    }
  }

  private async beforeRetry(error: unknown, attempt: number, since: number): Promise<void> {
    if (this.stopping) throw new BridgeStoppingError('MQTT bridge stopping; message left unacked');
    mqttRetries.inc();
    this.retries++;
    if (attempt === 1 || attempt % 30 === 0) {
      this.logger.warn({
        msg: 'MQTT message held unacked: dependency unavailable, retrying',
        err: error instanceof ApiError ? error.message : error,
        attempt,
        heldMs: Date.now() - since,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, this.config.MQTT_RETRY_DELAY_MS));
  }
}

function dlqReason(error: ApiError): DlqReason {
  if (error.status === 401 || error.status === 403) return 'unauthorized';
  if (error.code === 'unknown_device') return 'unknown_device';
  return 'invalid_schema';
}

function describe(error: ApiError): string {
  const first = error.details[0];
  return first === undefined
    ? `${error.code}: ${error.message}`
    : `${error.code}: ${error.message} — ${first.path}: ${first.message}`;
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
