import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import {
  buildHeaders,
  encodeRecord,
  Topics,
  type ActuatorCommand,
  type AlertEvent,
} from '@sluice/contracts';
import { KafkaProducer, observeIngestLatency } from '@sluice/kafka';
import {
  ACTUATOR_CONTROLLER_CONFIG,
  type ActuatorControllerConfig,
} from '../actuator-controller.config';
import { SafetyService } from '../safety/safety.service';
import { CommandSinks } from './command-sinks';
import {
  alertsRaised,
  commandsCompleted,
  commandsPublished,
  readingToCommandSeconds,
} from './commands.metrics';
import { CommandsRepository, type CommandRow } from './commands.repository';

/** Rows a crash left `pending` are picked up by the sweep once this has passed since insert. */
export const OUTBOX_GRACE_MS = 1000;
const SWEEP_BATCH = 200;

export function toCommandRecord(row: CommandRow): ActuatorCommand {
  return {
    id: row.id,
    tenant: row.tenant,
    actuator: row.actuator,
    action: row.action,
    params: row.params,
    issuer: { kind: row.issuerKind, id: row.issuerId },
    reason: row.reason,
    issuedAt: row.createdAt.getTime(),
    expiresAt: row.expiresAt.getTime(),
  };
}

/**
 * Publishes persisted commands: the commands table is the outbox. A command is written first, then
 * published to actuator.commands.v1 (key tenant/actuator) and the other channels, then marked
 * `sent`. A crash between publish and mark re-publishes the same command id (agents apply an id
 * once); a crash before publish leaves it `pending` for the sweep. The sweep also re-sends
 * commands whose ack is overdue (timeout doubling per attempt), fails them after
 * COMMAND_MAX_ATTEMPTS with an `actuator_unacknowledged` alert, and expires them at their TTL.
 */
@Injectable()
export class CommandOutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(CommandOutboxRelay.name);
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private sweeping: Promise<void> | undefined;

  constructor(
    private readonly commands: CommandsRepository,
    private readonly producer: KafkaProducer,
    private readonly sinks: CommandSinks,
    private readonly safety: SafetyService,
    @Inject(ACTUATOR_CONTROLLER_CONFIG) private readonly config: ActuatorControllerConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.sweeping;
  }

  /** Publishes freshly inserted commands that are due now (others wait for the sweep). */
  async publishNew(rows: readonly CommandRow[]): Promise<void> {
    const now = Date.now();
    const due = rows.filter(
      (row) => row.status === 'pending' && row.nextAttemptAt.getTime() - OUTBOX_GRACE_MS <= now,
    );
    await this.publish(due, 'first');
  }

  /** One sweep over due commands (exposed for tests; runs every OUTBOX_POLL_MS). */
  async sweep(): Promise<void> {
    const leaseMs = Math.max(5_000, this.config.COMMAND_ACK_TIMEOUT_MS);
    for (;;) {
      const rows = await this.commands.claimDue(SWEEP_BATCH, leaseMs);
      if (rows.length === 0) return;
      const now = Date.now();
      const resend: CommandRow[] = [];
      for (const row of rows) {
        if (row.expiresAt.getTime() <= now) {
          await this.finish(
            row,
            'expired',
            `not acknowledged before it expired at ${row.expiresAt.toISOString()}`,
          );
        } else if (row.status === 'sent' && row.attempts >= this.config.COMMAND_MAX_ATTEMPTS) {
          const done = await this.finish(
            row,
            'failed',
            `no acknowledgement after ${row.attempts} attempts`,
          );
          if (done) await this.alertUnacknowledged(row);
        } else {
          resend.push(row);
        }
      }
      await this.publish(
        resend.filter((row) => row.status === 'sent'),
        'retry',
      );
      await this.publish(
        resend.filter((row) => row.status === 'pending'),
        'first',
      );
      if (rows.length < SWEEP_BATCH) return;
    }
  }

  private async publish(rows: readonly CommandRow[], attempt: 'first' | 'retry'): Promise<void> {
    if (rows.length === 0) return;
    const records = rows.map(toCommandRecord);
    await this.producer.send(
      Topics.actuatorCommands,
      rows.map((row, index) => ({
        key: `${row.tenant}/${row.actuator}`,
        value: encodeRecord(records[index]),
        headers: buildHeaders({ ingestTs: row.ingestTs ?? row.createdAt.getTime() }),
      })),
    );
    const publishedAt = Date.now();
    for (const row of rows) {
      if (attempt === 'first' && row.ingestTs !== null) {
        readingToCommandSeconds.observe(Math.max(0, publishedAt - row.ingestTs) / 1000);
        observeIngestLatency('command_published', row.ingestTs, publishedAt);
      }
    }
    commandsPublished.inc({ attempt }, rows.length);
    // Independent of each other (watchers, PostgreSQL, Redis), so one round trip's wait for all:
    // the evaluation consumer waits for this on every batch that issues commands.
    await Promise.all([
      this.sinks.deliver(records).catch((error: unknown) => {
        // Kafka has it (agents consuming the topic get it); the other channels get the retry
        this.logger.warn({ err: error, msg: 'delivery to MQTT/gRPC watchers failed' });
      }),
      this.commands.markSent(
        rows.map((row) => row.id),
        this.config.COMMAND_ACK_TIMEOUT_MS,
        attempt,
        publishedAt,
      ),
      this.safety.noteSent(rows, publishedAt),
    ]);
  }

  private async finish(
    row: CommandRow,
    status: 'failed' | 'expired',
    reason: string,
  ): Promise<boolean> {
    const done = await this.commands.complete(
      row.id,
      status,
      { kind: status, detail: { reason } },
      reason,
    );
    if (done) commandsCompleted.inc({ status });
    return done !== undefined;
  }

  private async alertUnacknowledged(row: CommandRow): Promise<void> {
    const alert: AlertEvent = {
      id: `actuator_unacknowledged:${row.id}`,
      tenant: row.tenant,
      device: row.actuator,
      metric: null,
      kind: 'actuator_unacknowledged',
      severity: 'warning',
      state: 'firing',
      message: `actuator ${row.actuator} did not acknowledge command ${row.id} (${row.action} ${JSON.stringify(row.params)}) after ${row.attempts} attempts`,
      evidence: {
        commandId: row.id,
        attempts: row.attempts,
        issuer: `${row.issuerKind}:${row.issuerId}`,
      },
      at: Date.now(),
    };
    await this.producer.send(Topics.alerts, [
      {
        key: `${row.tenant}/${row.actuator}`,
        value: encodeRecord(alert),
        headers: buildHeaders({ ingestTs: alert.at }),
      },
    ]);
    alertsRaised.inc({ kind: 'actuator_unacknowledged' });
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.sweeping = this.sweep()
        .catch((error: unknown) =>
          this.logger.error({ err: error, msg: 'command outbox sweep failed' }),
        )
        .finally(() => {
          this.sweeping = undefined;
          this.schedule();
        });
    }, this.config.OUTBOX_POLL_MS);
  }
}
