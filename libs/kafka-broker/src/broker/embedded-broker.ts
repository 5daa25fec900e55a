import pino, { Logger } from 'pino';
import type { Registry } from 'prom-client';

import { GroupCoordinator, GroupDescription } from '../group/group-coordinator';
import { BrokerMetrics } from '../metrics/broker.metrics';
import { KafkaServer } from '../server/kafka-server';
import { CommittedOffsetStore, FsyncPolicy, LogManager, TopicConfig } from '../storage';
import { AppendNotifier } from './append-notifier';
import { BrokerDeps } from './broker-deps';
import { createRequestRouter } from './request-router';

export interface BrokerOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to bind (default 127.0.0.1; 0.0.0.0 for every interface). */
  host?: string;
  dataDir: string;
  /** Host advertised in Metadata/FindCoordinator (default: the address each client connected to). */
  advertisedHost?: string;
  nodeId?: number;
  /** Partitions of auto-created topics and of CreateTopics with -1 (default 6). */
  defaultPartitions?: number;
  /** Create unknown topics on Metadata requests (default true, as Kafka's auto.create.topics.enable). */
  autoCreateTopics?: boolean;
  /** Larger request frames close the connection (default 100 MiB). */
  maxFrameBytes?: number;
  /** Default: fsync before acknowledging every append (a single node has no replicas to lean on). */
  fsync?: FsyncPolicy;
  /** Defaults for new topics (default: 7 days retention, no size limit, 1 GiB segments). */
  topicDefaults?: Partial<TopicConfig>;
  /** How often retention is applied (default 5 minutes, Kafka's log.retention.check.interval.ms). */
  retentionCheckIntervalMs?: number;
  /**
   * Committed offsets of a group without members expire this long after its last commit (default
   * 7 days, Kafka's offsets.retention.minutes); checked with retention. null keeps them forever.
   */
  offsetsRetentionMs?: number | null;
  /** How long stop() lets connections finish accepted requests (default 5 s). */
  shutdownTimeoutMs?: number;
  logger?: Logger;
}

export interface EmbeddedBroker {
  /** "host:port", usable as a kafkajs broker address. */
  readonly address: string;
  readonly host: string;
  readonly port: number;
  readonly metricsRegistry: Registry;
  /** The coordinator's view of a consumer group (for tests and diagnostics). */
  describeGroup(groupId: string): GroupDescription | undefined;
  /** Stops accepting, answers accepted requests, closes connections and storage. Idempotent. */
  stop(): Promise<void>;
}

const MiB = 1024 * 1024;
const DEFAULT_OFFSETS_RETENTION_MS = 7 * 24 * 3600 * 1000;
const DEFAULT_TOPIC_CONFIG: TopicConfig = {
  retentionMs: 7 * 24 * 3600 * 1000,
  retentionBytes: null,
  segmentBytes: 1024 * MiB,
};

