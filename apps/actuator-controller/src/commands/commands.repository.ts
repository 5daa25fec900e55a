import { Inject, Injectable } from '@nestjs/common';
import { PG_POOL } from '@sluice/db';
import type { Pool, PoolClient } from 'pg';

export type CommandStatus = 'pending' | 'sent' | 'acknowledged' | 'failed' | 'expired' | 'rejected';
export type CommandParamsValue = Record<string, string | number | boolean>;

export interface NewCommand {
  id: string;
  idempotencyKey: string;
  tenant: string;
  actuator: string;
  action: 'set_state' | 'set_level' | 'pulse';
  params: CommandParamsValue;
  issuerKind: 'program' | 'user';
  issuerId: string;
  programVersion: number | null;
  priority: number;
  reason: string;
  /** `pending` to be sent, `rejected` when a safety rule stopped it (kept for the audit). */
  status: 'pending' | 'rejected';
  statusReason: string | null;
  /** Not published before this (dwell time); the immediate path publishes rows due now. */
  notBefore: number;
  expiresAt: number;
  ingestTs: number | null;
}

export interface CommandRow {
  id: string;
  idempotencyKey: string;
  tenant: string;
  actuator: string;
  action: 'set_state' | 'set_level' | 'pulse';
  params: CommandParamsValue;
  issuerKind: 'program' | 'user';
  issuerId: string;
  programVersion: number | null;
  priority: number;
  reason: string;
  status: CommandStatus;
  statusReason: string | null;
  attempts: number;
  nextAttemptAt: Date;
  createdAt: Date;
  sentAt: Date | null;
  acknowledgedAt: Date | null;
  completedAt: Date | null;
  expiresAt: Date;
  ingestTs: number | null;
}

export interface CommandEventRow {
  commandId: string;
  kind: string;
  detail: Record<string, unknown>;
  at: Date;
}

export interface CommandFilter {
  tenant: string;
  actuator?: string;
  status?: string;
  issuerId?: string;
  from?: number;
  to?: number;
  limit: number;
}

const COLUMNS = `id, idempotency_key, tenant, actuator, action, params, issuer_kind, issuer_id,
  program_version, priority, reason, status, status_reason, attempts, next_attempt_at, created_at,
  sent_at, acknowledged_at, completed_at, expires_at, ingest_ts`;

interface RawCommandRow {
  id: string;
  idempotency_key: string;
  tenant: string;
  actuator: string;
  action: CommandRow['action'];
  params: CommandParamsValue;
  issuer_kind: CommandRow['issuerKind'];
  issuer_id: string;
  program_version: number | null;
  priority: number;
  reason: string;
  status: CommandStatus;
  status_reason: string | null;
  attempts: number;
  next_attempt_at: Date;
  created_at: Date;
  sent_at: Date | null;
  acknowledged_at: Date | null;
  completed_at: Date | null;
  expires_at: Date;
  ingest_ts: string | null;
}

function toRow(raw: RawCommandRow): CommandRow {
  return {
    id: raw.id,
    idempotencyKey: raw.idempotency_key,
    tenant: raw.tenant,
    actuator: raw.actuator,
    action: raw.action,
    params: raw.params,
    issuerKind: raw.issuer_kind,
    issuerId: raw.issuer_id,
    programVersion: raw.program_version,
    priority: raw.priority,
    reason: raw.reason,
    status: raw.status,
    statusReason: raw.status_reason,
    attempts: raw.attempts,
    nextAttemptAt: raw.next_attempt_at,
    createdAt: raw.created_at,
    sentAt: raw.sent_at,
    acknowledgedAt: raw.acknowledged_at,
    completedAt: raw.completed_at,
    expiresAt: raw.expires_at,
    ingestTs: raw.ingest_ts === null ? null : Number(raw.ingest_ts),
  };
}

