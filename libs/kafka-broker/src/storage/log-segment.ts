import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';

import { io } from './fs-durability';
import {
  BATCH_HEADER_BYTES,
  BATCH_LOG_OVERHEAD,
  BatchField,
  type BatchHeader,
  inspectBatch,
} from './record-batch.format';
import { SparseIndex } from './sparse-index';
import { StorageIoError } from './storage.errors';

const EMPTY = Buffer.alloc(0);
/** Smallest positional read for fetches: amortises syscalls when maxBytes is tiny. */
const MIN_READ_BYTES = 64 * 1024;
/** Chunk size for recovery scans and timestamp searches. */
const SCAN_CHUNK_BYTES = 1024 * 1024;
/** Kafka's largest relative offset in an index entry; a segment rolls before exceeding it. */
export const MAX_RELATIVE_OFFSET = 0x7fff_ffff;

export function segmentFileStem(baseOffset: bigint): string {
  return baseOffset.toString().padStart(20, '0');
}

export interface ScanResult {
  /** bytes of the file that hold complete, valid, contiguous batches */
  validBytes: number;
  fileBytes: number;
  /** why the scan stopped before the end of the file, if it did */
  stopReason?: string;
}

/**
 * One segment of a partition log: `<20-digit baseOffset>.log` holding magic-2 batches back to back,
 * and its sparse `.index`. Only the active (last) segment is ever written; all others are sealed.
 *
 * `size` counts bytes written; `readableSize` counts bytes readers may see. They differ only in
 * fsync mode 'always', where a batch becomes visible once it is durable.
 */
export class LogSegment {
  readonly logPath: string;
  readonly indexPath: string;
  index = new SparseIndex();
  size = 0;
  readableSize = 0;
  /** offset after the last written batch */
  nextOffset: bigint;
  /** largest batch maxTimestamp written (-1 when none, Kafka's NO_TIMESTAMP) */
  maxTimestamp = -1;
  /** wall-clock time of the last write (or file mtime after a restart), for time retention */
  lastModifiedMs: number;
  /** wall-clock time the segment was created, for time-based rolling */
  createdMs: number;
  /** a failed write could not be rolled back: the file may hold a partial batch */
  damaged = false;
  private lastIndexedPosition = 0;
  private handle: FileHandle | null = null;
  private opening: Promise<FileHandle> | null = null;
  private inFlightReads = 0;
  private retired = false;
  private onIdle: (() => void) | null = null;

  private constructor(
    readonly dir: string,
    readonly baseOffset: bigint,
    private readonly indexIntervalBytes: number,
    nowMs: number,
  ) {
    const stem = path.join(dir, segmentFileStem(baseOffset));
    this.logPath = `${stem}.log`;
    this.indexPath = `${stem}.index`;
    this.nextOffset = baseOffset;
    this.lastModifiedMs = nowMs;
    this.createdMs = nowMs;
  }

  /** Creates a new empty segment file (truncating a leftover file of the same name). */
  static async create(
    dir: string,
    baseOffset: bigint,
    indexIntervalBytes: number,
  ): Promise<LogSegment> {
    const segment = new LogSegment(dir, baseOffset, indexIntervalBytes, Date.now());
    segment.handle = await io('create segment', segment.logPath, () =>
      fs.open(segment.logPath, 'w+'),
    );
    await io('remove stale index', segment.indexPath, () =>
      fs.rm(segment.indexPath, { force: true }),
    );
    return segment;
  }

