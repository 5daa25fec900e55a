/**
 * Storage micro-benchmark: appends batches of 100 ~150-byte records (the broker's target
 * workload) to several partitions concurrently, then reads everything back as fetches would.
 *   node -r @swc-node/register libs/kafka-broker/src/storage/storage.bench.ts [seconds]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import { LogManager } from './log-manager';
import type { FsyncPolicy } from './storage.types';
import { encodeBatch, splitBatches } from './test-support/record-batch.fixture';

const RECORDS_PER_BATCH = 100;
const PARTITIONS = 6;
const IN_FLIGHT_PER_PARTITION = 4;
const FETCH_MAX_BYTES = 1024 * 1024;

function rate(count: number, ms: number): string {
  return ((count * 1000) / ms).toFixed(0).padStart(9);
}

async function run(fsync: FsyncPolicy, seconds: number): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sluice-storage-bench-'));
  const manager = await LogManager.open({
    dataDir,
    defaultPartitions: PARTITIONS,
    fsync,
    defaultTopicConfig: { retentionMs: null, retentionBytes: null, segmentBytes: 64 * 1024 * 1024 },
  });
  await manager.createTopic('bench');
  const batch = encodeBatch(
    Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({
      key: Buffer.from(`tenant/device-${i % 50}`),
      value: Buffer.alloc(120, `{"metric":"temp","value":${i}}`),
    })),
  );
  const logs = manager
    .listTopics()
    .flatMap(({ name, partitions }) =>
      Array.from({ length: partitions }, (_, p) => manager.partition(name, p)).filter(
        (log) => log !== undefined,
      ),
    );

  let batches = 0;
  const deadline = Date.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    logs.flatMap((log) =>
      Array.from({ length: IN_FLIGHT_PER_PARTITION }, async () => {
        while (Date.now() < deadline) {
          await log.append(batch);
          batches++;
        }
      }),
    ),
  );
  const appendMs = performance.now() - started;
  const bytes = batches * batch.length;

  const readStarted = performance.now();
  let readBatches = 0;
  let readBytes = 0;
  await Promise.all(
    logs.map(async (log) => {
      let offset = log.logStartOffset;
      while (offset < log.logEndOffset) {
        const data = await log.read(offset, FETCH_MAX_BYTES);
        const stored = splitBatches(data);
        const last = stored[stored.length - 1];
        offset = last.baseOffset + BigInt(last.count);
        readBatches += stored.length;
        readBytes += data.length;
      }
    }),
  );
  const readMs = performance.now() - readStarted;
  await manager.close();
  rmSync(dataDir, { recursive: true, force: true });

  const mode = fsync.mode === 'always' ? 'always' : `interval ${fsync.intervalMs}ms`;
  console.log(
    `fsync ${mode.padEnd(14)} append: ${rate(bytes / 1e6, appendMs)} MB/s ${rate(batches, appendMs)} batches/s ${rate(batches * RECORDS_PER_BATCH, appendMs)} records/s` +
      ` | read: ${rate(readBytes / 1e6, readMs)} MB/s ${rate(readBatches, readMs)} batches/s ${rate(readBatches * RECORDS_PER_BATCH, readMs)} records/s` +
      ` (${batch.length} B/batch, ${PARTITIONS} partitions)`,
  );
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 5);
  await run({ mode: 'interval', intervalMs: 1000 }, seconds);
  await run({ mode: 'always' }, seconds);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
