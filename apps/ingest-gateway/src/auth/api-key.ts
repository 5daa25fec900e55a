import { createHash, randomBytes } from 'node:crypto';

export type ApiKeyScope = 'read' | 'write' | 'admin';

/** Who is calling: resolved from an API key, carried on the request after authentication. */
export interface Principal {
  keyId: string;
  tenant: string;
  scopes: readonly ApiKeyScope[];
  /** null = every device of the tenant */
  deviceIds: readonly string[] | null;
  /** The key's own rate limit (readings/s, burst); absent = the gateway default. */
  rateLimit?: { perSecond: number; burst: number };
}

/**
 * Keys are long random strings, so an unsalted SHA-256 is enough to make a leaked table useless
 * while keeping the lookup a single indexed equality (a slow password hash would buy nothing).
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function generateApiKey(): string {
  return `sk_${randomBytes(24).toString('base64url')}`;
}

/** `admin` implies every other scope. */
export function hasScope(principal: Principal, scope: ApiKeyScope): boolean {
  return principal.scopes.includes(scope) || principal.scopes.includes('admin');
}

export function mayAccessDevice(principal: Principal, device: string): boolean {
  return principal.deviceIds === null || principal.deviceIds.includes(device);
}

type HeaderValue = string | string[] | undefined;

/**
 * The key from `Authorization: Bearer <key>` (also `Token <key>`, which InfluxDB clients send)
 * or `X-API-Key: <key>`; undefined when neither is present.
 */
export function extractApiKey(headers: Record<string, HeaderValue>): string | undefined {
  const authorization = first(headers['authorization']);
  if (authorization !== undefined) {
    const match = /^(?:Bearer|Token)\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const apiKey = first(headers['x-api-key'])?.trim();
  return apiKey ? apiKey : undefined;
}

function first(value: HeaderValue): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
