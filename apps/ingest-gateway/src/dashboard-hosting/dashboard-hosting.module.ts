import { createReadStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { Inject, Injectable, Module } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { isAppRoute, resolveDashboardFile } from './dashboard-files';

/** apps/dashboard/dist, from this file's place in the repository. */
export const DEFAULT_DASHBOARD_DIST_DIR = resolve(__dirname, '../../../dashboard/dist');

const NOT_BUILT_PAGE = `<!doctype html><meta charset="utf-8"><title>Sluice</title>
<h1>The dashboard is not built</h1>
<p>Build it with <code>npx nx build dashboard</code> (npm start does this by itself).
The REST API is under <code>/api/v1</code>.</p>`;

/**
 * Serves the built dashboard (apps/dashboard/dist) at `/` with an SPA fallback. Registered on
 * Fastify directly as the lowest-priority `GET /*` route, so every Nest route (API, /ws, /metrics,
 * /health) wins; files are looked up per request, so a rebuild needs no restart. A dozen static
 * files need no plugin: the files are streamed with explicit types, validators and cache headers.
 */
@Injectable()
export class DashboardHosting {
  constructor(adapterHost: HttpAdapterHost, @Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    const distDir = config.DASHBOARD_DIST_DIR ?? DEFAULT_DASHBOARD_DIST_DIR;
    const fastify = (adapterHost.httpAdapter as unknown as FastifyAdapter).getInstance();
    fastify.get('/*', async (request: FastifyRequest, reply: FastifyReply) => {
      const path = request.url.split('?')[0];
      const found = await resolveDashboardFile(distDir, path);
      if (found === undefined) {
        // An app route without index.html means the dashboard was never built here.
        if (isAppRoute(path)) {
          return reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT_PAGE);
        }
        return reply.callNotFound();
      }
      reply
        .header('cache-control', found.cacheControl)
        .header('etag', found.etag)
        .header('last-modified', found.stats.mtime.toUTCString())
        .header('x-content-type-options', 'nosniff')
        .type(found.contentType);
      if (request.headers['if-none-match'] === found.etag) return reply.code(304).send();
      reply.header('content-length', found.stats.size);
      if (request.method === 'HEAD') return reply.send();
      return reply.send(createReadStream(join(distDir, found.file)));
    });
  }
}

@Module({ providers: [DashboardHosting] })
export class DashboardHostingModule {}
