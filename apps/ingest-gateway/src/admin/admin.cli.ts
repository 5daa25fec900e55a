import { parseArgs } from 'node:util';
import { createPgPool } from '@sluice/db';
import { ApiError } from '../http/api-error';
import { ApiKeysRepository } from '../registry/api-keys.repository';
import { DevicesRepository } from '../registry/devices.repository';
import { TenantsRepository } from '../registry/tenants.repository';
import { RegistryAdmin } from './registry-admin';

const USAGE = `npm run admin -- <command>   (DATABASE_URL, DATABASE_SCHEMA from the environment)

  tenant list
  tenant create <id> [--name <name>]
  device list --tenant <t>
  device create <id> --tenant <t> [--tag k=v ...] [--metadata '<json>']
  device delete <id> --tenant <t>
  key list [--tenant <t>]
  key create --tenant <t> --scopes write[,read,admin] [--name <n>] [--devices d1,d2]
             [--rate <readings/s>] [--burst <readings>]
  key revoke <id> --tenant <t>

Output is JSON. "key create" prints the secret once ("key"); only its hash is stored.`;

/** The registry CLI: the same RegistryAdmin as the REST API, straight against PostgreSQL. */
export async function runAdminCli(argv: string[], env: NodeJS.ProcessEnv): Promise<unknown> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      tenant: { type: 'string' },
      name: { type: 'string' },
      scopes: { type: 'string' },
      devices: { type: 'string' },
      tag: { type: 'string', multiple: true },
      metadata: { type: 'string' },
      rate: { type: 'string' },
      burst: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [noun, verb, id] = positionals;
  if (values.help || noun === undefined || verb === undefined) throw new UsageError();
  const pool = createPgPool({
    url: env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    max: 1,
    schema: env['DATABASE_SCHEMA'],
  });
  const admin = new RegistryAdmin(
    new TenantsRepository(pool),
    new DevicesRepository(pool),
    new ApiKeysRepository(pool),
  );
  const tenant = () => {
    if (values.tenant === undefined) throw new UsageError('--tenant is required');
    return values.tenant;
  };
  const need = (value: string | undefined, what: string) => {
    if (value === undefined) throw new UsageError(`${what} is required`);
    return value;
  };
  try {
    switch (`${noun} ${verb}`) {
      case 'tenant list':
        return await admin.listTenants();
      case 'tenant create':
        return await admin.createTenant({ id: need(id, '<id>'), name: values.name });
      case 'device list':
        return await new DevicesRepository(pool).list({ tenant: tenant(), ids: null, limit: 1000 });
      case 'device create':
        return await admin.createDevice(tenant(), {
          id: need(id, '<id>'),
          tags: Object.fromEntries((values.tag ?? []).map(splitTag)),
          metadata: values.metadata === undefined ? {} : JSON.parse(values.metadata),
        });
      case 'device delete':
        await admin.deleteDevice(tenant(), need(id, '<id>'));
        return { deleted: id };
      case 'key list':
        return await admin.listKeys(values.tenant ?? null);
      case 'key create':
        return await admin.createKey(tenant(), {
          name: values.name ?? 'cli key',
          scopes: need(values.scopes, '--scopes').split(','),
          deviceIds: values.devices?.split(','),
          rateLimitPerS: values.rate === undefined ? undefined : Number(values.rate),
          rateLimitBurst: values.burst === undefined ? undefined : Number(values.burst),
        });
      case 'key revoke':
        return await admin.revokeKey(tenant(), need(id, '<id>'));
      default:
        throw new UsageError(`unknown command "${noun} ${verb}"`);
    }
  } finally {
    await pool.end();
  }
}

export class UsageError extends Error {
  constructor(problem?: string) {
    super(problem ? `${problem}\n\n${USAGE}` : USAGE);
    this.name = 'UsageError';
  }
}

function splitTag(pair: string): [string, string] {
  const equals = pair.indexOf('=');
  if (equals <= 0) throw new UsageError(`--tag must be key=value (got "${pair}")`);
  return [pair.slice(0, equals), pair.slice(equals + 1)];
}

if (require.main === module) {
  runAdminCli(process.argv.slice(2), process.env).then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    },
    (error: unknown) => {
      if (error instanceof ApiError) {
        const details = error.details.map((d) => `\n  ${d.path}: ${d.message}`).join('');
        process.stderr.write(`error: ${error.code}: ${error.message}${details}\n`);
      } else {
        process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      }
      process.exitCode = error instanceof UsageError ? 64 : 1;
    },
  );
}
