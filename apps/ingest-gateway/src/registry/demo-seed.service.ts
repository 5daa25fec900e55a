import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { hashApiKey } from '../auth/api-key';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { ApiKeysRepository } from './api-keys.repository';
import { DevicesRepository } from './devices.repository';
import { TenantsRepository } from './tenants.repository';

export const DEMO_TENANT = 'demo';
export const DEMO_KEY_ID = 'demo-default';

const ROOMS_PER_SITE = 10;

/**
 * The simulator's device `i`: same rule as the simulator's fleet (apps/simulator/src/fleet/fleet.ts);
 * apps cannot share code, and the rule is the contract between the two.
 */
export function demoDeviceIdentity(index: number): { id: string; tags: Record<string, string> } {
  return {
    id: `sim-${String(index).padStart(3, '0')}`,
    tags: {
      site: `site-${Math.ceil(index / ROOMS_PER_SITE)}`,
      room: `room-${String(((index - 1) % ROOMS_PER_SITE) + 1).padStart(2, '0')}`,
      kind: 'climate-node',
    },
  };
}

/**
 * With SEED_DEMO=true, makes sure tenant `demo`, its API key (DEMO_API_KEY) and the simulator's
 * devices exist. Idempotent and safe when several gateway replicas start at once.
 */
@Injectable()
export class DemoSeedService implements OnModuleInit {
  private readonly logger = new Logger(DemoSeedService.name);

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly tenants: TenantsRepository,
    private readonly apiKeys: ApiKeysRepository,
    private readonly devices: DevicesRepository,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.SEED_DEMO) return;
    await this.tenants.upsert(DEMO_TENANT, 'Demo');
    await this.apiKeys.upsert({
      id: DEMO_KEY_ID,
      tenant: DEMO_TENANT,
      keyHash: hashApiKey(this.config.DEMO_API_KEY),
      name: 'demo key (SEED_DEMO)',
      scopes: ['read', 'write', 'admin'],
      deviceIds: null,
    });
    for (let index = 1; index <= this.config.SEED_DEMO_DEVICES; index++) {
      const { id, tags } = demoDeviceIdentity(index);
      await this.devices.seed(DEMO_TENANT, id, tags);
    }
    this.logger.log({
      msg: 'demo tenant seeded',
      tenant: DEMO_TENANT,
      keyId: DEMO_KEY_ID,
      devices: this.config.SEED_DEMO_DEVICES,
    });
  }
}
