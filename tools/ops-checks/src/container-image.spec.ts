import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Topics } from '@sluice/contracts';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { parse } from 'yaml';
import { paths, REPO_ROOT } from './repo-paths';

const APPS = readdirSync(join(REPO_ROOT, 'apps')).filter((app) =>
  existsSync(join(REPO_ROOT, 'apps', app, 'src/main.ts')),
);

describe('deploy/Dockerfile (parsed with dockerfile-ast)', () => {
  const dockerfile = DockerfileParser.parse(readFileSync(paths.dockerfile, 'utf8'));
  const instructions = dockerfile.getInstructions();
  const argDefaults = new Map(
    dockerfile.getARGs().flatMap((arg) => {
      const property = arg.getProperty();
      return property ? [[property.getName(), property.getValue() ?? ''] as const] : [];
    }),
  );
  const resolve = (text: string) =>
    text.replace(/\$\{?([A-Z_]+)\}?/g, (_, name: string) => argDefaults.get(name) ?? '');
  const froms = dockerfile.getFROMs();
  const finalStageStart = froms[froms.length - 1].getRange().start.line;
  const finalStage = instructions.filter((i) => i.getRange().start.line >= finalStageStart);
  const keyword = (i: Instruction) => i.getKeyword();

  it('parses without problems and builds in stages from a pinned Debian slim Node 20 image', () => {
    expect(froms.map((f) => f.getBuildStage())).toEqual(['build', 'runtime']);
    for (const from of froms) {
      const image = resolve(from.getImageName() ?? '');
      expect(image).toMatch(/^node:20\.\d+-bookworm-slim$/);
    }
  });

  it('installs with npm ci, compiles with SWC and drops dev dependencies', () => {
    const runs = instructions
      .filter((i) => keyword(i) === 'RUN')
      .map((i) => i.getArgumentsContent() ?? '');
    expect(runs.some((r) => /\bnpm ci\b/.test(r))).toBe(true);
    expect(
      runs.some((r) => /npx swc apps libs -d dist --config-file deploy\/\.swcrc/.test(r)),
    ).toBe(true);
    expect(runs.some((r) => /npm prune --omit=dev/.test(r))).toBe(true);
    expect(instructions.filter((i) => keyword(i) === 'ADD')).toEqual([]);
    for (const run of runs.filter((r) => r.includes('apt-get install'))) {
      expect(run).toContain('--no-install-recommends');
      expect(run).toContain('rm -rf /var/lib/apt/lists/*');
    }
  });

  it('ships only the built output and production node_modules in the runtime stage', () => {
    const fromBuild = finalStage
      .filter((i) => keyword(i) === 'COPY' && /--from=build/.test(i.getTextContent()))
      .map((i) => i.getArguments()[i.getArguments().length - 2].getValue());
    expect(fromBuild.sort()).toEqual(['/src/dist', '/src/node_modules', '/src/package.json']);
  });

  it('copies only files that exist in the repository', () => {
    const contextCopies = instructions
      .filter((i) => keyword(i) === 'COPY' && !/--from=/.test(i.getTextContent()))
      .flatMap((i) =>
        i
          .getArguments()
          .slice(0, -1)
          .map((a) => a.getValue()),
      )
      .filter((source) => !source.startsWith('--'));
    for (const source of contextCopies) {
      expect({ source, exists: existsSync(join(REPO_ROOT, source)) }).toEqual({
        source,
        exists: true,
      });
    }
  });

  it('runs as a non-root user, under tini, with a HEALTHCHECK', () => {
    const users = finalStage
      .filter((i) => keyword(i) === 'USER')
      .map((i) => i.getArgumentsContent());
    expect(users.length).toBeGreaterThan(0);
    expect(users[users.length - 1]).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
    const healthcheck = finalStage.find((i) => keyword(i) === 'HEALTHCHECK');
    expect(healthcheck?.getArgumentsContent()).toMatch(/CMD \[/);
    const entrypoint = finalStage.find((i) => keyword(i) === 'ENTRYPOINT');
    expect(JSON.parse(entrypoint?.getArgumentsContent() ?? '[]')).toEqual([
      '/usr/bin/tini',
      '--',
      '/app/deploy/entrypoint.sh',
    ]);
  });

  it('has an entrypoint that starts every app and the migrations by SERVICE', () => {
    const entrypoint = readFileSync(join(REPO_ROOT, 'deploy/docker/entrypoint.sh'), 'utf8');
    for (const app of APPS) expect(entrypoint).toContain(app);
    expect(entrypoint).toContain('dist/libs/db/src/cli.js');
    expect(existsSync(join(REPO_ROOT, 'libs/db/src/cli.ts'))).toBe(true);
  });
});

describe('deploy/compose.yaml', () => {
  interface ComposeService {
    image?: string;
    build?: { context: string; dockerfile: string };
    environment?: Record<string, string | number>;
    healthcheck?: { test: unknown };
    depends_on?: Record<string, { condition: string }>;
    volumes?: string[];
    read_only?: boolean;
    command?: string[] | string;
  }
  const compose = parse(readFileSync(paths.compose, 'utf8'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };
  const services = compose.services;
  const ONE_SHOTS = ['migrate', 'kafka-topics'];

  it('runs the backends, monitoring, the migrations and every app', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'kafka',
        'kafka-topics',
        'timescaledb',
        'redis',
        'prometheus',
        'grafana',
        'migrate',
        ...APPS,
      ].sort(),
    );
  });

  it('pins every image to a version (no latest, no bare names)', () => {
    for (const [name, service] of Object.entries(services)) {
      const image = service.image ?? '';
      const tag = image.slice(image.lastIndexOf(':') + 1);
      expect({ name, image, pinned: image.includes(':') && !/latest/.test(tag) }).toEqual({
        name,
        image,
        pinned: true,
      });
    }
  });

  it('uses Apache Kafka in KRaft mode, TimescaleDB on PostgreSQL 15 and Redis 7', () => {
    expect(services.kafka.image).toMatch(/^apache\/kafka:\d+\.\d+\.\d+$/);
    expect(String(services.kafka.environment?.KAFKA_PROCESS_ROLES)).toContain('controller');
    expect(services.timescaledb.image).toMatch(/^timescale\/timescaledb:[\d.]+-pg15$/);
    expect(services.redis.image).toMatch(/^redis:7\./);
  });

  it('creates every topic of the contracts', () => {
    const command = [services['kafka-topics'].command].flat().join('\n');
    for (const topic of Object.values(Topics)) expect(command).toContain(topic);
  });

  it('health-checks every long-running service', () => {
    const missing = Object.entries(services)
      .filter(([name, service]) => !ONE_SHOTS.includes(name) && service.healthcheck === undefined)
      .map(([name]) => name);
    expect(missing).toEqual([]);
  });

  it('builds every app from deploy/Dockerfile, picks it with SERVICE, read-only, after the migrations', () => {
    for (const app of APPS) {
      const service = services[app];
      expect(service.build).toEqual({ context: '..', dockerfile: 'deploy/Dockerfile' });
      expect(service.image).toMatch(/^sluice:\$\{SLUICE_TAG:-\d+\.\d+\.\d+\}$/);
      expect(service.environment?.SERVICE).toBe(app);
      expect(service.read_only).toBe(true);
    }
    for (const app of APPS.filter((a) => a !== 'simulator')) {
      expect(services[app].depends_on?.migrate).toEqual({
        condition: 'service_completed_successfully',
      });
    }
    expect(services.migrate.environment?.SERVICE).toBe('migrate');
  });

  it('mounts only configuration that exists in deploy/', () => {
    for (const service of Object.values(services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0];
        if (source.startsWith('./'))
          expect(existsSync(join(REPO_ROOT, 'deploy', source))).toBe(true);
      }
    }
  });
});
