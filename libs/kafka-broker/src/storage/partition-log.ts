import { EventEmitter } from 'node:events';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

import { fsyncDir, io } from './fs-durability';
import { LogSegment, MAX_RELATIVE_OFFSET, segmentFileStem } from './log-segment';
import {
  type BatchHeader,
  inspectBatch,
  LOG_APPEND_TIME_FLAG,
  stampLogAppendTime,
} from './record-batch.format';
import {
  CorruptRecordError,
  OffsetOutOfRangeError,
  StorageIoError,
  UnknownTopicError,
  UnsupportedMagicError,
} from './storage.errors';
import type { FsyncPolicy, RecoveryEvent, TopicConfig } from './storage.types';
import { SerialQueue } from './serial-queue';
import { SyncCoalescer } from './sync-coalescer';

const EMPTY = Buffer.alloc(0);
const SEGMENT_FILE = /^(\d{20})\.log$/;

export interface PartitionLogOptions {
  dir: string;
  topic: string;
  partition: number;
  config: TopicConfig;
  fsync: FsyncPolicy;
  indexIntervalBytes: number;
  onRecovery?: (event: RecoveryEvent) => void;
}

export interface AppendResult {
  baseOffset: bigint;
  lastOffset: bigint;
  logAppendTimeMs: bigint;
}

/** What readers may see: written bytes become visible here (after fsync in mode 'always'). */
interface LogPosition {
  segment: LogSegment;
  size: number;
  endOffset: bigint;
}

/**
 * One partition's log: a list of segments, appended to by one serial queue, read concurrently.
 *
 * Readers see the log only up to `logEndOffset`, which advances after a batch is fully written
 * and indexed, and, with fsync 'always', durable: a consumer never sees a record that a crash
 * could take back. Emits 'append' (with the new logEndOffset) whenever it advances.
 */
export class PartitionLog extends EventEmitter {
  readonly topic: string;
  readonly partition: number;
  private segments: LogSegment[];
  private endOffset: bigint;
  private nextOffset: bigint;
  private readonly appendQueue = new SerialQueue();
  private readonly syncer: SyncCoalescer;
  private dirty = false;
  private closed = false;
  private failure: StorageIoError | null = null;

  private constructor(
    private readonly opts: PartitionLogOptions,
    segments: LogSegment[],
  ) {
    super();
    // One listener per parked long-poll Fetch: there can legitimately be many.
    this.setMaxListeners(0);
    this.topic = opts.topic;
    this.partition = opts.partition;
    this.segments = segments;
    this.nextOffset = segments[segments.length - 1].nextOffset;
    this.endOffset = this.nextOffset;
    this.syncer = new SyncCoalescer(() => this.syncActive());
  }

  /** Opens (or creates) the partition directory and recovers its segments. */
  static async open(opts: PartitionLogOptions): Promise<PartitionLog> {
    await io('create partition directory', opts.dir, () => fs.mkdir(opts.dir, { recursive: true }));
    const names = await io('list partition directory', opts.dir, () => fs.readdir(opts.dir));
    const bases = names
      .map((name) => SEGMENT_FILE.exec(name)?.[1])
      .filter((base): base is string => base !== undefined)
      .map((base) => BigInt(base))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const segments = await recoverSegments(opts, bases);
    if (segments.length === 0) {
      segments.push(await LogSegment.create(opts.dir, 0n, opts.indexIntervalBytes));
      await fsyncDir(opts.dir);
    }
    return new PartitionLog(opts, segments);
  }

  get logStartOffset(): bigint {
    return this.segments[0].baseOffset;
  }

  get logEndOffset(): bigint {
    return this.endOffset;
  }

