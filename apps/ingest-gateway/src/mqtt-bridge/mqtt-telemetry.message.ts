/** `{prefix}/{tenant}/{device}/telemetry`, split. */
export interface TelemetryTopic {
  tenant: string;
  device: string;
}

/** The topic filter the bridge subscribes to. */
export function telemetryTopicFilter(prefix: string): string {
  return `${prefix}/+/+/telemetry`;
}

export function parseTelemetryTopic(prefix: string, topic: string): TelemetryTopic | undefined {
  if (!topic.startsWith(`${prefix}/`)) return undefined;
  const parts = topic.slice(prefix.length + 1).split('/');
  if (parts.length !== 3 || parts[2] !== 'telemetry' || parts[0] === '' || parts[1] === '')
    return undefined;
  return { tenant: parts[0], device: parts[1] };
}

export type TelemetryPayload =
  | {
      ok: true;
      key: string | undefined;
      body: { tenant: string; device: string; readings: unknown };
    }
  | { ok: false; detail: string };

/**
 * A telemetry payload: `{"key": "<api key>", "readings": [{metric, time, value, unit?, tags?}]}` or
 * one reading inline, `{"key": "...", "metric": "...", "time": ..., "value": ...}`. The result is a
 * POST /api/v1/readings body for the topic's tenant and device — every reading is the topic's
 * device, whatever the payload says, so a key scoped to one device cannot write another by naming it.
 */
export function parseTelemetryPayload(topic: TelemetryTopic, payload: Buffer): TelemetryPayload {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch (error) {
    return { ok: false, detail: `payload is not JSON: ${(error as Error).message}` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return { ok: false, detail: 'payload must be a JSON object' };
  const { key, readings, ...inline } = parsed as Record<string, unknown>;
  if (key !== undefined && typeof key !== 'string')
    return { ok: false, detail: '"key" must be a string' };
  let list: unknown;
  if (readings !== undefined) list = readings;
  else if ('metric' in inline) list = [inline];
  else return { ok: false, detail: 'payload needs "readings" (an array) or an inline "metric"' };
  if (!Array.isArray(list)) return { ok: false, detail: '"readings" must be an array' };
  return {
    ok: true,
    key,
    body: {
      tenant: topic.tenant,
      device: topic.device,
      readings: list.map((reading: unknown) =>
        typeof reading === 'object' && reading !== null && !Array.isArray(reading)
          ? { ...reading, device: topic.device }
          : reading,
      ),
    },
  };
}

/** The payload for the DLQ: the API key replaced, so a dead-letter reader never sees a secret. */
export function redactPayload(payload: Buffer): string {
  const text = payload.toString('utf8');
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && 'key' in parsed)
      return JSON.stringify({ ...parsed, key: '[redacted]' });
    return text;
  } catch {
    // not JSON: a key cannot be located, so none of it is kept
    return `[unparseable payload of ${payload.length} bytes]`;
  }
}