  /**
   * Opens an existing segment. A sealed segment whose index ends with a sealing entry matching the
   * file size and `expectedEndOffset` is trusted without reading the log; anything else (the active
   * segment, a missing or inconsistent index) is scanned, validating every batch, and its index is
   * rebuilt. The caller truncates at `validBytes` if the scan stopped early.
   */
  static async open(
    dir: string,
    baseOffset: bigint,
    indexIntervalBytes: number,
    expectedEndOffset: bigint | null,
  ): Promise<{ segment: LogSegment; scan: ScanResult | null; indexProblem: string | null }> {
    const probe = new LogSegment(dir, baseOffset, indexIntervalBytes, 0);
    const stat = await io('stat segment', probe.logPath, () => fs.stat(probe.logPath));
    const segment = new LogSegment(dir, baseOffset, indexIntervalBytes, stat.mtimeMs);
    segment.createdMs = stat.birthtimeMs > 0 ? stat.birthtimeMs : stat.mtimeMs;
    let indexProblem: string | null = null;
    if (expectedEndOffset !== null) {
      indexProblem = await segment.loadSealedIndex(stat.size, expectedEndOffset);
      if (indexProblem === null) return { segment, scan: null, indexProblem };
    }
    const scan = await segment.scan(stat.size);
    return { segment, scan, indexProblem };
  }

  /** Appends already-validated batches; `batches[i].position` is relative to `data`. */
  async append(
    data: Buffer,
    batches: readonly BatchHeader[],
    firstOffset: bigint,
    nowMs: number,
  ): Promise<void> {
    const handle = await this.fileHandle();
    const start = this.size;
    try {
      let written = 0;
      while (written < data.length) {
        const { bytesWritten } = await handle.write(
          data,
          written,
          data.length - written,
          start + written,
        );
        written += bytesWritten;
      }
    } catch (err) {
      // Leave no partial batch behind for later appends to build on; if even that fails the
      // segment is marked damaged and recovery on the next start truncates the torn tail.
      await handle.truncate(start).catch(() => {
        this.damaged = true;
      });
      throw new StorageIoError(
        `append ${data.length} bytes at position ${start}`,
        this.logPath,
        err,
      );
    }
    let offset = firstOffset;
    for (const batch of batches) {
      this.noteBatch(start + batch.position, offset, batch.lastOffsetDelta, batch.maxTimestamp);
      offset += BigInt(batch.lastOffsetDelta + 1);
    }
    this.size = start + data.length;
    this.lastModifiedMs = nowMs;
  }

  /**
   * Whole batches starting with the one containing `offset` (which must be below the segment's
   * readable end), up to `maxBytes` but always at least that first batch.
   */
  async readFrom(offset: bigint, maxBytes: number): Promise<Buffer> {
    const limit = this.readableSize;
    let position = this.index.floorPosition(Number(offset - this.baseOffset));
    let buf = await this.readAt(
      position,
      Math.min(limit - position, Math.max(maxBytes, MIN_READ_BYTES) + this.indexIntervalBytes),
    );
    let p = 0;
    let batchSize: number;
    for (;;) {
      if (p + BATCH_HEADER_BYTES > buf.length) {
        position += p;
        if (position >= limit) {
          throw new StorageIoError(
            'read',
            this.logPath,
            new Error(`offset ${offset} not found before readable end ${limit}`),
          );
        }
        buf = await this.readAt(
          position,
          Math.min(limit - position, Math.max(maxBytes, MIN_READ_BYTES)),
        );
        p = 0;
        continue;
      }
      batchSize = this.storedBatchSize(buf, p, position);
      const lastOffset =
        buf.readBigInt64BE(p + BatchField.BASE_OFFSET) +
        BigInt(buf.readInt32BE(p + BatchField.LAST_OFFSET_DELTA));
      if (lastOffset >= offset) break;
      p += batchSize;
    }
    if (p + batchSize > buf.length) {
      position += p;
      buf = await this.readAt(position, Math.min(limit - position, Math.max(batchSize, maxBytes)));
      p = 0;
    }
    let end = p + batchSize;
    while (end + BATCH_HEADER_BYTES <= buf.length) {
      const size = this.storedBatchSize(buf, end, position);
      if (end + size > buf.length || end + size - p > maxBytes) break;
      end += size;
    }
    return buf.subarray(p, end);
  }