  /** Bytes on disk across all segments (what size retention measures). */
  get sizeBytes(): number {
    return this.segments.reduce((sum, segment) => sum + segment.size, 0);
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /**
   * Validates and appends the batches in `records` (a Produce partition entry), assigning offsets
   * from the current log end. The caller's buffer is not modified.
   */
  async append(records: Buffer): Promise<AppendResult> {
    const batches = this.validate(records);
    const { result, durable } = await this.appendQueue.run(() =>
      this.appendValidated(records, batches),
    );
    if (durable) await durable;
    return result;
  }

  /** Whole batches from the one containing `offset`, up to maxBytes but at least one batch. */
  async read(offset: bigint, maxBytes: number): Promise<Buffer> {
    const end = this.endOffset;
    const segments = this.segments;
    if (this.closed)
      throw new UnknownTopicError(this.topic, `partition ${this.partition} was closed or deleted`);
    if (offset === end) return EMPTY;
    if (offset < segments[0].baseOffset || offset > end) {
      throw new OffsetOutOfRangeError(this.name(), offset, segments[0].baseOffset, end);
    }
    const segment = segments[this.segmentIndexFor(segments, offset)];
    if (!segment.tryAcquire()) {
      // Retention deleted the segment between the range check and here.
      throw new OffsetOutOfRangeError(this.name(), offset, this.logStartOffset, this.endOffset);
    }
    try {
      return await segment.readFrom(offset, maxBytes);
    } finally {
      segment.release();
    }
  }

  /** ListOffsets: -1 latest, -2 earliest, else the first batch whose maxTimestamp >= ts. */
  async offsetForTimestamp(ts: bigint): Promise<bigint> {
    if (ts === -1n) return this.endOffset;
    if (ts === -2n) return this.logStartOffset;
    const timestamp = Number(ts);
    for (const segment of this.segments) {
      if (segment.maxTimestamp < timestamp || !segment.tryAcquire()) continue;
      try {
        const found = await segment.findOffsetForTimestamp(timestamp);
        if (found !== undefined) return found < this.logStartOffset ? this.logStartOffset : found;
      } finally {
        segment.release();
      }
    }
    return this.endOffset;
  }

  /** Interval fsync: makes everything written so far durable. */
  async flush(): Promise<void> {
    if (!this.dirty || this.closed) return;
    this.dirty = false;
    try {
      await this.segments[this.segments.length - 1].datasync();
    } catch (err) {
      this.dirty = true;
      throw err;
    }
  }

  /** Deletes whole sealed segments past the topic's time or size retention (never the active one). */
  async applyRetention(nowMs: number, config: TopicConfig): Promise<number> {
    return this.appendQueue.run(async () => {
      if (this.closed) return 0;
      const segments = this.segments;
      let total = segments.reduce((sum, segment) => sum + segment.size, 0);
      let drop = 0;
      while (drop < segments.length - 1) {
        const segment = segments[drop];
        const newest = segment.maxTimestamp >= 0 ? segment.maxTimestamp : segment.lastModifiedMs;
        const expired = config.retentionMs !== null && newest < nowMs - config.retentionMs;
        const oversized =
          config.retentionBytes !== null && total - segment.size >= config.retentionBytes;
        if (!expired && !oversized) break;
        total -= segment.size;
        drop++;
      }
      if (drop === 0) return 0;
      this.segments = segments.slice(drop);
      for (const segment of segments.slice(0, drop)) await segment.retire();
      await fsyncDir(this.opts.dir);
      return drop;
    });
  }

  /** Flushes, fsyncs and closes every file; later appends and reads fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.appendQueue.run(async () => {
      this.closed = true;
    });
    await this.syncer.idle();
    const active = this.segments[this.segments.length - 1];
    await active.datasync();
    await active.writeActiveIndex();
    for (const segment of this.segments) await segment.close();
    this.removeAllListeners();
  }

  private async appendValidated(
    records: Buffer,
    batches: BatchHeader[],
  ): Promise<{ result: AppendResult; durable: Promise<void> | null }> {
    if (this.closed)
      throw new UnknownTopicError(this.topic, `partition ${this.partition} was closed or deleted`);
    if (this.failure) throw this.failure;
    const nowMs = Date.now();
    const appendTime = BigInt(nowMs);
    const baseOffset = this.nextOffset;
    const data = Buffer.allocUnsafe(records.length);
    records.copy(data);
    let offset = baseOffset;
    for (const batch of batches) {
      data.writeBigInt64BE(offset, batch.position);
      if (batch.attributes & LOG_APPEND_TIME_FLAG) {
        stampLogAppendTime(data, batch.position, batch.size, appendTime);
        batch.maxTimestamp = nowMs;
      }
      offset += BigInt(batch.lastOffsetDelta + 1);
    }
    let active = this.segments[this.segments.length - 1];
    if (this.shouldRoll(active, data.length, offset, nowMs)) active = await this.roll(active);
    try {
      await active.append(data, batches, baseOffset, nowMs);
    } catch (err) {
      // A partial write that could not be undone: refuse further appends rather than build on it.
      if (active.damaged && err instanceof StorageIoError) this.failure = err;
      throw err;
    }
    this.nextOffset = offset;
    const result = { baseOffset, lastOffset: offset - 1n, logAppendTimeMs: appendTime };
    if (this.opts.fsync.mode === 'always') {
      // Requested inside the queue, not awaited: appends queued meanwhile share the next fsync.
      return { result, durable: this.syncer.request() };
    }
    this.dirty = true;
    this.publish({ segment: active, size: active.size, endOffset: offset });
    return { result, durable: null };
  }

  private shouldRoll(active: LogSegment, bytes: number, endOffset: bigint, nowMs: number): boolean {
    if (active.size === 0) return false;
    const { segmentBytes, segmentMs } = this.opts.config;
    return (
      active.size + bytes > segmentBytes ||
      endOffset - active.baseOffset > BigInt(MAX_RELATIVE_OFFSET) ||
      (segmentMs != null && nowMs - active.createdMs >= segmentMs)
    );
  }

  private async roll(active: LogSegment): Promise<LogSegment> {
    await active.seal();
    this.publish({ segment: active, size: active.size, endOffset: this.nextOffset });
    const next = await LogSegment.create(
      this.opts.dir,
      this.nextOffset,
      this.opts.indexIntervalBytes,
    );
    await fsyncDir(this.opts.dir);
    this.segments = [...this.segments, next];
    return next;
  }

  /** Group-commit fsync of the active segment, then publishes what it covered. */
  private async syncActive(): Promise<void> {
    const segment = this.segments[this.segments.length - 1];
    const target: LogPosition = { segment, size: segment.size, endOffset: this.nextOffset };
    await segment.datasync();
    this.publish(target);
  }

  private publish(target: LogPosition): void {
    if (target.endOffset <= this.endOffset) return;
    if (target.size > target.segment.readableSize) target.segment.readableSize = target.size;
    this.endOffset = target.endOffset;
    this.emit('append', target.endOffset);
  }

  private validate(records: Buffer): BatchHeader[] {
    const batches: BatchHeader[] = [];
    let position = 0;
    if (records.length === 0)
      throw new CorruptRecordError(this.name(), 0, 'no record batch in produce data');
    while (position < records.length) {
      const inspection = inspectBatch(records, position);
      switch (inspection.kind) {
        case 'ok':
          batches.push(inspection.header);
          position += inspection.header.size;
          break;
        case 'bad-magic':
          throw new UnsupportedMagicError(this.name(), position, inspection.magic);
        case 'incomplete':
          throw new CorruptRecordError(
            this.name(),
            position,
            `truncated batch: needs ${inspection.needBytes} bytes, ${records.length - position} present`,
          );
        case 'corrupt':
          throw new CorruptRecordError(this.name(), position, inspection.reason);
      }
    }
    return batches;
  }

  private segmentIndexFor(segments: readonly LogSegment[], offset: bigint): number {
    let lo = 0;
    let hi = segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (segments[mid].baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private name(): string {
    return `${this.topic}-${this.partition}`;
  }
}

/**
 * Opens segments oldest first. Sealed segments are trusted when their index seals them; the last
 * one is always scanned. The first segment found torn or inconsistent is truncated there and
 * every later segment is deleted, so the log stays contiguous and ends at a complete batch.
 */
async function recoverSegments(opts: PartitionLogOptions, bases: bigint[]): Promise<LogSegment[]> {
  const segments: LogSegment[] = [];
  const report = (segment: string, action: RecoveryEvent['action'], detail: string): void =>
    opts.onRecovery?.({ topic: opts.topic, partition: opts.partition, segment, action, detail });
  for (let i = 0; i < bases.length; i++) {
    const expectedEnd = i + 1 < bases.length ? bases[i + 1] : null;
    const { segment, scan, indexProblem } = await LogSegment.open(
      opts.dir,
      bases[i],
      opts.indexIntervalBytes,
      expectedEnd,
    );
    segments.push(segment);
    const file = path.basename(segment.logPath);
    if (indexProblem) report(file, 'rebuilt-index', indexProblem);
    if (!scan) continue;
    const torn = scan.validBytes < scan.fileBytes;
    if (torn) {
      await segment.truncate(scan.validBytes);
      report(
        file,
        'truncated-tail',
        `${scan.fileBytes - scan.validBytes} bytes dropped: ${scan.stopReason ?? 'unknown'}`,
      );
    }
    const sealedAndWhole = expectedEnd !== null && !torn && segment.nextOffset === expectedEnd;
    if (sealedAndWhole) {
      await segment.writeSealedIndex();
      continue;
    }
    await segment.writeActiveIndex();
    if (expectedEnd !== null) {
      for (const later of bases.slice(i + 1)) {
        const stem = path.join(opts.dir, segmentFileStem(later));
        await io('delete segment', `${stem}.log`, () => fs.rm(`${stem}.log`, { force: true }));
        await io('delete index', `${stem}.index`, () => fs.rm(`${stem}.index`, { force: true }));
        report(
          path.basename(`${stem}.log`),
          'dropped-segment',
          `follows a segment that ends at offset ${segment.nextOffset}`,
        );
      }
      await fsyncDir(opts.dir);
      break;
    }
  }
  return segments;
}
