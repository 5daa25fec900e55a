import { extractApiKey } from '../auth/api-key';

type HeaderValue = string | string[] | undefined;

/**
 * The API key an InfluxDB client sends, in the places InfluxDB itself reads credentials:
 * `Authorization: Token <key>` (v2 clients, Telegraf's `outputs.influxdb_v2`; `Bearer` and
 * `X-API-Key` work as everywhere in the gateway), and for the v1 `/write` also HTTP Basic auth and
 * the `u`/`p` query parameters (the `influx` CLI, Telegraf's `outputs.influxdb`, influxdb-python).
 * With v1 credentials the password is the key and the user name is ignored.
 */
export function extractInfluxApiKey(
  headers: Record<string, HeaderValue>,
  query: Record<string, unknown>,
  api: 'v1' | 'v2',
): string | undefined {
  const fromHeaders = extractApiKey(headers);
  if (fromHeaders !== undefined || api === 'v2') return fromHeaders;
  const authorization = first(headers['authorization']);
  if (authorization !== undefined) {
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
    if (basic) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const password = colon >= 0 ? decoded.slice(colon + 1) : '';
      if (password !== '') return password;
    }
  }
  const password = query['p'];
  return typeof password === 'string' && password !== '' ? password : undefined;
}

/** A URL safe to log: the v1 `p` query parameter (an API key) is replaced. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]p=)[^&]*/g, '$1[redacted]');
}

function first(value: HeaderValue): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
