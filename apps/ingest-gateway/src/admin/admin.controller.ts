import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Put,
  Query,
} from '@nestjs/common';
import { DeviceIdSchema } from '@sluice/contracts';
import { z } from 'zod';
import type { Principal } from '../auth/api-key';
import { AuthError } from '../auth/auth.errors';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { RequireScope } from '../auth/require-scope.decorator';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { ApiError } from '../http/api-error';
import { DevicesRepository } from '../registry/devices.repository';
import { RegistryAdmin, type ApiKeyView, type CreatedApiKey } from './registry-admin';

const DeviceListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  after: DeviceIdSchema.optional(),
});

/**
 * Registry administration for `admin`-scoped keys, always within the key's own tenant. Creating
 * tenants is for keys of the platform tenant (`ADMIN_PLATFORM_TENANT`) only; otherwise use the CLI.
 *
 * - `GET /api/v1/admin/tenants` → `{tenants:[{id,name,createdAt}]}` (own tenant; all for the platform tenant)
 * - `POST /api/v1/admin/tenants` `{id,name?}` → 201 tenant; 409 `tenant_exists`
 * - `GET /api/v1/admin/devices?limit=&after=` → `{devices:[{id,tags,metadata,createdAt,lastSeenAt}],next}`
 * - `POST /api/v1/admin/devices` `{id,tags?,metadata?}` → 201 device; 409 `device_exists`
 * - `PUT /api/v1/admin/devices/:id` `{tags?,metadata?}` → 200 device (created or replaced)
 * - `DELETE /api/v1/admin/devices/:id` → 204; 404
 * - `GET /api/v1/admin/keys` → `{keys:[ApiKeyView]}` (never a hash or secret)
 * - `POST /api/v1/admin/keys` `{name,scopes:["read"|"write"|"admin"],deviceIds?,rateLimitPerS?,rateLimitBurst?}`
 *   → 201 `ApiKeyView & {key}` — the secret, shown this once
 * - `POST /api/v1/admin/keys/:id/revoke` → 200 `ApiKeyView` with `revokedAt` (effective within AUTH_CACHE_TTL_MS)
 */
@Controller('api/v1/admin')
@RequireScope('admin')
export class AdminController {
  constructor(
    private readonly admin: RegistryAdmin,
    private readonly devices: DevicesRepository,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  @Get('tenants')
  async tenants(@CurrentPrincipal() principal: Principal) {
    const tenants = await this.admin.listTenants(
      this.isPlatform(principal) ? undefined : principal.tenant,
    );
    return { tenants };
  }

  @Post('tenants')
  @HttpCode(201)
  createTenant(@CurrentPrincipal() principal: Principal, @Body() body: unknown) {
    if (!this.isPlatform(principal))
      throw AuthError.otherTenant(
        typeof (body as { id?: unknown } | null)?.id === 'string'
          ? (body as { id: string }).id
          : '(new tenant)',
        'id',
      );
    return this.admin.createTenant(body);
  }

  @Get('devices')
  async listDevices(@CurrentPrincipal() principal: Principal, @Query() query: unknown) {
    const parsed = DeviceListQuery.safeParse(query);
    if (!parsed.success) throw new ApiError(400, 'invalid_query', 'invalid query parameters');
    const { limit, after } = parsed.data;
    const records = await this.devices.list({ tenant: principal.tenant, ids: null, limit, after });
    return {
      devices: records,
      next: records.length === limit ? records[records.length - 1].id : null,
    };
  }

  @Post('devices')
  @HttpCode(201)
  createDevice(@CurrentPrincipal() principal: Principal, @Body() body: unknown) {
    return this.admin.createDevice(principal.tenant, body);
  }

  @Put('devices/:id')
  putDevice(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    return this.admin.upsertDevice(principal.tenant, id, body ?? {});
  }

  @Delete('devices/:id')
  @HttpCode(204)
  async deleteDevice(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    await this.admin.deleteDevice(principal.tenant, id);
  }

  @Get('keys')
  async listKeys(@CurrentPrincipal() principal: Principal): Promise<{ keys: ApiKeyView[] }> {
    return { keys: await this.admin.listKeys(principal.tenant) };
  }

  @Post('keys')
  @HttpCode(201)
  createKey(
    @CurrentPrincipal() principal: Principal,
    @Body() body: unknown,
  ): Promise<CreatedApiKey> {
    return this.admin.createKey(principal.tenant, body);
  }

  @Post('keys/:id/revoke')
  @HttpCode(200)
  revokeKey(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<ApiKeyView> {
    return this.admin.revokeKey(principal.tenant, id);
  }

  private isPlatform(principal: Principal): boolean {
    return (
      this.config.ADMIN_PLATFORM_TENANT !== undefined &&
      principal.tenant === this.config.ADMIN_PLATFORM_TENANT
    );
  }
}
