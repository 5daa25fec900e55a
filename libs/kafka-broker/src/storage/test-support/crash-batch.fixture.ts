import { encodeBatch } from './record-batch.fixture';

/** The batch the crash test's child appends for `sequence`: recognisable, varying in size. */
export function crashBatch(sequence: number): Buffer {
  const count = 1 + (sequence % 7);
  return encodeBatch(
    Array.from({ length: count }, (_, i) => ({
      key: Buffer.from(`seq-${sequence}`),
      value: Buffer.alloc(100 + (sequence % 13) * 10, `${sequence}:${i};`),
    })),
    { timestamp: 1_700_000_000_000 + sequence },
  );
}
