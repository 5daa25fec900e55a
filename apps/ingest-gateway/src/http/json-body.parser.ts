import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import secureJson from 'secure-json-parse';
import { ApiError } from './api-error';

/**
 * Fastify route config (`@RouteConfig(UNPARSED_JSON_BODY)`) of a route that reads its JSON body
 * itself: its `@Body()` is a `JsonBody` (or undefined when empty) instead of the parsed value.
 */
export const UNPARSED_JSON_BODY = { unparsedJsonBody: true } as const;

/**
 * A request's JSON body not parsed yet, for a route that can read its usual input straight from
 * the bytes and only needs `parse()` — the same parse and errors as every other route — otherwise.
 */
export class JsonBody {
  constructor(readonly bytes: Buffer) {}

  /** The parsed body; throws the 400 `invalid_json` ApiError every route answers bad JSON with. */
  parse(): unknown {
    return parseJsonText(this.bytes.toString('utf8'));
  }
}

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
    adapter.useBodyParser('application/json', false, { bodyLimit }, (request, body, done) => {
      const bytes = Buffer.isBuffer(body) ? body : Buffer.from(String(body));
      // Action routes (revoke, acknowledge, enable, ...) take no body, and many clients still send
      // the JSON content type with an empty one; routes that need a body refuse `undefined` themselves.
      if (isBlank(bytes)) {
        done(null, undefined);
        return;
      }
      if (wantsUnparsedBody(request)) {
        done(null, new JsonBody(bytes));
        return;
      }
      try {
        done(null, parseJsonText(bytes.toString('utf8')));
      } catch (error) {
        done(error as ApiError, undefined);
      }
    });
  }
}

function wantsUnparsedBody(request: FastifyRequest): boolean {
  const config = request.routeOptions.config as Partial<typeof UNPARSED_JSON_BODY> | undefined;
  return config?.unparsedJsonBody === true;
}

function parseJsonText(text: string): unknown {
  try {
    return secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (error) {
    throw new ApiError(400, 'invalid_json', 'request body is not valid JSON', [
      { path: '(body)', message: describeSyntaxError(error) },
    ]);
  }
}

const ASCII_WHITESPACE = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20]);

/**
 * `text.trim() === ''` for the decoded body, without decoding a body that starts with an ASCII
 * character other than whitespace (every JSON body does); other Unicode whitespace and a BOM count
 * as blank too, as they do for `trim()`.
 */
function isBlank(bytes: Buffer): boolean {
  let index = 0;
  while (index < bytes.length && ASCII_WHITESPACE.has(bytes[index])) index += 1;
  if (index === bytes.length) return true;
  return bytes[index] >= 0x80 && bytes.toString('utf8').trim() === '';
}

// V8 names the position for most errors ("... in JSON at position 28") and quotes the surrounding
// text for an unexpected token; NaN and Infinity are the unexpected tokens sensor code produces most.
function describeSyntaxError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return /Unexpected token '(N|I)'/.test(message)
    ? `${message} (JSON has no NaN or Infinity: send finite numbers only)`
    : message;
}
