import { Transform, type TransformCallback } from 'node:stream';

/** The upload went past UPLOAD_MAX_BYTES (HTTP 413 before the job starts, a failed job after). */
export class UploadTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`the upload exceeds the limit of ${limit} bytes (UPLOAD_MAX_BYTES)`);
    this.name = 'UploadTooLargeError';
  }
}

/**
 * Passes bytes through, counting them and failing once more than `limit` have gone by. Uploads
 * bypass Fastify's body limit (their body is streamed, never parsed whole), so this is their limit.
 */
export class ByteCounter extends Transform {
  private count = 0;

  constructor(private readonly limit: number) {
    super();
  }

  get bytes(): number {
    return this.count;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.count += chunk.length;
    if (this.count > this.limit) done(new UploadTooLargeError(this.limit));
    else done(null, chunk);
  }
}
