import { MalformedRequestError } from './protocol.errors';

/**
 * Bounds-checked big-endian reader over one request frame. Every read names the field so a
 * malformed frame is reported precisely; nothing here can throw anything but
 * MalformedRequestError, so the server can treat decoding failures uniformly.
 */
export class ByteReader {
  private pos: number;

  constructor(
    private readonly buf: Buffer,
    private readonly context: string,
    start = 0,
  ) {
    this.pos = start;
  }

  get position(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  int8(field: string): number {
    this.need(field, 1);
    return this.buf.readInt8(this.pos++);
  }

  int16(field: string): number {
    this.need(field, 2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(field: string): number {
    this.need(field, 4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  int64(field: string): bigint {
    this.need(field, 8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  bool(field: string): boolean {
    const v = this.int8(field);
    if (v !== 0 && v !== 1) this.fail(field, `boolean must be 0 or 1, got ${v}`, -1);
    return v === 1;
  }

  string(field: string): string {
    const s = this.nullableString(field);
    if (s === null) this.fail(field, 'non-nullable string has length -1', -2);
    return s;
  }

  nullableString(field: string): string | null {
    const len = this.int16(field);
    if (len === -1) return null;
    if (len < 0) this.fail(field, `negative string length ${len}`, -2);
    this.need(field, len);
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }

  /** Returns a view into the frame, not a copy: record batches stay zero-copy up to storage. */
  bytes(field: string): Buffer {
    const b = this.nullableBytes(field);
    if (b === null) this.fail(field, 'non-nullable bytes has length -1', -4);
    return b;
  }

  nullableBytes(field: string): Buffer | null {
    const len = this.int32(field);
    if (len === -1) return null;
    if (len < 0) this.fail(field, `negative bytes length ${len}`, -4);
    this.need(field, len);
    const b = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return b;
  }

  array<T>(field: string, readItem: (r: ByteReader, index: number) => T): T[] {
    const items = this.nullableArray(field, readItem);
    if (items === null) this.fail(field, 'non-nullable array has length -1', -4);
    return items;
  }

  nullableArray<T>(field: string, readItem: (r: ByteReader, index: number) => T): T[] | null {
    const count = this.int32(field);
    if (count === -1) return null;
    if (count < 0) this.fail(field, `negative array length ${count}`, -4);
    // Every element takes at least one byte: refuse counts that cannot fit before allocating.
    if (count > this.remaining) {
      this.fail(field, `array length ${count} exceeds the ${this.remaining} bytes left`, -4);
    }
    const items = new Array<T>(count);
    for (let i = 0; i < count; i++) items[i] = readItem(this, i);
    return items;
  }

  /** Kafka request bodies have a fixed layout per version: trailing bytes mean a framing bug. */
  expectEnd(): void {
    if (this.pos !== this.buf.length) {
      this.fail('<end>', `${this.buf.length - this.pos} unexpected trailing bytes`, 0);
    }
  }

  private need(field: string, n: number): void {
    if (this.pos + n > this.buf.length) {
      throw new MalformedRequestError(
        this.context,
        field,
        this.pos,
        `needs ${n} bytes, only ${this.buf.length - this.pos} left`,
      );
    }
  }

  private fail(field: string, detail: string, back: number): never {
    throw new MalformedRequestError(this.context, field, this.pos + back, detail);
  }
}