/** The only place SQL on `commands`, `command_events` and `actuators` (migration 0005) is written. */
@Injectable()
export class CommandsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /**
   * Persists commands in one statement. A command whose idempotency key exists is skipped (a replay
   * after a crash): only the rows actually inserted are returned. A new pending command supersedes
   * an older one of the same actuator that was never sent (it would only be undone): within the
   * batch the last one per actuator wins and the others are stored as expired; earlier batches'
   * pending ones are expired by the same statement.
   *
   * One round trip, committed with its WAL flush: the evaluation consumer waits for it on every
   * batch that issues commands, and BEGIN, the insert, the supersede-and-audit statement and COMMIT
   * made four.
   */
  async insert(commands: readonly NewCommand[], outboxGraceMs: number): Promise<CommandRow[]> {
    if (commands.length === 0) return [];
    // Sibling CTEs share one snapshot: the supersede UPDATE cannot see the rows this statement
    // inserts, so the batch's own losers are decided before inserting (`decided`: the winner per
    // actuator is its last pending command, by a window, not a join). Everything else reads
    // `decided`, never another CTE by id: the planner takes CTEs for one row each and joined them
    // by nested loops, quadratic in the batch (a 330-command batch spent 200 ms there). An event
    // of a row that ON CONFLICT skipped (another replica's insert in between) fails the statement
    // on its foreign key, and the batch is retried.
    const { rows } = await this.pool.query<RawCommandRow>(
      `WITH input AS (
         SELECT c.* FROM jsonb_to_recordset($1::jsonb) AS c(id text, idempotency_key text,
           tenant text, actuator text, action text, params jsonb, issuer_kind text, issuer_id text,
           program_version integer, priority integer, reason text, status text, status_reason text,
           not_before float8, expires_at float8, ingest_ts bigint, ord bigint)),
       fresh AS (
         SELECT i.* FROM input i
         WHERE NOT EXISTS (SELECT 1 FROM commands x WHERE x.idempotency_key = i.idempotency_key)),
       decided AS (
         SELECT f.*, CASE WHEN f.status = 'pending' THEN first_value(f.id) OVER (
             PARTITION BY f.tenant, f.actuator, f.status ORDER BY f.ord DESC) END AS winner
         FROM fresh f),
       inserted AS (
         INSERT INTO commands (id, idempotency_key, tenant, actuator, action, params, issuer_kind,
           issuer_id, program_version, priority, reason, status, status_reason, next_attempt_at,
           expires_at, ingest_ts, completed_at)
         SELECT d.id, d.idempotency_key, d.tenant, d.actuator, d.action, d.params, d.issuer_kind,
           d.issuer_id, d.program_version, d.priority, d.reason,
           CASE WHEN d.winner <> d.id THEN 'expired' ELSE d.status END,
           CASE WHEN d.winner <> d.id THEN 'superseded by ' || d.winner ELSE d.status_reason END,
           greatest(to_timestamp(d.not_before / 1000), now() + make_interval(secs => $2::float8 / 1000)),
           to_timestamp(d.expires_at / 1000), d.ingest_ts,
           CASE WHEN d.status = 'rejected' OR d.winner <> d.id THEN now() END
         FROM decided d
         ORDER BY d.ord
         ON CONFLICT (idempotency_key) DO NOTHING
         RETURNING ${COLUMNS}),
       superseded AS (
         UPDATE commands c SET status = 'expired', status_reason = 'superseded by ' || w.id,
           completed_at = now()
         FROM decided w
         WHERE w.winner = w.id AND c.tenant = w.tenant AND c.actuator = w.actuator
           AND c.status = 'pending' AND c.id <> w.id
         RETURNING c.id, w.id AS by),
       audit AS (
         INSERT INTO command_events (command_id, kind, detail)
         SELECT command_id, kind, detail FROM (
           SELECT d.id AS command_id, 'created' AS kind,
             jsonb_build_object('issuer', d.issuer_kind || ':' || d.issuer_id, 'reason', d.reason)
               AS detail,
             3 * d.ord AS ord
           FROM decided d
           UNION ALL
           SELECT d.id, 'rejected', jsonb_build_object('rule', d.status_reason), 3 * d.ord + 1
           FROM decided d WHERE d.status = 'rejected'
           UNION ALL
           SELECT d.id, 'superseded', jsonb_build_object('by', d.winner), 3 * d.ord + 2
           FROM decided d WHERE d.winner <> d.id
           UNION ALL
           SELECT s.id, 'superseded', jsonb_build_object('by', s.by),
             3 * $3::bigint + row_number() OVER ()
           FROM superseded s) AS all_events
         ORDER BY ord),
       last_commands AS (
         INSERT INTO actuators (tenant, id, last_command_id, last_command_at)
         SELECT w.tenant, w.actuator, w.id, now() FROM decided w WHERE w.winner = w.id
         ON CONFLICT (tenant, id) DO UPDATE
           SET last_command_id = EXCLUDED.last_command_id, last_command_at = now())
       SELECT * FROM inserted`,
      [
        JSON.stringify(
          commands.map((command, ord) => ({
            ord,
            id: command.id,
            idempotency_key: command.idempotencyKey,
            tenant: command.tenant,
            actuator: command.actuator,
            action: command.action,
            params: command.params,
            issuer_kind: command.issuerKind,
            issuer_id: command.issuerId,
            program_version: command.programVersion,
            priority: command.priority,
            reason: command.reason,
            status: command.status,
            status_reason: command.statusReason,
            not_before: command.notBefore,
            expires_at: command.expiresAt,
            ingest_ts: command.ingestTs,
          })),
        ),
        outboxGraceMs,
        commands.length,
      ],
    );
    // RETURNING order is not guaranteed: restore the batch order
    const order = new Map(commands.map((command, index) => [command.id, index]));
    return rows.map(toRow).sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
  }

  /**
   * Records a (re)send: `sent`, one more attempt, and the time the ack is due (the timeout doubles
   * with every attempt). `sent_at` is when Kafka acknowledged the first publish (`publishedAt`), not
   * when this mark ran: the delivery to MQTT/gRPC watchers and the mark itself come after it. Only rows still waiting for an ack change status; a fast agent's ack can
   * be applied before this mark (the publish and the ack race), and such a command gets its sent
   * time and `sent` audit event all the same (once: while sent_at is unset), so the history shows
   * every publish.
   *
   * One statement, one round trip: the evaluation consumer waits for this on every batch that
   * issues commands. (A transaction committed without the WAL flush took three round trips, which
   * cost more than the flush; a mark lost anyway only leaves the command `pending`, and the sweep
   * re-publishes it under the same id.)
   */
  async markSent(
    ids: readonly string[],
    ackTimeoutMs: number,
    via: string,
    publishedAt: number = Date.now(),
  ): Promise<CommandRow[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.pool.query<RawCommandRow>(
      `WITH sent AS (
             UPDATE commands SET status = 'sent', attempts = attempts + 1,
               sent_at = coalesce(sent_at, to_timestamp($4::float8 / 1000)),
               next_attempt_at = now() + make_interval(secs => $2::float8 * power(2, attempts) / 1000)
             WHERE id = ANY($1) AND status IN ('pending', 'sent')
             RETURNING ${COLUMNS}),
           acknowledged_first AS (
             UPDATE commands SET attempts = attempts + 1, sent_at = to_timestamp($4::float8 / 1000)
             WHERE id = ANY($1) AND status = 'acknowledged' AND sent_at IS NULL
             RETURNING id, attempts),
           audit AS (
             INSERT INTO command_events (command_id, kind, detail)
             SELECT id, 'sent', jsonb_build_object('attempt', attempts, 'via', $3::text) FROM sent
             UNION ALL
             SELECT id, 'sent', jsonb_build_object('attempt', attempts, 'via', $3::text,
                                                   'acknowledgedFirst', true)
               FROM acknowledged_first)
           SELECT * FROM sent`,
      [ids, ackTimeoutMs, via, publishedAt],
    );
    return rows.map(toRow);
  }

  /**
   * Claims commands whose next step is due (unsent after a crash, ack overdue, dwell over) for
   * `leaseMs`, so two replicas never handle the same one at once.
   */
  async claimDue(limit: number, leaseMs: number): Promise<CommandRow[]> {
    const { rows } = await this.pool.query<RawCommandRow>(
      `UPDATE commands SET next_attempt_at = now() + make_interval(secs => $2::float8 / 1000)
       WHERE id IN (
         SELECT id FROM commands WHERE status IN ('pending', 'sent') AND next_attempt_at <= now()
         ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING ${COLUMNS}`,
      [limit, leaseMs],
    );
    return rows.map(toRow);
  }

  /** Ends a command that is still open; returns false when it was already complete. */
  async complete(
    id: string,
    status: 'acknowledged' | 'failed' | 'expired',
    event: { kind: string; detail: Record<string, unknown> },
    statusReason: string | null = null,
    tenant?: string,
  ): Promise<CommandRow | undefined> {
    return this.transaction(async (client) => {
      const { rows } = await client.query<RawCommandRow>(
        `UPDATE commands SET status = $2, status_reason = $3, completed_at = now(),
           acknowledged_at = CASE WHEN $2 = 'acknowledged' THEN now() ELSE acknowledged_at END
         WHERE id = $1 AND status IN ('pending', 'sent') AND ($4::text IS NULL OR tenant = $4)
         RETURNING ${COLUMNS}`,
        [id, status, statusReason, tenant ?? null],
      );
      const exists =
        rows[0] !== undefined
          ? true
          : ((await client.query('SELECT 1 FROM commands WHERE id = $1', [id])).rowCount ?? 0) > 0;
      if (exists) {
        await client.query(
          `INSERT INTO command_events (command_id, kind, detail) VALUES ($1, $2, $3)`,
          [
            id,
            rows[0] ? event.kind : `${event.kind}_after_completion`,
            JSON.stringify(event.detail),
          ],
        );
      }
      return rows[0] === undefined ? undefined : toRow(rows[0]);
    });
  }

  async recordActuatorState(
    tenant: string,
    actuator: string,
    state: Record<string, unknown>,
    at: number,
    acknowledged: boolean,
  ): Promise<void> {
    await this.pool.query(
      `INSERT INTO actuators (tenant, id, state, state_at, last_ack_at)
       VALUES ($1, $2, $3, to_timestamp($4::float8 / 1000), CASE WHEN $5 THEN now() END)
       ON CONFLICT (tenant, id) DO UPDATE SET
         state = CASE WHEN actuators.state_at IS NULL OR actuators.state_at <= EXCLUDED.state_at
                      THEN EXCLUDED.state ELSE actuators.state END,
         state_at = greatest(actuators.state_at, EXCLUDED.state_at),
         last_ack_at = CASE WHEN $5 THEN now() ELSE actuators.last_ack_at END`,
      [tenant, actuator, JSON.stringify(state), at, acknowledged],
    );
  }

  async list(filter: CommandFilter): Promise<CommandRow[]> {
    const { rows } = await this.pool.query<RawCommandRow>(
      `SELECT ${COLUMNS} FROM commands
       WHERE tenant = $1 AND ($2::text IS NULL OR actuator = $2) AND ($3::text IS NULL OR status = $3)
         AND ($4::text IS NULL OR issuer_id = $4)
         AND ($5::float8 IS NULL OR created_at >= to_timestamp($5::float8 / 1000))
         AND ($6::float8 IS NULL OR created_at <= to_timestamp($6::float8 / 1000))
       ORDER BY created_at DESC, id LIMIT $7`,
      [
        filter.tenant,
        filter.actuator ?? null,
        filter.status ?? null,
        filter.issuerId ?? null,
        filter.from ?? null,
        filter.to ?? null,
        filter.limit,
      ],
    );
    return rows.map(toRow);
  }

  async find(id: string): Promise<CommandRow | undefined> {
    const { rows } = await this.pool.query<RawCommandRow>(
      `SELECT ${COLUMNS} FROM commands WHERE id = $1`,
      [id],
    );
    return rows[0] === undefined ? undefined : toRow(rows[0]);
  }

  /** Open (unacknowledged) commands of an actuator, oldest first: re-sent to a new watcher. */
  async open(tenant: string, actuator?: string): Promise<CommandRow[]> {
    const { rows } = await this.pool.query<RawCommandRow>(
      `SELECT ${COLUMNS} FROM commands
       WHERE tenant = $1 AND ($2::text IS NULL OR actuator = $2) AND status = 'sent'
       ORDER BY created_at`,
      [tenant, actuator ?? null],
    );
    return rows.map(toRow);
  }

  async events(ids: readonly string[]): Promise<CommandEventRow[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.pool.query<{
      command_id: string;
      kind: string;
      detail: Record<string, unknown>;
      at: Date;
    }>(
      `SELECT command_id, kind, detail, at FROM command_events WHERE command_id = ANY($1) ORDER BY seq`,
      [ids],
    );
    return rows.map((row) => ({
      commandId: row.command_id,
      kind: row.kind,
      detail: row.detail,
      at: row.at,
    }));
  }

  /** When the actuator was last sent a command (for the dwell rule). */
  async lastSentAt(tenant: string, actuator: string): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ at: Date | null }>(
      `SELECT max(sent_at) AS at FROM commands WHERE tenant = $1 AND actuator = $2`,
      [tenant, actuator],
    );
    return rows[0]?.at?.getTime();
  }

  async actuators(tenant: string): Promise<
    Array<{
      id: string;
      state: Record<string, unknown>;
      stateAt: Date | null;
      lastCommandId: string | null;
      lastCommandAt: Date | null;
      lastAckAt: Date | null;
      overrideUntil: Date | null;
    }>
  > {
    const { rows } = await this.pool.query<{
      id: string;
      state: Record<string, unknown>;
      state_at: Date | null;
      last_command_id: string | null;
      last_command_at: Date | null;
      last_ack_at: Date | null;
      until: Date | null;
    }>(
      `SELECT a.id, a.state, a.state_at, a.last_command_id, a.last_command_at, a.last_ack_at, o.until
       FROM actuators a LEFT JOIN overrides o ON o.tenant = a.tenant AND o.actuator = a.id AND o.until > now()
       WHERE a.tenant = $1 ORDER BY a.id`,
      [tenant],
    );
    return rows.map((row) => ({
      id: row.id,
      state: row.state,
      stateAt: row.state_at,
      lastCommandId: row.last_command_id,
      lastCommandAt: row.last_command_at,
      lastAckAt: row.last_ack_at,
      overrideUntil: row.until,
    }));
  }

  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
