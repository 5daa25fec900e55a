import { Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { LogManager } from '../storage';

/**
 * The broker's Prometheus metrics, on a registry of its own so an embedding service's
 * `/metrics` can merge it (or not) without name clashes in the global registry.
 */
export class BrokerMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'api' | 'error_code'>;
  private readonly requestChildren = new Map<
    string,
    { count: Counter.Internal; duration: Histogram.Internal<'api'> }
  >();
  private readonly requestDuration: Histogram<'api'>;
  private readonly bytesIn: Counter<'topic'>;
  private readonly recordsIn: Counter<'topic'>;
  private readonly bytesOut: Counter<'topic'>;
  private readonly recordsOut: Counter<'topic'>;
  private readonly rebalances: Counter<'group'>;
  private readonly connections: Gauge;
  private readonly parkedFetches: Gauge;
  private readonly connectionsClosed: Counter<'reason'>;

  constructor(logs: LogManager) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'kafka_broker_requests_total',
      help: 'Requests answered, by API and by the first non-zero error code in the response (0 = none)',
      labelNames: ['api', 'error_code'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'kafka_broker_request_duration_seconds',
      help: 'Time from request decoded to response ready, including long-poll and join waits',
      labelNames: ['api'],
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers,
    });
    this.bytesIn = new Counter({
      name: 'kafka_broker_produced_bytes_total',
      help: 'Record batch bytes appended',
      labelNames: ['topic'],
      registers,
    });
    this.recordsIn = new Counter({
      name: 'kafka_broker_produced_records_total',
      help: 'Records appended (from batch headers)',
      labelNames: ['topic'],
      registers,
    });
    this.bytesOut = new Counter({
      name: 'kafka_broker_fetched_bytes_total',
      help: 'Record batch bytes returned by Fetch',
      labelNames: ['topic'],
      registers,
    });
    this.recordsOut = new Counter({
      name: 'kafka_broker_fetched_records_total',
      help: 'Records returned by Fetch (from batch headers)',
      labelNames: ['topic'],
      registers,
    });
    this.rebalances = new Counter({
      name: 'kafka_broker_group_rebalances_total',
      help: 'Consumer group rebalances started',
      labelNames: ['group'],
      registers,
    });
    this.connections = new Gauge({
      name: 'kafka_broker_open_connections',
      help: 'Client connections currently open',
      registers,
    });
    this.parkedFetches = new Gauge({
      name: 'kafka_broker_parked_fetches',
      help: 'Fetch requests long-polling for data right now',
      registers,
    });
    this.connectionsClosed = new Counter({
      name: 'kafka_broker_connections_closed_total',
      help: 'Client connections closed, by reason (client, frame-size, request-error, ...)',
      labelNames: ['reason'],
      registers,
    });
    // Offsets are read from the logs at scrape time: nothing to update on the produce path.
    new Gauge({
      name: 'kafka_broker_log_end_offset',
      help: 'Log end offset (high watermark) per topic-partition',
      labelNames: ['topic', 'partition'],
      registers,
      collect() {
        this.reset();
        forEachPartition(logs, (topic, partition, end) => this.set({ topic, partition }, end));
      },
    });
    new Gauge({
      name: 'kafka_broker_log_start_offset',
      help: 'Log start offset per topic-partition (advances with retention)',
      labelNames: ['topic', 'partition'],
      registers,
      collect() {
        this.reset();
        forEachPartition(logs, (topic, partition, _end, start) =>
          this.set({ topic, partition }, start),
        );
      },
    });
  }

  requestCompleted(api: string, errorCode: number, seconds: number): void {
    // Label children are cached: resolving labels costs more than the increment itself.
    const key = `${api}/${errorCode}`;
    let request = this.requestChildren.get(key);
    if (!request) {
      request = {
        count: this.requests.labels(api, String(errorCode)),
        duration: this.requestDuration.labels(api),
      };
      this.requestChildren.set(key, request);
    }
    request.count.inc();
    request.duration.observe(seconds);
  }

  produced(topic: string, bytes: number, records: number): void {
    this.bytesIn.inc({ topic }, bytes);
    this.recordsIn.inc({ topic }, records);
  }

  fetched(topic: string, bytes: number, records: number): void {
    this.bytesOut.inc({ topic }, bytes);
    this.recordsOut.inc({ topic }, records);
  }

  fetchParked(): void {
    this.parkedFetches.inc();
  }

  fetchUnparked(): void {
    this.parkedFetches.dec();
  }

  rebalanceStarted(group: string): void {
    this.rebalances.inc({ group });
  }

  connectionOpened(): void {
    this.connections.inc();
  }

  connectionClosed(reason: string): void {
    this.connections.dec();
    this.connectionsClosed.inc({ reason });
  }
}

function forEachPartition(
  logs: LogManager,
  visit: (topic: string, partition: string, end: number, start: number) => void,
): void {
  for (const t of logs.listTopics()) {
    for (let p = 0; p < t.partitions; p++) {
      const log = logs.partition(t.name, p);
      if (log) visit(t.name, String(p), Number(log.logEndOffset), Number(log.logStartOffset));
    }
  }
}
