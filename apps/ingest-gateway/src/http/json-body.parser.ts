import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyAdapter } from '@nestjs/platform-fastify';
import secureJson from 'secure-json-parse';
import { ApiError } from './api-error';

/**
 * Replaces the default application/json body parser, whose error ("Body is not valid JSON") does
 * not say where the problem is, with one that reports the parser's position — what a client needs
 * to find a stray comma or a NaN (which JSON cannot carry) in a 5000-reading batch. secure-json-parse
 * keeps the default's protection against `__proto__`/`constructor` poisoning.
 *
 * Registered from a provider constructor because providers are created before Nest registers its
 * default parsers (which it skips for content types that already have one).
 */
@Injectable()
export class JsonBodyParserRegistration {
  constructor(adapterHost: HttpAdapterHost) {
    const adapter = adapterHost.httpAdapter as unknown as FastifyAdapter;
    const { bodyLimit } = adapter.getInstance().initialConfig;
    adapter.useBodyParser('application/json', false, { bodyLimit }, (_request, body, done) => {
      const text = Buffer.isBuffer(body) ? body.toString('utf8') : String(body);
      // Action routes (revoke, acknowledge, enable, ...) take no body, and many clients still send
      // the JSON content type with an empty one; routes that need a body refuse `undefined` themselves.
      if (text.trim() === '') {
        done(null, undefined);
        return;
      }
      try {
        done(
          null,
          secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }),
        );
      } catch (error) {
        const reason = describeSyntaxError(error);
        done(
          new ApiError(400, 'invalid_json', 'request body is not valid JSON', [
            { path: '(body)', message: reason },
          ]),
          undefined,
        );
      }
    });
  }
}

// V8 names the position for most errors ("... in JSON at position 28") and quotes the surrounding
// text for an unexpected token; NaN and Infinity are the unexpected tokens sensor code produces most.
function describeSyntaxError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return /Unexpected token '(N|I)'/.test(message)
    ? `${message} (JSON has no NaN or Infinity: send finite numbers only)`
    : message;
}
