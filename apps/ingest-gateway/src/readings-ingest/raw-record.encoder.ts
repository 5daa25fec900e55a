import type { RawReadingBatch } from '@sluice/contracts';

// `,"tags":{...}}` per frozen tags object: the line-protocol parser shares one frozen object per
// series, so a 5,000-line body of 100 series serialises 100 tag sets instead of 5,000.
const frozenTagsSuffix = new WeakMap<object, string>();

const NON_ASCII = /[\u0080-\uffff]/;

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

/** A batch's JSON, and whether it is all ASCII (then its UTF-8 is its Latin-1: one byte a char). */
function batchJson(batch: RawReadingBatch): { text: string; ascii: boolean } {
  let out = `{"tenant":${JSON.stringify(batch.tenant)},"device":${JSON.stringify(batch.device)},"source":"${batch.source}","receivedAt":${batch.receivedAt},"readings":[`;
  // metric names are ASCII by contract; devices and tenants too, but the encoder does not rely on it
  let ascii = !NON_ASCII.test(out);
  const { readings } = batch;
  // a device's readings mostly repeat the previous metric and (frozen) tags: skip the cache lookups
  let lastMetric: string | undefined;
  let lastPrefix = '';
  let lastTags: Record<string, string> | undefined;
  let lastSuffix = '}';
  for (let i = 0; i < readings.length; i += 1) {
    const reading = readings[i];
    if (reading.metric !== lastMetric) {
      lastMetric = reading.metric;
      lastPrefix = metricPrefix(lastMetric);
    }
    if (reading.tags !== lastTags) {
      lastTags = reading.tags;
      lastSuffix = tagsSuffix(lastTags);
      if (ascii && NON_ASCII.test(lastSuffix)) ascii = false;
    }
    if (i > 0) out += ',';
    // a finite number's String() is its JSON
    out += `${lastPrefix}${epochMsString(reading.time)},"value":${reading.value}`;
    if (reading.unit !== undefined) {
      const unit = JSON.stringify(reading.unit);
      if (ascii && NON_ASCII.test(unit)) ascii = false;
      out += `,"unit":${unit}`;
    }
    out += lastSuffix;
  }
  return { text: `${out}]}`, ascii };
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
  // counting UTF-8 bytes and encoding UTF-8 cost more than copying Latin-1, which ASCII is
  const lengths = texts.map(({ text, ascii }) => (ascii ? text.length : Buffer.byteLength(text)));
  let total = 0;
  for (const length of lengths) total += length;
  const buffer = Buffer.allocUnsafe(total);
  const values: Buffer[] = [];
  let offset = 0;
  for (let i = 0; i < texts.length; i += 1) {
    const { text, ascii } = texts[i];
    buffer.write(text, offset, lengths[i], ascii ? 'latin1' : 'utf8');
    values.push(buffer.subarray(offset, offset + lengths[i]));
    offset += lengths[i];
  }
  return values;
}
