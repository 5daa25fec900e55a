import { randomBytes } from 'node:crypto';
import { DeviceIdSchema, TagsSchema, TenantIdSchema, formatIssues } from '@sluice/contracts';
import { z } from 'zod';
import { generateApiKey, hashApiKey } from '../auth/api-key';
import { ApiError } from '../http/api-error';
import type { ApiKeySummary, ApiKeysRepository } from '../registry/api-keys.repository';
import type { DevicesRepository } from '../registry/devices.repository';
import type { TenantRecord, TenantsRepository } from '../registry/tenants.repository';

export const NewTenantSchema = z.object({
  id: TenantIdSchema,
  name: z.string().min(1).max(200).optional(),
});

export const DeviceBodySchema = z.object({
  tags: TagsSchema.default({}),
  metadata: z.record(z.string(), z.unknown()).default({}),
});

export const NewDeviceSchema = DeviceBodySchema.extend({ id: DeviceIdSchema });

export const NewApiKeySchema = z.object({
  name: z.string().min(1).max(200),
  scopes: z
    .array(z.enum(['read', 'write', 'admin']))
    .min(1, 'must name at least one of read, write, admin'),
  /** Restrict the key to these devices; omitted or null = every device of the tenant. */
  deviceIds: z.array(DeviceIdSchema).min(1).nullable().optional(),
  rateLimitPerS: z.number().nonnegative().optional(),
  rateLimitBurst: z.number().positive().optional(),
});

export type NewApiKeyInput = z.input<typeof NewApiKeySchema>;

/** What the admin API and CLI show of a key: never the hash; the secret only in `CreatedApiKey`. */
export interface ApiKeyView {
  id: string;
  tenant: string;
  name: string;
  scopes: string[];
  deviceIds: string[] | null;
  rateLimitPerS: number | null;
  rateLimitBurst: number | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface CreatedApiKey extends ApiKeyView {
  /** The secret. Shown once: only its SHA-256 is stored. */
  key: string;
}

/**
 * Registry administration shared by the REST API (`/api/v1/admin/...`) and the CLI
 * (`npm run admin`): validation and the rules, over the registry repositories. Every operation on
 * devices and keys is scoped to one tenant; the REST layer passes the caller's.
 */
export class RegistryAdmin {
  constructor(
    private readonly tenants: TenantsRepository,
    private readonly devices: DevicesRepository,
    private readonly apiKeys: ApiKeysRepository,
  ) {}

  async listTenants(only?: string): Promise<TenantRecord[]> {
    if (only === undefined) return this.tenants.list();
    const tenant = await this.tenants.find(only);
    return tenant ? [tenant] : [];
  }

  async createTenant(input: unknown): Promise<TenantRecord> {
    const { id, name } = parse(NewTenantSchema, input);
    if (!(await this.tenants.create(id, name ?? id)))
      throw conflict('tenant_exists', `tenant "${id}" already exists`, 'id', id);
    return (await this.tenants.find(id)) as TenantRecord;
  }

  async upsertDevice(tenant: string, id: string, input: unknown) {
    await this.requireTenant(tenant);
    const device = parse(DeviceIdSchema, id, 'id');
    const { tags, metadata } = parse(DeviceBodySchema, input);
    await this.devices.upsert(tenant, device, tags, metadata);
    return this.devices.find(tenant, device);
  }

  async createDevice(tenant: string, input: unknown) {
    const { id, ...rest } = parse(NewDeviceSchema, input);
    if (await this.devices.find(tenant, id))
      throw conflict('device_exists', `device "${id}" already exists`, 'id', id);
    return this.upsertDevice(tenant, id, rest);
  }

  async deleteDevice(tenant: string, id: string): Promise<void> {
    if (!(await this.devices.delete(tenant, id)))
      throw new ApiError(
        404,
        'not_found',
        `device "${id}" is not registered for tenant "${tenant}"`,
      );
  }

  async listKeys(tenant: string | null): Promise<ApiKeyView[]> {
    return (await this.apiKeys.list(tenant)).map(toView);
  }

  async createKey(tenant: string, input: unknown): Promise<CreatedApiKey> {
    await this.requireTenant(tenant);
    const body = parse(NewApiKeySchema, input);
    const key = generateApiKey();
    const id = `key_${randomBytes(9).toString('base64url')}`;
    await this.apiKeys.create({
      id,
      tenant,
      keyHash: hashApiKey(key),
      name: body.name,
      scopes: [...new Set(body.scopes)],
      deviceIds: body.deviceIds ?? null,
      rateLimitPerS: body.rateLimitPerS ?? null,
      rateLimitBurst: body.rateLimitBurst ?? null,
    });
    const created = (await this.apiKeys.find(id)) as ApiKeySummary;
    return { ...toView(created), key };
  }

  /** Revokes a key of the tenant; takes effect within AUTH_CACHE_TTL_MS on every gateway. */
  async revokeKey(tenant: string, id: string): Promise<ApiKeyView> {
    const existing = await this.apiKeys.find(id);
    if (existing === undefined || existing.tenant !== tenant)
      throw new ApiError(404, 'not_found', `API key "${id}" does not exist for tenant "${tenant}"`);
    await this.apiKeys.revoke(id);
    return toView((await this.apiKeys.find(id)) as ApiKeySummary);
  }

  private async requireTenant(tenant: string): Promise<void> {
    if ((await this.tenants.find(tenant)) === undefined)
      throw new ApiError(404, 'not_found', `tenant "${tenant}" does not exist`, [
        { path: 'tenant', message: 'does not exist', value: tenant },
      ]);
  }
}

function parse<S extends z.ZodType>(schema: S, input: unknown, path?: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const details = formatIssues(parsed.error).map((detail) =>
    path === undefined ? detail : { ...detail, path },
  );
  throw new ApiError(400, 'validation_failed', `${details.length} invalid field(s)`, details);
}

function conflict(code: string, message: string, path: string, value: string): ApiError {
  return new ApiError(409, code, message, [{ path, message, value }]);
}

function toView(key: ApiKeySummary): ApiKeyView {
  return {
    id: key.id,
    tenant: key.tenant,
    name: key.name,
    scopes: key.scopes,
    deviceIds: key.deviceIds,
    rateLimitPerS: key.rateLimitPerS,
    rateLimitBurst: key.rateLimitBurst,
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
  };
}
