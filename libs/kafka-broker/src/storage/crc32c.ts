import { crc32c as nativeCrc32c } from '@node-rs/crc32';

/** CRC-32C (Castagnoli) of `buf`, as the unsigned 32-bit value Kafka stores in a record batch. */
export function crc32c(buf: Buffer): number {
  return nativeCrc32c(buf) >>> 0;
}
