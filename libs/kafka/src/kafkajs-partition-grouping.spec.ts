import { readFileSync } from 'node:fs';

/**
 * kafkajs 2.2.4 groups a send's messages by partition with `[...current, message]` per message:
 * quadratic in the messages per partition, ~21% of the stream-transformer's CPU under load.
 * patches/kafkajs+2.2.4.patch (applied by `npm install` through patch-package) appends instead.
 */
const GROUPING_MODULE = 'kafkajs/src/producer/groupMessagesPerPartition';

type Grouping = (input: {
  topic: string;
  partitionMetadata: Array<{ partitionId: number }>;
  messages: Array<{ key: string; value: string }>;
  partitioner: (input: { message: { key: string } }) => number;
}) => Record<number, Array<{ key: string; value: string }>>;

describe('kafkajs producer partition grouping (patched)', () => {
  it('is the patched, appending implementation', () => {
    const source = readFileSync(require.resolve(GROUPING_MODULE), 'utf8');
    expect(source).not.toContain('[...current, message]');
    expect(source).toContain('current.push(message)');
  });

  it('keeps every message, in send order, under the partition the partitioner chose', () => {
    const group = require(GROUPING_MODULE) as Grouping;
    const messages = Array.from({ length: 10_000 }, (_, i) => ({
      key: `device-${i % 7}`,
      value: String(i),
    }));
    const grouped = group({
      topic: 'telemetry.raw.v1',
      partitionMetadata: [{ partitionId: 0 }, { partitionId: 1 }, { partitionId: 2 }],
      messages,
      partitioner: ({ message }) => Number(message.key.slice('device-'.length)) % 3,
    });

    expect(Object.keys(grouped).sort()).toEqual(['0', '1', '2']);
    for (const [partition, inPartition] of Object.entries(grouped)) {
      expect(inPartition).toEqual(
        messages.filter((message) => Number(message.key.slice(7)) % 3 === Number(partition)),
      );
    }
    expect(group({ topic: 't', partitionMetadata: [], messages, partitioner: () => 0 })).toEqual(
      {},
    );
  });
});
