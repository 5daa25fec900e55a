import type { RawReadingBatch } from '@sluice/contracts';

// `,"tags":{...}}` per frozen tags object: the line-protocol parser shares one frozen object per
// series, so a 5,000-line body of 100 series serialises 100 tag sets instead of 5,000.
const frozenTagsSuffix = new WeakMap<object, string>();

// `{"metric":"...","time":` per metric name. Names are few, but they come from clients, so the
// cache is emptied when it grows past a bound rather than kept forever.
const metricPrefixes = new Map<string, string>();
const MAX_CACHED_METRICS = 10_000;

function tagsSuffix(tags: Record<string, string> | undefined): string {
  if (tags === undefined) return '}';
  if (!Object.isFrozen(tags)) return `,"tags":${JSON.stringify(tags)}}`;
  let suffix = frozenTagsSuffix.get(tags);
  if (suffix === undefined) {
    suffix = `,"tags":${JSON.stringify(tags)}}`;
    frozenTagsSuffix.set(tags, suffix);
  }
  return suffix;
}

function metricPrefix(metric: string): string {
  let prefix = metricPrefixes.get(metric);
  if (prefix === undefined) {
    if (metricPrefixes.size >= MAX_CACHED_METRICS) metricPrefixes.clear();
    prefix = `{"metric":${JSON.stringify(metric)},"time":`;
    metricPrefixes.set(metric, prefix);
  }
  return prefix;
}

const MILLION = 1_000_000;

/**
 * `String(epochMs)`, faster: V8 formats a number above 2^31 (every current epoch-ms time) with its
 * general double-to-string algorithm, which was most of the cost of encoding a reading; the two
 * halves are small integers, which it formats quickly.
 */
function epochMsString(time: number): string {
  if (time <= 0x7fffffff || !Number.isSafeInteger(time)) return String(time);
  const high = Math.floor(time / MILLION);
  return `${high}${String(MILLION + time - high * MILLION).slice(1)}`;
}

function batchJson(batch: RawReadingBatch): string {
  let out = `{"tenant":${JSON.stringify(batch.tenant)},"device":${JSON.stringify(batch.device)},"source":"${batch.source}","receivedAt":${batch.receivedAt},"readings":[`;
  const { readings } = batch;
  for (let i = 0; i < readings.length; i += 1) {
    const reading = readings[i];
    if (i > 0) out += ',';
    // a finite number's String() is its JSON
    out += `${metricPrefix(reading.metric)}${epochMsString(reading.time)},"value":${reading.value}`;
    if (reading.unit !== undefined) out += `,"unit":${JSON.stringify(reading.unit)}`;
    out += tagsSuffix(reading.tags);
  }
  return `${out}]}`;
}

/**
 * `batches.map(encodeRecord)` for the hot path, each value byte-for-byte the same JSON: the
 * `telemetry.raw.v1` records are the largest CPU cost of accepting readings, and most of
 * `JSON.stringify`'s work there is re-serialising the same metric names and tags on every reading.
 * Readings are validated before they get here (metric names need no escaping, values are finite
 * numbers), which is what makes this safe.
 *
 * The values are views of one buffer: one allocation per request instead of one per record.
 */
export function encodeRawBatches(batches: readonly RawReadingBatch[]): Buffer[] {
  const texts = batches.map(batchJson);
  const lengths = texts.map((text) => Buffer.byteLength(text));
  let total = 0;
  for (const length of lengths) total += length;
  const buffer = Buffer.allocUnsafe(total);
  const values: Buffer[] = [];
  let offset = 0;
  for (let i = 0; i < texts.length; i += 1) {
    buffer.write(texts[i], offset, lengths[i], 'utf8');
    values.push(buffer.subarray(offset, offset + lengths[i]));
    offset += lengths[i];
  }
  return values;
}