/** Opens the data directory, recovers every partition, and starts listening. */
export async function startBroker(opts: BrokerOptions): Promise<EmbeddedBroker> {
  const logger = opts.logger ?? pino({ name: 'kafka-broker' });
  const fsync = opts.fsync ?? { mode: 'always' };
  const bindHost = opts.host ?? '127.0.0.1';
  const logs = await LogManager.open({
    dataDir: opts.dataDir,
    defaultPartitions: opts.defaultPartitions ?? 6,
    fsync,
    defaultTopicConfig: { ...DEFAULT_TOPIC_CONFIG, ...opts.topicDefaults },
    onRecovery: (event) => logger.warn({ recovery: event }, 'repaired partition log on open'),
    onFlushError: (err) => logger.error({ err }, 'interval fsync failed'),
  });
  let offsets: CommittedOffsetStore;
  try {
    offsets = await CommittedOffsetStore.open(opts.dataDir, fsync);
  } catch (err) {
    await logs.close();
    throw err;
  }
  const metrics = new BrokerMetrics(logs);
  const groups = new GroupCoordinator({
    listener: {
      rebalanceStarted: (groupId, reason) => {
        metrics.rebalanceStarted(groupId);
        logger.info({ groupId, reason }, 'group rebalance started');
      },
      generationFormed: (groupId, generationId, memberIds) =>
        logger.info(
          { groupId, generationId, members: memberIds.length },
          'group generation formed',
        ),
      memberRemoved: (groupId, memberId, reason) =>
        logger.info({ groupId, memberId, reason }, 'group member removed'),
    },
  });
  const deps: BrokerDeps = {
    identity: {
      nodeId: opts.nodeId ?? 0,
      advertisedHost: opts.advertisedHost,
      port: 0,
      clusterId: 'sluice-embedded',
    },
    autoCreateTopics: opts.autoCreateTopics ?? true,
    logs,
    offsets,
    groups,
    appends: new AppendNotifier(),
    metrics,
    logger,
    lifecycle: { stopping: false },
  };
  const server = new KafkaServer(
    createRequestRouter(deps),
    {
      maxFrameBytes: opts.maxFrameBytes ?? 100 * MiB,
      maxInFlightRequests: 128,
      maxPendingWriteBytes: 64 * MiB,
    },
    logger,
    {
      connectionOpened: () => metrics.connectionOpened(),
      connectionClosed: (reason) => metrics.connectionClosed(reason),
    },
  );
  let bound: { host: string; port: number };
  try {
    bound = await server.listen(opts.port ?? 0, bindHost);
  } catch (err) {
    groups.shutdown();
    await Promise.all([logs.close(), offsets.close()]);
    throw err;
  }
  deps.identity.port = bound.port;
  const offsetsRetentionMs =
    opts.offsetsRetentionMs === undefined ? DEFAULT_OFFSETS_RETENTION_MS : opts.offsetsRetentionMs;
  const retention = startRetention(
    async () => {
      const segmentsDeleted = await logs.applyRetention();
      if (segmentsDeleted > 0) logger.info({ segmentsDeleted }, 'retention applied');
      if (offsetsRetentionMs === null) return;
      const expired = await expireIdleGroups(offsets, groups, Date.now() - offsetsRetentionMs);
      if (expired.length > 0)
        logger.info(
          { groups: expired, offsetsRetentionMs },
          'committed offsets of idle groups expired',
        );
    },
    opts.retentionCheckIntervalMs ?? 5 * 60_000,
    logger,
  );
  const host = opts.advertisedHost ?? (isWildcard(bindHost) ? '127.0.0.1' : bindHost);
  const address = `${host.includes(':') ? `[${host}]` : host}:${bound.port}`;
  logger.info(
    { address, bind: `${bound.host}:${bound.port}`, dataDir: opts.dataDir, fsync },
    'kafka broker listening',
  );

  let stopping: Promise<void> | null = null;
  const stop = async (): Promise<void> => {
    deps.lifecycle.stopping = true;
    clearInterval(retention.timer);
    const listenerClosed = server.stopAccepting();
    deps.appends.wakeAll();
    groups.shutdown();
    const shutdownTimeoutMs = opts.shutdownTimeoutMs ?? 5_000;
    await server.drainConnections(shutdownTimeoutMs);
    await server.awaitClosed(listenerClosed, shutdownTimeoutMs);
    await retention.idle();
    await Promise.all([logs.close(), offsets.close()]);
    logger.info({ address }, 'kafka broker stopped');
  };

  return {
    address,
    host,
    port: bound.port,
    metricsRegistry: metrics.registry,
    describeGroup: (groupId) => groups.describe(groupId),
    stop: () => (stopping ??= stop()),
  };
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

/**
 * Expires the committed offsets of groups that have neither committed nor had a member since
 * `cutoffMs`, and forgets those groups; returns their ids.
 */
export async function expireIdleGroups(
  offsets: CommittedOffsetStore,
  groups: GroupCoordinator,
  cutoffMs: number,
): Promise<string[]> {
  const expired = offsets
    .groupsLastCommittedBefore(cutoffMs)
    .filter((groupId) => groups.forgetIfEmptySince(groupId, cutoffMs));
  await offsets.expireGroups(expired);
  return expired;
}

/** Periodic retention; a run never overlaps the previous one, and stop waits for the current one. */
function startRetention(
  apply: () => Promise<void>,
  intervalMs: number,
  logger: Logger,
): { timer: NodeJS.Timeout; idle: () => Promise<void> } {
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = apply()
      .catch((err: unknown) => logger.error({ err }, 'retention failed'))
      .finally(() => (running = null));
  }, intervalMs);
  timer.unref();
  return { timer, idle: async () => void (await running) };
}
