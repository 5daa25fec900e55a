import type { Logger } from 'pino';

import type { GroupCoordinator } from '../group/group-coordinator';
import type { BrokerMetrics } from '../metrics/broker.metrics';
import type { CommittedOffsetStore, LogManager } from '../storage';
import type { AppendNotifier } from './append-notifier';

/** How the broker names itself to clients (Metadata, FindCoordinator). */
export interface BrokerIdentity {
  nodeId: number;
  /** Fixed host to advertise; when unset, the address each client connected to. */
  advertisedHost: string | undefined;
  /** The bound port, known once listening. */
  port: number;
  clusterId: string;
}

/** Everything request handlers share. */
export interface BrokerDeps {
  identity: BrokerIdentity;
  autoCreateTopics: boolean;
  logs: LogManager;
  offsets: CommittedOffsetStore;
  groups: GroupCoordinator;
  appends: AppendNotifier;
  metrics: BrokerMetrics;
  logger: Logger;
  /** Set when stop() begins: long-polls answer at once instead of parking. */
  lifecycle: { stopping: boolean };
}
