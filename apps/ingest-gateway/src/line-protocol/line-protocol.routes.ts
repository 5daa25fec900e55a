import { Injectable, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyAdapter } from '@nestjs/platform-fastify';
import { HealthService } from '@sluice/health';
import { parsePrecision } from '@sluice/ingest-parsers';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeyAuthService } from '../auth/api-key-auth.service';
import { AuthError } from '../auth/auth.errors';
import { hasScope } from '../auth/api-key';
import { gatewayTraceparent } from '../http/trace-context';
import { ingestRequestsRejected } from '../readings-ingest/ingest.metrics';
import { extractInfluxApiKey, redactUrl } from './influx-credentials';
import { InfluxError, toInfluxError } from './influx-error';
import { LineProtocolWriteService } from './line-protocol-write.service';

/** What `GET /ping` reports in `X-Influxdb-Version`: the 1.x write API the gateway implements. */
export const INFLUXDB_COMPATIBLE_VERSION = '1.8.10';

// Agents that call GET /health and expect InfluxDB's answer (`"status": "pass"`).
const INFLUX_CLIENT_AGENT = /telegraf|influx/i;

type Query = Record<string, string | undefined>;

/**
 * `POST /write` (InfluxDB 1.x), `POST /api/v2/write` (2.x), `GET|HEAD /ping`, and InfluxDB's
 * `/health` answer for InfluxDB agents.
 *
 * The write routes are plain Fastify routes in their own plugin rather than a Nest controller: the
 * body must reach the parser as a stream (gzip, tens of MB, any Content-Type the clients send —
 * `text/plain`, `application/octet-stream` or none), without the JSON/text parsers and their limit,
 * and errors must have InfluxDB's shape rather than the gateway's. Auth, rate limits and publishing
 * are the same services every other ingest path uses.
 */
@Injectable()
export class LineProtocolRoutes {
  private readonly logger = new Logger('LineProtocol');

  constructor(
    adapterHost: HttpAdapterHost,
    private readonly auth: ApiKeyAuthService,
    private readonly writes: LineProtocolWriteService,
    private readonly health: HealthService,
  ) {
    const fastify = (adapterHost.httpAdapter as unknown as FastifyAdapter).getInstance();
    this.registerHealthForInfluxClients(fastify);
    void fastify.register(async (scope) => {
      // The body is left unread for the handler to stream; any Content-Type is accepted.
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
      // The influx 1.x CLI sends `Content-Type:` with an empty value, which Fastify refuses as an
      // invalid media type before any parser runs: name it for what every client sends, text.
      scope.addHook('onRequest', async (request) => {
        const contentType = request.headers['content-type'];
        if (contentType === undefined || contentType.trim() === '')
          request.headers['content-type'] = 'text/plain';
      });
      scope.post('/write', (request, reply) => this.write(request, reply, 'v1'));
      scope.post('/api/v2/write', (request, reply) => this.write(request, reply, 'v2'));
      const ping = (_request: FastifyRequest, reply: FastifyReply) =>
        reply
          .status(204)
          .header('x-influxdb-version', INFLUXDB_COMPATIBLE_VERSION)
          .header('x-influxdb-build', 'OSS')
          .send();
      scope.get('/ping', ping); // Fastify answers HEAD /ping from the GET route
    });
  }

  private async write(request: FastifyRequest, reply: FastifyReply, api: 'v1' | 'v2') {
    try {
      const query = request.query as Query;
      const principal = await this.auth.authenticate(
        extractInfluxApiKey(request.headers, query, api),
      );
      if (!hasScope(principal, 'write')) throw AuthError.missingScope('write');
      // The key decides the tenant; an `org` naming another tenant is refused, not ignored.
      if (api === 'v2' && query['org'] !== undefined && query['org'] !== '') {
        if (query['org'] !== principal.tenant) throw AuthError.otherTenant(query['org'], 'org');
      }
      const result = await this.writes.write({
        principal,
        body: request.raw,
        contentEncoding: request.headers['content-encoding'],
        precision: parsePrecision(query['precision']),
        traceparent: gatewayTraceparent(request.headers['traceparent']),
      });
      if (result.errorCount > 0) {
        const listed = result.errors.map((error) => error.message).join('; ');
        const more =
          result.errorCount > result.errors.length
            ? `; ${result.errorCount - result.errors.length} more`
            : '';
        throw new InfluxError(
          400,
          'invalid',
          `partial write: ${listed}${more} dropped=${result.errorCount}`,
        );
      }
      return reply.status(204).send();
    } catch (error) {
      const influx = toInfluxError(error);
      if (influx.status !== 400) ingestRequestsRejected.inc({ reason: influx.code });
      if (influx.status >= 500) {
        this.logger.warn({
          msg: influx.message,
          err: error,
          url: redactUrl(request.url),
        });
      }
      // an unread rest of the body is discarded and the connection closed after the answer, so
      // an oversized body is not read to its end before the client learns it was refused
      if (!request.raw.readableEnded) {
        request.raw.resume();
        void reply.header('connection', 'close');
      }
      return reply.status(influx.status).headers(influx.headers).send(influx.toBody());
    }
  }

  /**
   * InfluxDB 2 clients and Telegraf's `outputs.influxdb_v2` check `GET /health` and accept only
   * `{"status": "pass"}` (their enum has no "ok"). Requests from such agents get InfluxDB's shape;
   * everyone else keeps the gateway's readiness report (`{"status": "ok", "checks": {...}}`).
   */
  private registerHealthForInfluxClients(fastify: FastifyInstance): void {
    fastify.addHook('onRequest', async (request, reply) => {
      if (request.method !== 'GET' || request.url !== '/health') return;
      if (!INFLUX_CLIENT_AGENT.test(request.headers['user-agent'] ?? '')) return;
      const report = await this.health.report();
      const pass = report.status === 'ok';
      await reply.status(pass ? 200 : 503).send({
        name: 'sluice-ingest-gateway',
        message: pass ? 'ready for writes' : `not ready: ${report.status}`,
        status: pass ? 'pass' : 'fail',
        checks: Object.entries(report.checks).map(([name, check]) => ({
          name,
          status: check.status === 'ok' ? 'pass' : 'fail',
          ...(check.error === undefined ? {} : { message: check.error }),
        })),
        version: INFLUXDB_COMPATIBLE_VERSION,
        commit: 'sluice',
      });
    });
  }
}