  /** Base offset of the first readable batch whose maxTimestamp >= `timestamp`, if any. */
  async findOffsetForTimestamp(timestamp: number): Promise<bigint | undefined> {
    const limit = this.readableSize;
    let position = this.index.timestampSearchStart(timestamp);
    while (position < limit) {
      const buf = await this.readAt(position, Math.min(limit - position, SCAN_CHUNK_BYTES));
      let p = 0;
      while (p + BATCH_HEADER_BYTES <= buf.length) {
        if (Number(buf.readBigInt64BE(p + BatchField.MAX_TIMESTAMP)) >= timestamp) {
          return buf.readBigInt64BE(p + BatchField.BASE_OFFSET);
        }
        p += this.storedBatchSize(buf, p, position);
      }
      position += p;
    }
    return undefined;
  }

  /** Marks a read in progress so retention or close defers closing the file descriptor. */
  tryAcquire(): boolean {
    if (this.retired) return false;
    this.inFlightReads++;
    return true;
  }

  release(): void {
    this.inFlightReads--;
    if (this.inFlightReads === 0 && this.onIdle) this.onIdle();
  }

  async datasync(): Promise<void> {
    const handle = await this.fileHandle();
    await io('fdatasync segment', this.logPath, () => handle.datasync());
  }

  /**
   * Makes a segment immutable before the log rolls past it: the log is fsynced and the index is
   * written with its sealing entry and fsynced, so a later open trusts it without a scan.
   */
  async seal(): Promise<void> {
    await this.datasync();
    await this.writeSealedIndex();
  }

  /** Writes the index with its sealing entry (also after rebuilding a sealed segment's index). */
  async writeSealedIndex(): Promise<void> {
    await this.writeIndex(
      this.index.encode({
        relativeOffset: Number(this.nextOffset - this.baseOffset),
        position: this.size,
        maxTimestampBefore: this.maxTimestamp,
      }),
    );
  }

  /** Truncates the log to `validBytes` (after a scan found a torn or corrupt tail). */
  async truncate(validBytes: number): Promise<void> {
    const handle = await this.fileHandle();
    await io('truncate segment', this.logPath, async () => {
      await handle.truncate(validBytes);
      await handle.datasync();
    });
  }

  /** Writes the (unsealed) index of the active segment, so the files on disk stay self-describing. */
  async writeActiveIndex(): Promise<void> {
    await this.writeIndex(this.index.encode());
  }

  /** Deletes the files now; the descriptor closes when the last in-flight read finishes. */
  async retire(): Promise<void> {
    this.retired = true;
    await io('delete segment', this.logPath, () => fs.rm(this.logPath, { force: true }));
    await io('delete index', this.indexPath, () => fs.rm(this.indexPath, { force: true }));
    await this.closeWhenIdle();
  }

  async close(): Promise<void> {
    this.retired = true;
    await this.closeWhenIdle();
  }

  private async closeWhenIdle(): Promise<void> {
    if (this.inFlightReads > 0) {
      await new Promise<void>((resolve) => {
        this.onIdle = resolve;
      });
    }
    const handle = this.handle ?? (this.opening ? await this.opening : null);
    this.handle = null;
    this.opening = null;
    if (handle) await io('close segment', this.logPath, () => handle.close());
  }

  private noteBatch(
    position: number,
    baseOffset: bigint,
    lastOffsetDelta: number,
    maxTimestamp: number,
  ): void {
    if (position - this.lastIndexedPosition >= this.indexIntervalBytes) {
      this.index.add(Number(baseOffset - this.baseOffset), position, this.maxTimestamp);
      this.lastIndexedPosition = position;
    }
    if (maxTimestamp > this.maxTimestamp) this.maxTimestamp = maxTimestamp;
    this.nextOffset = baseOffset + BigInt(lastOffsetDelta + 1);
  }

