import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  buildHeaders,
  encodeRecord,
  Topics,
  type ActuatorEvent,
  type AlertEvent,
} from '@sluice/contracts';
import { KafkaProducer } from '@sluice/kafka';
import type { AlertAction, CommandAction } from '@sluice/programs';
import DataLoader from 'dataloader';
import {
  ACTUATOR_CONTROLLER_CONFIG,
  type ActuatorControllerConfig,
} from '../actuator-controller.config';
import { ControllerError } from '../actuator-controller.errors';
import { SafetyService } from '../safety/safety.service';
import { OUTBOX_GRACE_MS, CommandOutboxRelay } from './command-outbox.relay';
import {
  alertsRaised,
  commandAckSeconds,
  commandsCompleted,
  commandsIssued,
} from './commands.metrics';
import {
  CommandsRepository,
  type CommandEventRow,
  type CommandFilter,
  type CommandRow,
  type NewCommand,
} from './commands.repository';

/** A user's command outranks every program (the override holds it anyway). */
export const USER_COMMAND_PRIORITY = 1_000_000;

export interface ProgramCommandInput {
  action: CommandAction;
  /** Gateway accept time of the reading that led to it (undefined for timer ticks). */
  ingestTs?: number;
}

export interface UserCommandInput {
  tenant: string;
  actuator: string;
  action: 'set_state' | 'set_level' | 'pulse';
  params: Record<string, string | number | boolean>;
  issuedBy: string;
  reason: string;
  holdMs?: number;
  idempotencyKey?: string;
}

/**
 * Gathers the calls made in one turn of the event loop into one call of `batch`. The evaluation
 * batches of one fetch (one per partition) finish evaluating in the same turn, so their commands
 * share one safety script, one insert statement and one produce instead of one each: at 20k
 * readings/s the per-partition statements kept PostgreSQL busy for ~1/6 of a core.
 */
function perTurn<K, V>(batch: (keys: readonly K[]) => Promise<V[]>): DataLoader<K, V> {
  return new DataLoader(batch, {
    cache: false,
    batchScheduleFn: (callback) => setImmediate(callback),
  });
}

/**
 * The life of a command: safety verdict, persisted (pending or rejected) with its audit, published
 * through the outbox relay, acknowledged, failed or expired by what the actuator reports.
 */
@Injectable()
export class CommandsService {
  /** Inserted row of each program command, null for a replayed idempotency key. */
  private readonly programCommands = perTurn<ProgramCommandInput, CommandRow | null>(
    async (inputs) => {
      const inserted = new Map(
        (await this.persistNow(inputs)).map((row) => [row.idempotencyKey, row]),
      );
      return inputs.map(({ action }) => inserted.get(action.idempotencyKey) ?? null);
    },
  );
  private readonly newCommands = perTurn<CommandRow, void>(async (rows) => {
    await this.relay.publishNew(rows);
    return rows.map(() => undefined);
  });

  constructor(
    private readonly commands: CommandsRepository,
    private readonly relay: CommandOutboxRelay,
    private readonly safety: SafetyService,
    private readonly producer: KafkaProducer,
    @Inject(ACTUATOR_CONTROLLER_CONFIG) private readonly config: ActuatorControllerConfig,
  ) {}

  /**
   * Program commands of one evaluation batch: checked and persisted in one transaction (a replayed
   * idempotency key is skipped), together with those of the other batches of the same turn. Only
   * the rows actually inserted are returned; hand them to `publishProgramCommands`. Once this
   * resolved the commands are in the outbox: should publishing fail, the sweep publishes them.
   */
  async persistProgramCommands(inputs: readonly ProgramCommandInput[]): Promise<CommandRow[]> {
    const rows = await Promise.all(inputs.map((input) => this.programCommands.load(input)));
    return [...new Set(rows)].filter((row): row is CommandRow => row !== null);
  }

  /** Publishes the persisted commands that are due now (the sweep handles the rest). */
  async publishProgramCommands(rows: readonly CommandRow[]): Promise<void> {
    await Promise.all(rows.map((row) => this.newCommands.load(row)));
  }

  private async persistNow(
    inputs: readonly ProgramCommandInput[],
    now = Date.now(),
  ): Promise<CommandRow[]> {
    if (inputs.length === 0) return [];
    const verdicts = await this.safety.checkProgramCommands(
      inputs.map(({ action }) => ({
        tenant: action.tenant,
        actuator: action.actuator,
        programId: action.programId,
        priority: action.priority,
        command: action.command,
        params: action.params,
      })),
      now,
    );
    const rows: NewCommand[] = inputs.map(({ action, ingestTs }, index) => {
      const verdict = verdicts[index];
      return {
        id: randomUUID(),
        idempotencyKey: action.idempotencyKey,
        tenant: action.tenant,
        actuator: action.actuator,
        action: action.command,
        params: { ...action.params },
        issuerKind: 'program',
        issuerId: action.programId,
        programVersion: action.programVersion,
        priority: action.priority,
        reason: action.reason,
        status: verdict.allowed ? 'pending' : 'rejected',
        statusReason: verdict.allowed ? null : `${verdict.rule}: ${verdict.detail}`,
        notBefore: verdict.allowed ? verdict.notBefore : now,
        expiresAt: now + this.config.COMMAND_TTL_MS,
        ingestTs: ingestTs ?? null,
      };
    });
    const inserted = await this.commands.insert(rows, OUTBOX_GRACE_MS);
    for (const row of inserted) commandsIssued.inc({ issuer: 'program', status: row.status });
    return inserted;
  }

