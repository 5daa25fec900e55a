/**
 * Sparse per-segment index: one entry every `indexIntervalBytes` of log, mapping the base offset
 * of a batch (relative to the segment) to its file position, plus the largest batch timestamp
 * seen *before* that batch. Readers seek to the nearest entry and walk batch headers from there,
 * so neither reads nor ListOffsets scan whole segments.
 *
 * File format (`<baseOffset>.index`): 16-byte big-endian entries
 *   relativeOffset u32 | position u32 | maxTimestampBefore i64
 * A sealed (rolled) segment's index ends with a sealing entry (relative end offset, file size,
 * segment max timestamp) so the segment's bounds are known on open without scanning it.
 */
export const INDEX_ENTRY_BYTES = 16;

export interface IndexEntry {
  relativeOffset: number;
  position: number;
  maxTimestampBefore: number;
}

export class SparseIndex {
  private readonly relativeOffsets: number[] = [];
  private readonly positions: number[] = [];
  private readonly maxTimestampsBefore: number[] = [];

  get length(): number {
    return this.positions.length;
  }

  add(relativeOffset: number, position: number, maxTimestampBefore: number): void {
    this.relativeOffsets.push(relativeOffset);
    this.positions.push(position);
    this.maxTimestampsBefore.push(maxTimestampBefore);
  }

  last(): IndexEntry | undefined {
    const i = this.positions.length - 1;
    return i < 0 ? undefined : this.entry(i);
  }

  /** Position of the last indexed batch whose base offset is <= `relativeOffset` (0 if none). */
  floorPosition(relativeOffset: number): number {
    let lo = 0;
    let hi = this.relativeOffsets.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.relativeOffsets[mid] <= relativeOffset) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? 0 : this.positions[found];
  }

  /**
   * Position where a search for the first batch with maxTimestamp >= `timestamp` may start: every
   * batch before it has a smaller timestamp. Relies on maxTimestampBefore being a running max.
   */
  timestampSearchStart(timestamp: number): number {
    let lo = 0;
    let hi = this.maxTimestampsBefore.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.maxTimestampsBefore[mid] < timestamp) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? 0 : this.positions[found];
  }

  /** Encodes the entries, followed by `seal` when the segment is being sealed. */
  encode(seal?: IndexEntry): Buffer {
    const count = this.positions.length;
    const buf = Buffer.allocUnsafe((count + (seal ? 1 : 0)) * INDEX_ENTRY_BYTES);
    for (let i = 0; i < count; i++) {
      writeEntry(buf, i * INDEX_ENTRY_BYTES, this.entry(i));
    }
    if (seal) writeEntry(buf, count * INDEX_ENTRY_BYTES, seal);
    return buf;
  }

  /** Decodes an index file, or returns why it cannot be trusted (the caller then rebuilds it). */
  static decode(buf: Buffer): SparseIndex | string {
    if (buf.length % INDEX_ENTRY_BYTES !== 0) {
      return `size ${buf.length} is not a multiple of ${INDEX_ENTRY_BYTES}`;
    }
    const index = new SparseIndex();
    for (let at = 0; at < buf.length; at += INDEX_ENTRY_BYTES) {
      const relativeOffset = buf.readUInt32BE(at);
      const position = buf.readUInt32BE(at + 4);
      const maxTimestampBefore = Number(buf.readBigInt64BE(at + 8));
      const prev = index.last();
      if (
        prev &&
        (relativeOffset <= prev.relativeOffset ||
          position <= prev.position ||
          maxTimestampBefore < prev.maxTimestampBefore)
      ) {
        return `entry ${at / INDEX_ENTRY_BYTES} is not strictly after the previous one`;
      }
      index.add(relativeOffset, position, maxTimestampBefore);
    }
    return index;
  }

  private entry(i: number): IndexEntry {
    return {
      relativeOffset: this.relativeOffsets[i],
      position: this.positions[i],
      maxTimestampBefore: this.maxTimestampsBefore[i],
    };
  }
}

function writeEntry(buf: Buffer, at: number, entry: IndexEntry): void {
  buf.writeUInt32BE(entry.relativeOffset, at);
  buf.writeUInt32BE(entry.position, at + 4);
  buf.writeBigInt64BE(BigInt(entry.maxTimestampBefore), at + 8);
}
