import { join } from 'node:path';
import { redisEnv } from '@sluice/config';
import { ALL_TOPICS, Topics } from '@sluice/contracts';
import { runMigrations } from '@sluice/db';
import { createKafka, ensureTopics } from '@sluice/kafka';
import { clearReplayFences } from '@sluice/speed-layer';
import Redis from 'ioredis';
import { findFreePort, isPortOpen } from './free-port';
import { ManagedProcess, REPO_ROOT } from './managed-process';
import { checkPostgres, checkRedis } from './preflight';
import { waitForHttpOk } from './readiness';
import { grpcAddressVariable, PIPELINE_SERVICES, serviceDefinition } from './service-catalog';

export interface PipelineOptions {
  /** Folder for the broker's data and the services' logs. */
  dataDir: string;
  databaseUrl: string;
  redisUrl: string;
  /** Real Kafka; when unset an embedded broker is started on `brokerPort`. */
  kafkaBrokers?: string;
  brokerPort?: number;
  /** Services to run (default: all, simulator included). */
  services?: string[];
  /** `fixed` uses each service's default port (for `npm start`); `ephemeral` picks free ones (tests). */
  ports?: 'fixed' | 'ephemeral';
  /** Environment for every service (merged over process.env), and per service. */
  env?: Record<string, string>;
  serviceEnv?: Record<string, Record<string, string>>;
  readyTimeoutMs?: number;
  onLine?: (service: string, line: string) => void;
  onStatus?: (message: string) => void;
}

export interface RunningService {
  name: string;
  port: number;
  url: string;
  /** host:port of its gRPC server, for services that serve gRPC. */
  grpcAddress?: string;
  process: ManagedProcess;
}

/**
 * Starts a whole Sluice pipeline as child processes: the shared entry point of `npm start`, the
 * end-to-end and crash tests and the benchmark, so all of them exercise the same start-up path.
 */
export class Pipeline {
  readonly services = new Map<string, RunningService>();
  broker: ManagedProcess | undefined;
  kafkaBrokers = '';
  /** gRPC port per gRPC-serving service, chosen before any service starts so all can be told. */
  private readonly grpcPorts = new Map<string, number>();

  constructor(readonly options: PipelineOptions) {}

  private status(message: string): void {
    this.options.onStatus?.(message);
  }

  async start(): Promise<void> {
    const { options } = this;
    this.status('checking PostgreSQL and Redis');
    await checkPostgres(options.databaseUrl);
    await checkRedis(options.redisUrl);

    if (options.kafkaBrokers) {
      this.kafkaBrokers = options.kafkaBrokers;
      this.status(`using Kafka at ${this.kafkaBrokers}`);
    } else {
      await this.startEmbeddedBroker();
    }

    this.status('running database migrations');
    await runMigrations(options.databaseUrl);

    const kafka = createKafka({
      brokers: this.kafkaBrokers.split(','),
      clientId: 'sluice-launcher',
    });
    const created = await ensureTopics(
      kafka,
      ALL_TOPICS.map((topic) => ({ topic })),
    );
    if (created.length > 0) this.status(`created topics ${created.join(', ')}`);
    if (created.includes(Topics.telemetryRaw)) await this.clearStaleReplayFences();

    const wanted = options.services ?? PIPELINE_SERVICES.map((service) => service.name);
    const gatewayPort = await this.portFor('ingest-gateway');
    for (const service of PIPELINE_SERVICES) {
      if (service.defaultGrpcPort === undefined || this.grpcPorts.has(service.name)) continue;
      this.grpcPorts.set(
        service.name,
        this.options.ports === 'fixed' ? service.defaultGrpcPort : await findFreePort(),
      );
    }
    // Consumers first (in parallel), then the gateway, then the simulator.
    const order = PIPELINE_SERVICES.filter((service) => wanted.includes(service.name));
    const consumers = order.filter((s) => s.name !== 'ingest-gateway' && s.name !== 'simulator');
    await Promise.all(consumers.map((service) => this.startService(service.name, gatewayPort)));
    if (wanted.includes('ingest-gateway')) await this.startService('ingest-gateway', gatewayPort);
    if (wanted.includes('simulator')) await this.startService('simulator', gatewayPort);
  }

  /**
   * telemetry.raw.v1 was just created, so its offsets start again from 0: replay fences that a
   * speed layer kept in Redis for an earlier incarnation of it (an earlier broker data directory, a
   * deleted topic) would make the aggregator drop every record below them as a replay.
   */
  private async clearStaleReplayFences(): Promise<void> {
    const keyPrefix = redisEnv.REDIS_KEY_PREFIX.parse(
      this.options.serviceEnv?.aggregator?.REDIS_KEY_PREFIX ??
        this.options.env?.REDIS_KEY_PREFIX ??
        process.env.REDIS_KEY_PREFIX,
    );
    const redis = new Redis(this.options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      const cleared = await clearReplayFences(redis, keyPrefix);
      if (cleared > 0)
        this.status(
          `${Topics.telemetryRaw} is new: cleared ${cleared} speed-layer replay fences left in Redis by an earlier Kafka log`,
        );
    } finally {
      redis.disconnect();
    }
  }