  /** Program alerts go straight to alerts.v1: their id is the program's idempotency key. */
  async raiseProgramAlerts(alerts: readonly AlertAction[]): Promise<void> {
    if (alerts.length === 0) return;
    await this.producer.send(
      Topics.alerts,
      alerts.map((action) => {
        const event: AlertEvent = {
          id: action.idempotencyKey,
          tenant: action.tenant,
          device: null,
          metric: null,
          kind: 'program',
          severity: action.severity,
          state: 'firing',
          message: action.message,
          evidence: {
            program: action.programId,
            version: action.programVersion,
            reason: action.reason,
            path: action.path,
          },
          at: action.time,
        };
        return {
          key: `${action.tenant}/_system`,
          value: encodeRecord(event),
          headers: buildHeaders({ ingestTs: Date.now() }),
        };
      }),
    );
    alertsRaised.inc({ kind: 'program' }, alerts.length);
  }

  /** A user's command: rate-limited, then sent at once; it holds the actuator against programs. */
  async sendUserCommand(input: UserCommandInput, now = Date.now()): Promise<CommandRow> {
    const verdict = await this.safety.checkUserCommand(input.tenant, input.actuator, now);
    if (!verdict.allowed)
      throw new ControllerError('conflict', verdict.detail, [
        { path: 'actuator', message: verdict.rule },
      ]);
    const id = randomUUID();
    const idempotencyKey = input.idempotencyKey
      ? `user:${input.tenant}:${input.idempotencyKey}`
      : `user:${id}`;
    const [row] = await this.commands.insert(
      [
        {
          id,
          idempotencyKey,
          tenant: input.tenant,
          actuator: input.actuator,
          action: input.action,
          params: input.params,
          issuerKind: 'user',
          issuerId: input.issuedBy,
          programVersion: null,
          priority: USER_COMMAND_PRIORITY,
          reason: input.reason || 'manual command',
          status: 'pending',
          statusReason: null,
          notBefore: now,
          expiresAt: now + this.config.COMMAND_TTL_MS,
          ingestTs: null,
        },
      ],
      OUTBOX_GRACE_MS,
    );
    if (!row) {
      // the same Idempotency-Key again: answer with the command it created
      const existing = (
        await this.commands.list({ tenant: input.tenant, actuator: input.actuator, limit: 1000 })
      ).find((command) => command.idempotencyKey === idempotencyKey);
      if (existing) return existing;
      throw new ControllerError('conflict', 'idempotency key already used for another actuator');
    }
    commandsIssued.inc({ issuer: 'user', status: 'pending' });
    const holdMs = input.holdMs && input.holdMs > 0 ? input.holdMs : this.config.OVERRIDE_HOLD_MS;
    await this.safety.holdForUser(
      input.tenant,
      input.actuator,
      { id, command: input.action, params: input.params },
      input.issuedBy,
      holdMs,
      now,
    );
    await this.relay.publishNew([row]);
    return (await this.commands.find(id)) ?? row;
  }

  /**
   * An acknowledgement, refusal or state report from an actuator (Kafka, MQTT or gRPC). A second
   * ack of the same command changes nothing (it is only audited).
   */
  async handleEvent(
    event: ActuatorEvent,
    via: string,
  ): Promise<'acknowledged' | 'failed' | 'ignored' | 'state'> {
    await this.commands.recordActuatorState(
      event.tenant,
      event.actuator,
      event.state,
      event.at,
      event.kind === 'ack',
    );
    if (event.kind === 'state' || event.commandId === null) return 'state';
    const status = event.kind === 'ack' ? 'acknowledged' : 'failed';
    const row = await this.commands.complete(
      event.commandId,
      status,
      {
        kind: event.kind === 'ack' ? 'acknowledged' : 'nacked',
        detail: { via, state: event.state },
      },
      event.kind === 'nack' ? `refused by the actuator: ${JSON.stringify(event.state)}` : null,
      event.tenant,
    );
    if (!row) return 'ignored';
    commandsCompleted.inc({ status });
    if (status === 'acknowledged' && row.sentAt)
      commandAckSeconds.observe(Math.max(0, Date.now() - row.sentAt.getTime()) / 1000);
    return status;
  }

  list(filter: CommandFilter): Promise<CommandRow[]> {
    return this.commands.list(filter);
  }

  events(ids: readonly string[]): Promise<CommandEventRow[]> {
    return this.commands.events(ids);
  }

  actuators(tenant: string): ReturnType<CommandsRepository['actuators']> {
    return this.commands.actuators(tenant);
  }

  /** Commands sent to an actuator and not yet acknowledged (re-sent to a new gRPC watcher). */
  open(tenant: string, actuator?: string): Promise<CommandRow[]> {
    return this.commands.open(tenant, actuator);
  }
}
