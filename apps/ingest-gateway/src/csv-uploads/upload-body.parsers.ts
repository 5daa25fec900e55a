import { Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyAdapter } from '@nestjs/platform-fastify';
import multipart from '@fastify/multipart';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { ApiError } from '../http/api-error';

export const UPLOADS_PATH = '/api/v1/uploads';

/**
 * Content types whose body reaches POST /api/v1/uploads as an unread stream. form-urlencoded is
 * what `curl --data-binary @file.csv` sends when no Content-Type is given.
 */
export const RAW_UPLOAD_CONTENT_TYPES = [
  'text/csv',
  'application/csv',
  'application/x-www-form-urlencoded',
];

/**
 * Uploads must never be read whole: their parsers hand the request stream to the controller
 * untouched (no Fastify body limit applies — `UPLOAD_MAX_BYTES` is enforced while streaming), and
 * @fastify/multipart streams the `file` part. The CSV parsers accept only the uploads route, so
 * no other route receives a stream where it expects a parsed body.
 *
 * Registered from a provider constructor, like the JSON parser, before Nest starts the server.
 */
@Injectable()
export class UploadBodyParsersRegistration {
  constructor(adapterHost: HttpAdapterHost, @Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    const adapter = adapterHost.httpAdapter as unknown as FastifyAdapter;
    const fastify = adapter.getInstance();
    // Nest adds its own buffering form-urlencoded parser at listen() unless the type is in its
    // set of custom parsers — which only useBodyParser() fills, and that one buffers the body.
    const nestCustomTypes = (adapter as unknown as { registeredContentTypes?: unknown })
      .registeredContentTypes;
    for (const contentType of RAW_UPLOAD_CONTENT_TYPES) {
      if (fastify.hasContentTypeParser(contentType)) continue;
      if (contentType === 'application/x-www-form-urlencoded') {
        if (!(nestCustomTypes instanceof Set)) continue;
        nestCustomTypes.add(contentType);
      }
      fastify.addContentTypeParser(contentType, (request, payload, done) => {
        if (request.url.split('?')[0] === UPLOADS_PATH) {
          done(null, payload);
          return;
        }
        const message = `Content-Type ${contentType} is only accepted by POST ${UPLOADS_PATH}`;
        done(
          new ApiError(415, 'unsupported_media_type', message, [{ path: 'Content-Type', message }]),
          undefined,
        );
      });
    }
    void fastify.register(multipart, {
      limits: {
        fileSize: config.UPLOAD_MAX_BYTES,
        files: 1,
        fields: 20,
        fieldSize: 64 * 1024,
        parts: 21,
      },
    });
  }
}
