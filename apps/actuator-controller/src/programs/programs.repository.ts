import { Inject, Injectable } from '@nestjs/common';
import { PG_POOL } from '@sluice/db';
import type { Program } from '@sluice/programs';
import type { Pool, PoolClient } from 'pg';

export interface ProgramRow {
  tenant: string;
  id: string;
  version: number;
  name: string | null;
  owner: string;
  priority: number;
  enabled: boolean;
  /** The validated program (defaults applied), as stored. */
  definition: Program;
  createdAt: Date;
  updatedAt: Date;
}

/** Cheap fingerprint of the enabled programs: the catalog reloads only when it changes. */
export interface ProgramsSignature {
  count: number;
  versionSum: number;
  lastUpdate: number;
}

interface RawProgramRow {
  tenant: string;
  id: string;
  version: number;
  name: string | null;
  owner: string;
  priority: number;
  enabled: boolean;
  definition: Program;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS =
  'tenant, id, version, name, owner, priority, enabled, definition, created_at, updated_at';

function toRow(raw: RawProgramRow): ProgramRow {
  return {
    tenant: raw.tenant,
    id: raw.id,
    version: raw.version,
    name: raw.name,
    owner: raw.owner,
    priority: raw.priority,
    enabled: raw.enabled,
    definition: raw.definition,
    createdAt: raw.created_at,
    updatedAt: raw.updated_at,
  };
}

/** The only place SQL on `programs` and `program_versions` (migration 0005) is written. */
@Injectable()
export class ProgramsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async list(tenant: string, enabled?: boolean): Promise<ProgramRow[]> {
    const { rows } = await this.pool.query<RawProgramRow>(
      `SELECT ${COLUMNS} FROM programs WHERE tenant = $1 AND ($2::boolean IS NULL OR enabled = $2)
       ORDER BY id`,
      [tenant, enabled ?? null],
    );
    return rows.map(toRow);
  }

  async find(tenant: string, id: string): Promise<ProgramRow | undefined> {
    const { rows } = await this.pool.query<RawProgramRow>(
      `SELECT ${COLUMNS} FROM programs WHERE tenant = $1 AND id = $2`,
      [tenant, id],
    );
    return rows[0] === undefined ? undefined : toRow(rows[0]);
  }

  /** Every enabled program of every tenant whose kill switch is off: what the evaluator runs. */
  async listRunnable(): Promise<ProgramRow[]> {
    const { rows } = await this.pool.query<RawProgramRow>(
      `SELECT ${COLUMNS} FROM programs p
       WHERE enabled AND NOT EXISTS (
         SELECT 1 FROM kill_switches k WHERE k.tenant = p.tenant AND k.active)`,
    );
    return rows.map(toRow);
  }

  async killedTenants(): Promise<string[]> {
    const { rows } = await this.pool.query<{ tenant: string }>(
      'SELECT tenant FROM kill_switches WHERE active',
    );
    return rows.map((row) => row.tenant);
  }

  async runnableSignature(): Promise<ProgramsSignature> {
    const { rows } = await this.pool.query<{
      n: string;
      versions: string | null;
      last: Date | null;
    }>(
      `SELECT count(*) AS n, sum(version + priority) AS versions,
              greatest(max(p.updated_at), (SELECT max(changed_at) FROM kill_switches)) AS last
       FROM programs p WHERE enabled`,
    );
    return {
      count: Number(rows[0].n),
      versionSum: Number(rows[0].versions ?? 0),
      lastUpdate: rows[0].last?.getTime() ?? 0,
    };
  }

  /** Inserts version 1; false when the id is taken. */
  async insert(program: Program): Promise<ProgramRow | undefined> {
    return this.transaction(async (client) => {
      const { rows } = await client.query<RawProgramRow>(
        `INSERT INTO programs (tenant, id, version, name, owner, priority, enabled, definition)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (tenant, id) DO NOTHING
         RETURNING ${COLUMNS}`,
        [
          program.tenant,
          program.id,
          program.version,
          program.name ?? null,
          program.owner ?? '',
          program.priority,
          program.enabled,
          JSON.stringify(program),
        ],
      );
      if (rows[0] === undefined) return undefined;
      await this.insertVersion(client, program);
      return toRow(rows[0]);
    });
  }

  /**
   * Saves `program` as the next version, only if the stored one is still `expectedVersion`
   * (optimistic: two concurrent edits cannot both win). Undefined when it was not.
   */
  async update(program: Program, expectedVersion: number): Promise<ProgramRow | undefined> {
    return this.transaction(async (client) => {
      const { rows } = await client.query<RawProgramRow>(
        `UPDATE programs SET version = $3, name = $4, owner = $5, priority = $6, enabled = $7,
           definition = $8, updated_at = now()
         WHERE tenant = $1 AND id = $2 AND version = $9
         RETURNING ${COLUMNS}`,
        [
          program.tenant,
          program.id,
          program.version,
          program.name ?? null,
          program.owner ?? '',
          program.priority,
          program.enabled,
          JSON.stringify(program),
          expectedVersion,
        ],
      );
      if (rows[0] === undefined) return undefined;
      await this.insertVersion(client, program);
      return toRow(rows[0]);
    });
  }

  /** Switching on/off is not a new version: the definition's `enabled` follows the column. */
  async setEnabled(tenant: string, id: string, enabled: boolean): Promise<ProgramRow | undefined> {
    const { rows } = await this.pool.query<RawProgramRow>(
      `UPDATE programs SET enabled = $3,
         definition = jsonb_set(definition, '{enabled}', to_jsonb($3::boolean)), updated_at = now()
       WHERE tenant = $1 AND id = $2
       RETURNING ${COLUMNS}`,
      [tenant, id, enabled],
    );
    return rows[0] === undefined ? undefined : toRow(rows[0]);
  }

  /** Deletes the program; its versions stay for the audit of the commands it issued. */
  async delete(tenant: string, id: string): Promise<boolean> {
    const result = await this.pool.query('DELETE FROM programs WHERE tenant = $1 AND id = $2', [
      tenant,
      id,
    ]);
    return (result.rowCount ?? 0) > 0;
  }

  /** Metrics each device reported over the last week: names the validator may suggest. */
  async recentMetrics(
    tenant: string,
    devices: readonly string[],
  ): Promise<Record<string, string[]>> {
    const { rows } = await this.pool.query<{ device: string; metric: string }>(
      `SELECT DISTINCT device, metric FROM readings
       WHERE tenant = $1 AND device = ANY($2) AND time > now() - interval '7 days'`,
      [tenant, devices],
    );
    const byDevice: Record<string, string[]> = {};
    for (const row of rows) (byDevice[row.device] ??= []).push(row.metric);
    return byDevice;
  }

  private async insertVersion(client: PoolClient, program: Program): Promise<void> {
    await client.query(
      `INSERT INTO program_versions (tenant, id, version, definition) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING`,
      [program.tenant, program.id, program.version, JSON.stringify(program)],
    );
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
