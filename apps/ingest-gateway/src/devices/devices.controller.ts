import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { DeviceIdSchema, formatIssues } from '@sluice/contracts';
import { REDIS } from '@sluice/redis';
import { readLatest } from '@sluice/speed-layer';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { AuthError } from '../auth/auth.errors';
import { mayAccessDevice, type Principal } from '../auth/api-key';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { RequireScope } from '../auth/require-scope.decorator';
import { ApiError } from '../http/api-error';
import { DevicesRepository } from '../registry/devices.repository';

const ListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  after: DeviceIdSchema.optional(),
});

export interface DeviceView {
  id: string;
  tags: Record<string, string>;
  metadata: Record<string, unknown>;
  createdAt: number;
  lastSeenAt: number | null;
}

@Controller('api/v1/devices')
export class DevicesController {
  constructor(
    private readonly devices: DevicesRepository,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  /** The tenant's registered devices, by id, `limit` at a time; pass `next` as `after` to page on. */
  @Get()
  @RequireScope('read')
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: Record<string, unknown>,
  ): Promise<{ devices: DeviceView[]; next: string | null }> {
    const parsed = ListQuerySchema.safeParse(query);
    if (!parsed.success) {
      throw new ApiError(
        400,
        'invalid_query',
        'invalid query parameters',
        formatIssues(parsed.error),
      );
    }
    const { limit, after } = parsed.data;
    const records = await this.devices.list({
      tenant: principal.tenant,
      ids: principal.deviceIds,
      limit,
      after,
    });
    const devices = records.map((record) => ({
      id: record.id,
      tags: record.tags,
      metadata: record.metadata,
      createdAt: record.createdAt.getTime(),
      lastSeenAt: record.lastSeenAt?.getTime() ?? null,
    }));
    return { devices, next: devices.length === limit ? devices[devices.length - 1].id : null };
  }

  /** Latest value per metric from the speed layer (Redis). */
  @Get(':id/latest')
  @RequireScope('read')
  async latest(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<{ device: string; readings: Array<{ metric: string; time: number; value: number }> }> {
    if (!mayAccessDevice(principal, id)) throw AuthError.deviceNotAllowed(id, 'id');
    // Another tenant's device is indistinguishable from a missing one: existence is not disclosed.
    const device = await this.devices.find(principal.tenant, id);
    if (device === undefined) {
      throw new ApiError(
        404,
        'device_not_found',
        `device "${id}" is not registered for this tenant`,
        [{ path: 'id', message: 'unknown device', value: id }],
      );
    }
    return { device: id, readings: await readLatest(this.redis, principal.tenant, id) };
  }
}
