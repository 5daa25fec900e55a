import { Controller, Get, Module, Param } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { LATENCY_BUCKETS_SECONDS } from './buckets';
import { instrumentHttpServer } from './http-metrics';
import {
  createCounter,
  createGauge,
  createHistogram,
  MetricRegistrationError,
} from './metric-factories';
import { MetricsModule } from './metrics.module';
import { metricsRegistry, setServiceLabel } from './metrics.registry';

describe('metric factories', () => {
  it('return the already registered metric for the same name and labels', () => {
    const first = createCounter({
      name: 'spec_idempotent_total',
      help: 'h',
      labelNames: ['reason'],
    });
    const second = createCounter({
      name: 'spec_idempotent_total',
      help: 'h',
      labelNames: ['reason'],
    });
    expect(second).toBe(first);
    first.inc({ reason: 'a' });
    second.inc({ reason: 'a' });
    expect(metricsRegistry.getSingleMetric('spec_idempotent_total')).toBe(first);
  });

  it('refuse a name reused with another type or other labels', () => {
    createGauge({ name: 'spec_conflict', help: 'h', labelNames: ['topic'] });
    expect(() =>
      createCounter({ name: 'spec_conflict', help: 'h', labelNames: ['topic'] }),
    ).toThrow(MetricRegistrationError);
    expect(() => createGauge({ name: 'spec_conflict', help: 'h', labelNames: ['group'] })).toThrow(
      'already registered with labels [topic], not [group]',
    );
  });
});

describe('GET /metrics', () => {
  @Module({ imports: [MetricsModule] })
  class AppModule {}

  let app: NestFastifyApplication;
  let baseUrl: string;

  beforeAll(async () => {
    app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), {
      logger: false,
    });
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
  });

  afterAll(async () => {
    await app.close();
  });

  it('serves the process registry in Prometheus text format with the service label', async () => {
    setServiceLabel('metrics-spec');
    const latency = createHistogram({
      name: 'spec_latency_seconds',
      help: 'spec latency',
      labelNames: ['stage'],
      buckets: [...LATENCY_BUCKETS_SECONDS],
    });
    latency.observe({ stage: 'stored' }, 0.042);
    createCounter({ name: 'spec_readings_total', help: 'spec readings' }).inc(7);

    const response = await fetch(`${baseUrl}/metrics`);
    const body = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(body).toContain('spec_readings_total{service="metrics-spec"} 7');
    expect(body).toContain(
      'spec_latency_seconds_bucket{le="0.05",service="metrics-spec",stage="stored"} 1',
    );
    expect(body).toMatch(/^process_cpu_user_seconds_total\{service="metrics-spec"\} /m);
    expect(body).toMatch(/^nodejs_eventloop_lag_seconds\{service="metrics-spec"\} /m);
  });
});

describe('HTTP request metrics', () => {
  @Controller('things')
  class ThingsController {
    @Get(':id')
    one(@Param('id') id: string): { id: string } {
      return { id };
    }
  }

  @Module({ controllers: [ThingsController] })
  class HttpAppModule {}

  let app: NestFastifyApplication;
  let baseUrl: string;

  beforeAll(async () => {
    app = await NestFactory.create<NestFastifyApplication>(HttpAppModule, new FastifyAdapter(), {
      logger: false,
    });
    instrumentHttpServer(app.getHttpAdapter().getInstance());
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
  });

  afterAll(async () => {
    await app.close();
  });

  it('labels requests by route template and status class, never by raw URL', async () => {
    for (const id of ['a', 'b', 'c'])
      expect((await fetch(`${baseUrl}/things/${id}`)).status).toBe(200);
    expect((await fetch(`${baseUrl}/no/such/path-123`)).status).toBe(404);

    const body = await metricsRegistry.metrics();
    expect(body).toMatch(
      /^sluice_http_request_duration_seconds_count\{[^}]*route="\/things\/:id",method="GET",status_class="2xx"\} 3$/m,
    );
    expect(body).toMatch(
      /^sluice_http_request_duration_seconds_count\{[^}]*route="unmatched",method="GET",status_class="4xx"\} 1$/m,
    );
    expect(body).not.toContain('path-123');
    expect(body).not.toContain('/things/a');
  });
});
