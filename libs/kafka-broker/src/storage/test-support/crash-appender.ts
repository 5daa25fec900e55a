/**
 * Child process for the crash test: appends numbered batches with fsync 'always' as fast as it
 * can (several in flight, so group commit and segment rolls happen) and prints
 * `ack <sequence> <baseOffset>` for each append that resolved. The parent SIGKILLs it mid-loop.
 */
import { LogManager } from '../log-manager';
import { crashBatch } from './crash-batch.fixture';

const IN_FLIGHT = 4;

async function main(): Promise<void> {
  const dataDir = process.argv[2];
  const manager = await LogManager.open({
    dataDir,
    defaultPartitions: 1,
    fsync: { mode: 'always' },
    defaultTopicConfig: { retentionMs: null, retentionBytes: null, segmentBytes: 64 * 1024 },
  });
  if (!manager.hasTopic('crash')) await manager.createTopic('crash');
  const log = manager.partition('crash', 0);
  if (!log) throw new Error('topic crash has no partition 0');
  let sequence = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const mine = sequence++;
      const { baseOffset } = await log.append(crashBatch(mine));
      process.stdout.write(`ack ${mine} ${baseOffset}\n`);
    }
  };
  process.stdout.write('ready\n');
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