  /** Trusts a sealed segment's index if its sealing entry matches the file; else says why not. */
  private async loadSealedIndex(
    fileBytes: number,
    expectedEndOffset: bigint,
  ): Promise<string | null> {
    let raw: Buffer;
    try {
      raw = await fs.readFile(this.indexPath);
    } catch (err) {
      return `index unreadable (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
    }
    const index = SparseIndex.decode(raw);
    if (typeof index === 'string') return `index corrupt: ${index}`;
    const seal = index.last();
    if (
      !seal ||
      seal.position !== fileBytes ||
      this.baseOffset + BigInt(seal.relativeOffset) !== expectedEndOffset
    ) {
      return `index does not seal the segment at ${fileBytes} bytes / offset ${expectedEndOffset}`;
    }
    // The sealing entry stays in memory: its relative offset is past every batch, so offset
    // lookups never pick it, and timestamp searches starting there correctly find nothing.
    this.index = index;
    this.size = fileBytes;
    this.readableSize = fileBytes;
    this.nextOffset = expectedEndOffset;
    this.maxTimestamp = seal.maxTimestampBefore;
    return null;
  }

  /** Validates every batch from the start, rebuilding the index; stops at the first bad byte. */
  private async scan(fileBytes: number): Promise<ScanResult> {
    let position = 0;
    let stopReason: string | undefined;
    let expectedOffset = this.baseOffset;
    scanning: while (position < fileBytes) {
      let buf = await this.readAt(position, Math.min(fileBytes - position, SCAN_CHUNK_BYTES));
      let p = 0;
      while (p < buf.length) {
        const inspection = inspectBatch(buf, p);
        if (inspection.kind === 'incomplete') {
          if (position + p + inspection.needBytes > fileBytes) {
            stopReason = `torn batch at byte ${position + p}: needs ${inspection.needBytes} bytes, file has ${fileBytes - position - p}`;
            position += p;
            break scanning;
          }
          if (p > 0) break;
          // A batch larger than the scan chunk: read it whole, once.
          buf = await this.readAt(position, Math.max(inspection.needBytes, SCAN_CHUNK_BYTES));
          if (buf.length < inspection.needBytes) {
            stopReason = `segment shrank while scanning at byte ${position}`;
            break scanning;
          }
          continue;
        }
        if (inspection.kind !== 'ok') {
          stopReason = `${inspection.kind === 'bad-magic' ? `magic ${inspection.magic}` : inspection.reason} at byte ${position + p}`;
          position += p;
          break scanning;
        }
        const header = inspection.header;
        if (header.baseOffset !== expectedOffset) {
          stopReason = `batch at byte ${position + p} has base offset ${header.baseOffset}, expected ${expectedOffset}`;
          position += p;
          break scanning;
        }
        this.noteBatch(
          position + p,
          header.baseOffset,
          header.lastOffsetDelta,
          header.maxTimestamp,
        );
        expectedOffset = this.nextOffset;
        p += header.size;
      }
      position += p;
    }
    this.size = position;
    this.readableSize = position;
    return { validBytes: position, fileBytes, stopReason };
  }

  private storedBatchSize(buf: Buffer, p: number, position: number): number {
    const size = BATCH_LOG_OVERHEAD + buf.readInt32BE(p + BatchField.BATCH_LENGTH);
    if (size < BATCH_HEADER_BYTES) {
      throw new StorageIoError(
        'read',
        this.logPath,
        new Error(`stored batch at byte ${position + p} has invalid size ${size}`),
      );
    }
    return size;
  }

  private async writeIndex(data: Buffer): Promise<void> {
    await io('write index', this.indexPath, async () => {
      const handle = await fs.open(this.indexPath, 'w');
      try {
        await handle.writeFile(data);
        await handle.datasync();
      } finally {
        await handle.close();
      }
    });
  }

  private async readAt(position: number, length: number): Promise<Buffer> {
    if (length <= 0) return EMPTY;
    const handle = await this.fileHandle();
    const buf = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await io(`read at position ${position + filled}`, this.logPath, () =>
        handle.read(buf, filled, length - filled, position + filled),
      );
      if (bytesRead === 0) return buf.subarray(0, filled);
      filled += bytesRead;
    }
    return buf;
  }

  private async fileHandle(): Promise<FileHandle> {
    if (this.handle) return this.handle;
    if (!this.opening) {
      this.opening = io('open segment', this.logPath, () => fs.open(this.logPath, 'r+')).then(
        (handle) => {
          this.handle = handle;
          return handle;
        },
      );
    }
    return this.opening;
  }
}
