import { CleanReadingBatchSchema, DlqRecordSchema, encodeRecord } from '@sluice/contracts';
import type { ConsumedBatch, ConsumedMessage, OutgoingRecord } from '@sluice/kafka';
import type { Counter } from '@sluice/metrics';
import { DeviceTagsCache } from '../enrichment/device-tags.cache';
import { TelemetryTransformService } from './telemetry-transform.service';
import { transformMetrics } from './transform.metrics';

const NOW = 1_760_000_000_000;

function rawMessage(offset: number, device: string, readings: unknown[]): ConsumedMessage {
  return {
    offset: String(offset),
    key: `acme/${device}`,
    value: encodeRecord({ tenant: 'acme', device, source: 'http', receivedAt: NOW, readings }),
    headers: { 'sluice-ingest-ts': String(NOW - 5) },
    timestamp: String(NOW),
  };
}

async function counterValues(counter: Counter): Promise<Record<string, number>> {
  const { values } = await counter.get();
  return Object.fromEntries(
    values.map(({ labels, value }) => [Object.values(labels).join(',') || 'total', value]),
  );
}

function sumDifference(after: Record<string, number>, before: Record<string, number>) {
  return Object.fromEntries(
    Object.entries(after)
      .map(([label, value]) => [label, value - (before[label] ?? 0)] as const)
      .filter(([, difference]) => difference !== 0),
  );
}

describe('telemetry transform service', () => {
  it('sends one clean record per raw record with valid readings, one DLQ record per refusal, and counts them per batch', async () => {
    const sent: Array<{ topic: string; records: OutgoingRecord[] }> = [];
    const producer = {
      sendBatch: async (batches: Array<{ topic: string; records: OutgoingRecord[] }>) => {
        sent.push(...batches);
      },
    };
    const tags = new DeviceTagsCache(
      { findTags: async () => new Map([['acme/boiler-1', { site: 'north' }]]) },
      { ttlMs: 60_000, maxEntries: 10, clock: () => NOW },
    );
    const metrics = transformMetrics();
    const service = new TelemetryTransformService(
      producer,
      tags,
      { maxPastMs: 60 * 60_000, maxFutureMs: 60_000 },
      { clean: 'clean', dlq: 'dlq' },
      metrics,
      () => NOW,
    );
    const reading = { metric: 'temperature', time: NOW - 1000, value: 20 };
    const batch: ConsumedBatch = {
      topic: 'raw',
      partition: 2,
      highWatermark: '13',
      messages: [
        rawMessage(10, 'boiler-1', [
          reading,
          { ...reading, time: NOW - 999.6, value: 99 }, // floors to a time already kept
          { ...reading, time: NOW - 999 },
          { ...reading, metric: 'pressure' },
          { ...reading, value: 'hot' },
          { ...reading, unit: 'furlongs' },
        ]),
        rawMessage(11, 'boiler-2', [{ ...reading, value: 'cold' }]),
        { ...rawMessage(12, 'boiler-3', []), value: Buffer.from('{') },
      ],
    };
    const counters = [
      metrics.recordsProcessed,
      metrics.readingsProcessed,
      metrics.rejected,
      metrics.duplicatesDropped,
      metrics.unknownDevices,
    ] as Counter[];
    const before = await Promise.all(counters.map(counterValues));

    await service.handle(batch);

    const [clean, dlq] = sent;
    expect(clean.records).toHaveLength(1);
    const cleanValue = CleanReadingBatchSchema.parse(JSON.parse(String(clean.records[0].value)));
    expect(cleanValue).toEqual({
      tenant: 'acme',
      device: 'boiler-1',
      deviceTags: { site: 'north' },
      rawPartition: 2,
      rawOffset: '10',
      readings: [reading, { ...reading, time: NOW - 999 }, { ...reading, metric: 'pressure' }],
    });
    expect(clean.records[0].headers?.['sluice-ingest-ts']).toBe(String(NOW - 5));
    const refusals = dlq.records.map((record) =>
      DlqRecordSchema.parse(JSON.parse(String(record.value))),
    );
    expect(refusals.map((refusal) => [refusal.sourceOffset, refusal.reason])).toEqual([
      ['10', 'invalid_value'],
      ['10', 'unknown_unit'],
      ['11', 'invalid_value'],
      ['12', 'unparseable'],
    ]);

    const after = await Promise.all(counters.map(counterValues));
    expect(after.map((values, i) => sumDifference(values, before[i]))).toEqual([
      { clean: 1, rejected: 2 },
      { total: 3 },
      { invalid_value: 2, unknown_unit: 1, unparseable: 1 },
      { total: 1 },
      {},
    ]);
  });
});
