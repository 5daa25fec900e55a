import { waitFor } from '@sluice/testing';
import { E2eEnvironment } from '../support/e2e-environment';
import { chunk, generateReadings } from '../support/reading-fixtures';
import { PrometheusServer } from './prometheus-server';

// Starts a whole pipeline plus a Prometheus server: a minute or two on a loaded machine.
jest.setTimeout(240_000);

const SERVICES = [
  'stream-transformer',
  'aggregator',
  'actuator-controller',
  'notifier',
  'ingest-gateway',
] as const;
const CONSUMERS = SERVICES.filter((service) => service !== 'ingest-gateway');
const DEVICES = 50;
const READINGS_PER_DEVICE = 20;
const N = DEVICES * READINGS_PER_DEVICE;

/**
 * Issue 9, acceptance 1: a real Prometheus server scrapes every running service; after traffic
 * drained, the catalog's key series answer with the numbers the test itself produced.
 */
describe('Prometheus scraping the running pipeline', () => {
  const env = new E2eEnvironment();
  const prometheus = new PrometheusServer();

  beforeAll(async () => {
    PrometheusServer.requireBinary();
    await env.start({
      services: [...SERVICES],
      // Lag measured every second from committed offsets, so the drained figure shows quickly.
      serviceEnv: Object.fromEntries(
        SERVICES.map((service) => [service, { KAFKA_LAG_REFRESH_MS: '1000' }]),
      ),
    });
    await prometheus.start(
      SERVICES.map((service) => ({
        service,
        address: `127.0.0.1:${env.pipeline.service(service).port}`,
      })),
    );
  });

  afterAll(async () => {
    await prometheus.stop();
    await env.stop();
  });

  async function sum(promql: string): Promise<number | undefined> {
    return prometheus.scalar(`sum(${promql})`);
  }

  it('reports up, ingest counts, e2e latency counts equal to the readings sent, and zero lag after drain', async () => {
    await waitFor(
      async () => (await prometheus.query('up{job="sluice"} == 1')).length === SERVICES.length,
      { timeoutMs: 30_000, message: 'every service scraped successfully (up == 1)' },
    );

    // One reading per device per request, so every Kafka record carries exactly one reading and
    // per-record series (latencies, consumed records) must count N as well.
    const now = Date.now();
    const readings = generateReadings({
      devices: Array.from({ length: DEVICES }, (_, i) => `prom-${i}`),
      metrics: ['temperature'],
      perSeries: READINGS_PER_DEVICE,
      fromMs: now - 120_000,
      toMs: now,
    });
    expect(readings).toHaveLength(N);
    for (const request of chunk(readings, DEVICES)) {
      expect((await env.postReadings(request)).status).toBe(202);
    }

    // Drained: every reading stored, and Prometheus has scraped the final figures.
    await waitFor(
      async () => {
        const { rows } = await env.pool.query<{ n: string }>(
          "SELECT count(*) AS n FROM readings WHERE device LIKE 'prom-%'",
        );
        return Number(rows[0].n) === N || undefined;
      },
      { timeoutMs: 60_000, message: `${N} readings stored` },
    );
    // Each service is scraped on its own schedule, so the drained figures arrive one target at a
    // time: wait until every step's counter and the lag have been scraped at their final values.
    const expectedCounters = { accepted: N, rawConsumed: N, clean: N, stored: N, applied: N };
    const processingCounters = async () => ({
      accepted: await sum('sluice_gateway_readings_accepted_total'),
      rawConsumed: await sum('sluice_kafka_consumed_records_total{group="stream-transformer"}'),
      clean: await sum('sluice_transformer_readings_processed_total'),
      stored: await sum('sluice_raw_sink_rows_inserted_total'),
      applied: await sum('sluice_speed_layer_readings_applied_total'),
    });
    let lastCounters: Awaited<ReturnType<typeof processingCounters>> | undefined;
    await waitFor(
      async () => {
        lastCounters = await processingCounters();
        return (
          JSON.stringify(lastCounters) === JSON.stringify(expectedCounters) &&
          (await sum('sluice_pipeline_ingest_latency_seconds_count{stage="stored"}')) === N &&
          (await prometheus.scalar('max(sluice_kafka_consumer_lag_records)')) === 0
        );
      },
      { timeoutMs: 30_000, message: 'Prometheus scraped the drained pipeline' },
    ).catch((error: unknown) => {
      // Show which step fell short rather than only "timed out".
      expect(lastCounters).toEqual(expectedCounters);
      throw error;
    });

    const up = await prometheus.query('up{job="sluice"}');
    expect(Object.fromEntries(up.map((s) => [s.labels.service, s.value]))).toEqual(
      Object.fromEntries(SERVICES.map((service) => [service, 1])),
    );

    // Ingest and processing counters: N at every step, and no more after a further scrape.
    expect(await processingCounters()).toEqual(expectedCounters);
    expect((await sum('sluice_gateway_readings_rejected_total')) ?? 0).toBe(0);
    expect((await sum('sluice_transformer_rejected_total')) ?? 0).toBe(0);

    // HTTP: the ingest requests, by route template (never the raw URL).
    expect(
      await sum(
        'sluice_http_request_duration_seconds_count{service="ingest-gateway",method="POST",route=~".*/readings",status_class="2xx"}',
      ),
    ).toBe(N / DEVICES);

    // End-to-end latency histograms: one observation per record sent, nothing more.
    expect({
      clean: await sum('sluice_pipeline_ingest_latency_seconds_count{stage="clean"}'),
      stored: await sum('sluice_pipeline_ingest_latency_seconds_count{stage="stored"}'),
      storedInf: await sum(
        'sluice_pipeline_ingest_latency_seconds_bucket{stage="stored",le="+Inf"}',
      ),
      transformerClean: await sum('sluice_transformer_ingest_to_clean_seconds_count'),
      rawSinkStored: await sum('sluice_raw_sink_ingest_to_stored_seconds_count'),
      speedLayerApplied: await sum('sluice_speed_layer_ingest_to_applied_seconds_count'),
    }).toEqual({
      clean: N,
      stored: N,
      storedInf: N,
      transformerClean: N,
      rawSinkStored: N,
      speedLayerApplied: N,
    });
    for (const stage of ['clean', 'stored']) {
      const p99 = await prometheus.scalar(
        `histogram_quantile(0.99, sum by (le) (sluice_pipeline_ingest_latency_seconds_bucket{stage="${stage}"}))`,
      );
      // Sane: positive, and inside the histogram's range (a value at the last bucket means "lost").
      expect({ stage, p99: p99! > 0 && p99! < 30 }).toEqual({ stage, p99: true });
    }
    const meanStored =
      (await sum('sluice_pipeline_ingest_latency_seconds_sum{stage="stored"}'))! / N;
    expect(meanStored).toBeGreaterThan(0);
    expect(meanStored).toBeLessThan(30);

    // Consumer lag: a series per partition for every consumer group of the pipeline, all 0.
    const lag = await prometheus.query('sluice_kafka_consumer_lag_records');
    const groups = new Set(lag.map((s) => s.labels.group));
    for (const group of ['stream-transformer', 'aggregator-raw-sink', 'aggregator-speed-layer']) {
      expect({ group, reported: groups.has(group) }).toEqual({ group, reported: true });
    }
    const rawPartitions = lag.filter((s) => s.labels.group === 'stream-transformer');
    expect(rawPartitions.length).toBeGreaterThan(1);
    expect(lag.filter((s) => s.value !== 0)).toEqual([]);
    // the alert rules' view: lag summed per group/topic over partitions
    const perGroup = await prometheus.query(
      'sum by (group, topic) (max by (group, topic, partition) (sluice_kafka_consumer_lag_records))',
    );
    expect(perGroup.length).toBeGreaterThanOrEqual(3);
    expect(perGroup.every((s) => s.value === 0)).toBe(true);

    // Health and process series of every service.
    const draining = await prometheus.query('sluice_service_draining');
    expect(draining.map((s) => `${s.labels.service}=${s.value}`).sort()).toEqual(
      SERVICES.map((service) => `${service}=0`).sort(),
    );
    const checks = await prometheus.query('sluice_health_check_up');
    expect(checks.length).toBeGreaterThanOrEqual(SERVICES.length);
    expect(checks.filter((s) => s.value !== 1)).toEqual([]);
    const cpu = await prometheus.query('process_cpu_seconds_total');
    expect(new Set(cpu.map((s) => s.labels.service))).toEqual(new Set(SERVICES));
    const consumerServices = new Set(
      (await prometheus.query('sluice_kafka_consumer_lag_records')).map((s) => s.labels.service),
    );
    for (const service of CONSUMERS) {
      expect({ service, lagReported: consumerServices.has(service) }).toEqual({
        service,
        lagReported: true,
      });
    }
  });
});