  private async startEmbeddedBroker(): Promise<void> {
    const port = this.options.brokerPort ?? (await findFreePort());
    const dataDir = join(this.options.dataDir, 'broker');
    this.status(`starting the embedded Kafka broker on 127.0.0.1:${port} (data in ${dataDir})`);
    const broker = new ManagedProcess({
      name: 'kafka-broker',
      entry: 'libs/kafka-broker/src/cli.ts',
      args: ['--port', String(port), '--data-dir', dataDir],
      // Set before the process starts: SWC's compile cache can start libuv's pool (4 threads by
      // default) before cli.ts runs, and fsync-per-batch needs more threads than that.
      env: {
        ...process.env,
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
        UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '16',
      },
      logFile: join(this.options.dataDir, 'logs', 'kafka-broker.log'),
      onLine: (line) => this.options.onLine?.('kafka-broker', line),
    });
    broker.start();
    this.broker = broker;
    this.kafkaBrokers = `127.0.0.1:${port}`;
    const exited = broker.unexpectedExit();
    exited.catch(() => undefined);
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 60_000);
    while (!(await isPortOpen('127.0.0.1', port))) {
      if (!broker.running) await exited;
      if (Date.now() > deadline)
        throw new Error(`the embedded broker did not listen on ${port} in time`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  private async portFor(name: string): Promise<number> {
    const existing = this.services.get(name);
    if (existing) return existing.port;
    return this.options.ports === 'fixed' ? serviceDefinition(name).defaultPort : findFreePort();
  }

  private async startService(name: string, gatewayPort: number): Promise<void> {
    const definition = serviceDefinition(name);
    const port = name === 'ingest-gateway' ? gatewayPort : await this.portFor(name);
    const grpcPort = this.grpcPorts.get(name);
    const grpcAddresses = Object.fromEntries(
      [...this.grpcPorts].map(([service, servicePort]) => [
        grpcAddressVariable(service),
        `127.0.0.1:${servicePort}`,
      ]),
    );
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...grpcAddresses,
      ...this.options.env,
      ...this.options.serviceEnv?.[name],
      ...(grpcPort === undefined ? {} : { GRPC_PORT: String(grpcPort) }),
      PORT: String(port),
      DATABASE_URL: this.options.databaseUrl,
      REDIS_URL: this.options.redisUrl,
      KAFKA_BROKERS: this.kafkaBrokers,
      GATEWAY_URL: `http://127.0.0.1:${gatewayPort}`,
    };
    const managed = new ManagedProcess({
      name,
      entry: definition.entry,
      nodeArgs: definition.nodeArgs,
      env,
      logFile: join(this.options.dataDir, 'logs', `${name}.log`),
      onLine: (line) => this.options.onLine?.(name, line),
    });
    const service: RunningService = {
      name,
      port,
      url: `http://127.0.0.1:${port}`,
      grpcAddress: grpcPort === undefined ? undefined : `127.0.0.1:${grpcPort}`,
      process: managed,
    };
    this.services.set(name, service);
    await this.launch(service);
  }

  private async launch(service: RunningService): Promise<void> {
    this.status(`starting ${service.name} on port ${service.port}`);
    service.process.start();
    const exited = service.process.unexpectedExit();
    exited.catch(() => undefined);
    await waitForHttpOk(`${service.url}/health/ready`, {
      timeoutMs: this.options.readyTimeoutMs ?? 60_000,
      abort: exited,
      what: service.name,
    });
  }

  service(name: string): RunningService {
    const service = this.services.get(name);
    if (!service) throw new Error(`service ${name} is not part of this pipeline`);
    return service;
  }

  /** Starts a stopped or killed service again with the same port and environment. */
  async restart(name: string): Promise<void> {
    const service = this.service(name);
    if (service.process.running) await service.process.stop();
    await this.launch(service);
  }

  /** Stops the services in reverse start order (producers first), then the broker. */
  async stop(graceMs = 30_000): Promise<void> {
    const running = [...this.services.values()].reverse();
    for (const service of running) {
      if (service.process.running) {
        this.status(`stopping ${service.name}`);
        await service.process.stop(graceMs);
      }
    }
    if (this.broker?.running) {
      this.status('stopping the embedded Kafka broker');
      await this.broker.stop(graceMs);
    }
  }
}

export { REPO_ROOT };
