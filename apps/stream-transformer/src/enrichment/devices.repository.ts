import type { Pool } from 'pg';

export interface DeviceRef {
  tenant: string;
  device: string;
}

export type DeviceTags = Record<string, string>;

/** Registry errors name the operation and how many devices were asked for. */
export class DeviceRegistryError extends Error {
  constructor(operation: string, devices: number, cause: unknown) {
    super(
      `device registry ${operation} failed for ${devices} devices: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
    this.name = 'DeviceRegistryError';
  }
}

/** Reads device tags from the `devices` table (migration 0001, owned by the gateway). */
export class DevicesRepository {
  constructor(private readonly pool: Pool) {}

  /** Tags of the given devices that exist, keyed `tenant/device`; unknown devices are absent. */
  async findTags(refs: ReadonlyArray<DeviceRef>): Promise<Map<string, DeviceTags>> {
    const found = new Map<string, DeviceTags>();
    if (refs.length === 0) return found;
    try {
      // One round trip for the whole batch: the key pairs travel as two parallel arrays.
      const result = await this.pool.query<{ tenant: string; id: string; tags: unknown }>(
        `SELECT d.tenant, d.id, d.tags
           FROM devices d
           JOIN unnest($1::text[], $2::text[]) AS wanted(tenant, id)
             ON d.tenant = wanted.tenant AND d.id = wanted.id`,
        [refs.map((ref) => ref.tenant), refs.map((ref) => ref.device)],
      );
      for (const row of result.rows) found.set(`${row.tenant}/${row.id}`, stringTags(row.tags));
    } catch (error) {
      throw new DeviceRegistryError('findTags', refs.length, error);
    }
    return found;
  }
}

// Tags are jsonb: tolerate non-string values written by other tools by stringifying them, since
// the clean contract carries string tags only.
function stringTags(tags: unknown): DeviceTags {
  const out: DeviceTags = {};
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) return out;
  for (const [name, value] of Object.entries(tags)) {
    if (value === null || value === undefined) continue;
    out[name] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return out;
}
