import { Inject, Injectable } from '@nestjs/common';
import { PG_POOL } from '@sluice/db';
import type { Pool } from 'pg';

export interface ConflictInput {
  tenant: string;
  actuator: string;
  winnerKind: 'program' | 'user';
  winnerId: string;
  winnerPriority: number | null;
  winnerCommand: Record<string, unknown>;
  loserProgram: string;
  loserPriority: number;
  loserCommand: Record<string, unknown>;
  /** `priority` (a higher program won) or `manual_override` (a user's command holds the actuator). */
  rule: 'priority' | 'manual_override';
}

export interface ConflictRow extends ConflictInput {
  seq: number;
  at: Date;
}

export interface KillSwitchRow {
  tenant: string;
  active: boolean;
  reason: string | null;
  changedBy: string;
  changedAt: Date;
}

/** The only place SQL on `conflicts`, `overrides` and `kill_switches` (migration 0005) is written. */
@Injectable()
export class SafetyRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async recordConflicts(conflicts: readonly ConflictInput[]): Promise<void> {
    if (conflicts.length === 0) return;
    await this.pool.query(
      `INSERT INTO conflicts (tenant, actuator, winner_kind, winner_id, winner_priority, winner_command,
         loser_program, loser_priority, loser_command, rule)
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS c(tenant text, actuator text, winner_kind text,
         winner_id text, winner_priority integer, winner_command jsonb, loser_program text,
         loser_priority integer, loser_command jsonb, rule text)`,
      [
        JSON.stringify(
          conflicts.map((c) => ({
            tenant: c.tenant,
            actuator: c.actuator,
            winner_kind: c.winnerKind,
            winner_id: c.winnerId,
            winner_priority: c.winnerPriority,
            winner_command: c.winnerCommand,
            loser_program: c.loserProgram,
            loser_priority: c.loserPriority,
            loser_command: c.loserCommand,
            rule: c.rule,
          })),
        ),
      ],
    );
  }

  async listConflicts(
    tenant: string,
    actuator: string | undefined,
    limit: number,
  ): Promise<ConflictRow[]> {
    const { rows } = await this.pool.query<{
      seq: string;
      tenant: string;
      actuator: string;
      winner_kind: 'program' | 'user';
      winner_id: string;
      winner_priority: number | null;
      winner_command: Record<string, unknown>;
      loser_program: string;
      loser_priority: number;
      loser_command: Record<string, unknown>;
      rule: ConflictInput['rule'];
      at: Date;
    }>(
      `SELECT * FROM conflicts WHERE tenant = $1 AND ($2::text IS NULL OR actuator = $2)
       ORDER BY seq DESC LIMIT $3`,
      [tenant, actuator ?? null, limit],
    );
    return rows.map((row) => ({
      seq: Number(row.seq),
      tenant: row.tenant,
      actuator: row.actuator,
      winnerKind: row.winner_kind,
      winnerId: row.winner_id,
      winnerPriority: row.winner_priority,
      winnerCommand: row.winner_command,
      loserProgram: row.loser_program,
      loserPriority: row.loser_priority,
      loserCommand: row.loser_command,
      rule: row.rule,
      at: row.at,
    }));
  }

  async saveOverride(
    tenant: string,
    actuator: string,
    commandId: string,
    issuedBy: string,
    until: number,
  ): Promise<void> {
    await this.pool.query(
      `INSERT INTO overrides (tenant, actuator, command_id, issued_by, until)
       VALUES ($1, $2, $3, $4, to_timestamp($5::float8 / 1000))
       ON CONFLICT (tenant, actuator) DO UPDATE SET command_id = $3, issued_by = $4, until = EXCLUDED.until`,
      [tenant, actuator, commandId, issuedBy, until],
    );
  }

  async setKillSwitch(
    tenant: string,
    active: boolean,
    reason: string | null,
    changedBy: string,
  ): Promise<KillSwitchRow> {
    const { rows } = await this.pool.query<{
      tenant: string;
      active: boolean;
      reason: string | null;
      changed_by: string;
      changed_at: Date;
    }>(
      `INSERT INTO kill_switches (tenant, active, reason, changed_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant) DO UPDATE SET active = $2, reason = $3, changed_by = $4, changed_at = now()
       RETURNING *`,
      [tenant, active, reason, changedBy],
    );
    const row = rows[0];
    return {
      tenant: row.tenant,
      active: row.active,
      reason: row.reason,
      changedBy: row.changed_by,
      changedAt: row.changed_at,
    };
  }
}
