/** A frame announced a size over the configured limit (or a negative one). */
export class FrameSizeError extends Error {
  constructor(
    readonly size: number,
    readonly maxFrameBytes: number,
  ) {
    super(`request frame of ${size} bytes is outside 0..${maxFrameBytes}`);
    this.name = 'FrameSizeError';
  }
}

const LENGTH_PREFIX = 4;
const EMPTY = Buffer.alloc(0);

/**
 * Splits a TCP byte stream into Kafka request frames (int32 size + payload). Frames that arrive
 * within one chunk are returned as views of it; only frames spanning chunks are concatenated.
 * The size is checked before any of the payload is buffered, so a huge announced size costs
 * nothing but the closed connection.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private expected = -1;

  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes received but not yet returned as a frame (a truncated frame at close time). */
  get pendingBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.expected < 0) {
        if (this.buffered < LENGTH_PREFIX) break;
        const size = this.take(LENGTH_PREFIX).readInt32BE(0);
        if (size < 0 || size > this.maxFrameBytes)
          throw new FrameSizeError(size, this.maxFrameBytes);
        this.expected = size;
      }
      if (this.buffered < this.expected) break;
      frames.push(this.take(this.expected));
      this.expected = -1;
    }
    return frames;
  }

  private take(n: number): Buffer {
    if (n === 0) return EMPTY;
    const head = this.chunks[0];
    if (head.length >= n) {
      this.buffered -= n;
      if (head.length === n) this.chunks.shift();
      else this.chunks[0] = head.subarray(n);
      return head.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0];
      const used = Math.min(c.length, n - filled);
      c.copy(out, filled, 0, used);
      filled += used;
      if (used === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(used);
    }
    this.buffered -= n;
    return out;
  }
}
