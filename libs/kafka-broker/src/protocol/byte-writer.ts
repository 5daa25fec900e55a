/** First scratch is small enough for Node's shared pool; later ones grow for big responses. */
const FIRST_SCRATCH_BYTES = 1024;
const MAX_SCRATCH_BYTES = 64 * 1024;
/** Payloads at least this large are passed through as their own chunk instead of copied. */
const ZERO_COPY_MIN_BYTES = 1024;

/**
 * Big-endian writer producing a list of chunks. Small fields go into a scratch buffer;
 * large byte payloads (fetched record batches) are referenced, not copied, so a Fetch
 * response costs no memcpy of the data it carries: the socket writes the chunks with writev.
 */
export class ByteWriter {
  private readonly chunks: Buffer[] = [];
  private scratch: Buffer = Buffer.allocUnsafe(FIRST_SCRATCH_BYTES);
  private start = 0;
  private pos = 0;
  private flushed = 0;

  get length(): number {
    return this.flushed + (this.pos - this.start);
  }

  int8(v: number): this {
    this.ensure(1);
    this.scratch.writeInt8(v, this.pos);
    this.pos += 1;
    return this;
  }

  int16(v: number): this {
    this.ensure(2);
    this.scratch.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.scratch.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  int64(v: bigint): this {
    this.ensure(8);
    this.scratch.writeBigInt64BE(v, this.pos);
    this.pos += 8;
    return this;
  }

  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }

  string(v: string): this {
    return this.nullableString(v);
  }

  nullableString(v: string | null): this {
    if (v === null) return this.int16(-1);
    const len = Buffer.byteLength(v, 'utf8');
    this.int16(len);
    this.ensure(len);
    this.scratch.write(v, this.pos, len, 'utf8');
    this.pos += len;
    return this;
  }

  bytes(v: Buffer): this {
    return this.nullableBytes(v);
  }

  nullableBytes(v: Buffer | null): this {
    if (v === null) return this.int32(-1);
    this.int32(v.length);
    return this.raw(v);
  }

  /** Appends bytes without a length prefix. */
  raw(v: Buffer): this {
    if (v.length >= ZERO_COPY_MIN_BYTES) {
      this.cut();
      this.chunks.push(v);
      this.flushed += v.length;
      return this;
    }
    this.ensure(v.length);
    v.copy(this.scratch, this.pos);
    this.pos += v.length;
    return this;
  }

  array<T>(items: readonly T[], writeItem: (w: this, item: T) => void): this {
    this.int32(items.length);
    for (const item of items) writeItem(this, item);
    return this;
  }

  nullableArray<T>(items: readonly T[] | null, writeItem: (w: this, item: T) => void): this {
    if (items === null) return this.int32(-1);
    return this.array(items, writeItem);
  }

  toChunks(): Buffer[] {
    this.cut();
    return this.chunks;
  }

  toBuffer(): Buffer {
    const chunks = this.toChunks();
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, this.flushed);
  }

  /** Closes the current scratch region as a chunk (a view, the scratch is never rewritten). */
  private cut(): void {
    if (this.pos > this.start) {
      this.chunks.push(this.scratch.subarray(this.start, this.pos));
      this.flushed += this.pos - this.start;
      this.start = this.pos;
    }
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.scratch.length) return;
    this.cut();
    this.scratch = Buffer.allocUnsafe(
      Math.max(Math.min(this.scratch.length * 2, MAX_SCRATCH_BYTES), n),
    );
    this.start = 0;
    this.pos = 0;
  }
}
