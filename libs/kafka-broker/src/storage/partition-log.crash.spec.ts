import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';

import { LogManager } from './log-manager';
import { crashBatch } from './test-support/crash-batch.fixture';
import { splitBatches } from './test-support/record-batch.fixture';
import { makeTempDir } from './test-support/temp-dir.fixture';

const REPO_ROOT = path.resolve(__dirname, '../../../..');
const ACKS_BEFORE_KILL = 400;

/** Resolves with the child's acknowledged appends once at least `count` arrived. */
function collectAcks(child: ChildProcess, count: number): Promise<Map<number, bigint>> {
  const acks = new Map<number, bigint>();
  let pending = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const [tag, sequence, offset] = line.split(' ');
        if (tag === 'ack') acks.set(Number(sequence), BigInt(offset));
      }
      if (acks.size >= count) resolve(acks);
    });
    child.on('exit', (code, signal) => {
      if (acks.size < count)
        reject(new Error(`appender exited early (${code ?? signal}): ${stderr}`));
    });
  });
}

describe('partition log crash safety', () => {
  it('keeps every append acknowledged under fsync always when the process is SIGKILLed mid-loop', async () => {
    const { dir, cleanup } = makeTempDir('crash');
    try {
      const child = spawn(
        process.execPath,
        ['-r', '@swc-node/register', path.join(__dirname, 'test-support/crash-appender.ts'), dir],
        {
          cwd: REPO_ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      // 'close' fires after the pipes drained: every ack the child wrote has been parsed by then.
      const closed = new Promise((resolve) => child.on('close', resolve));
      const acks = await collectAcks(child, ACKS_BEFORE_KILL);
      child.kill('SIGKILL');
      await closed;
      // `acks` keeps filling after the threshold: acks printed before the kill count too.
      const acknowledged = acks;

      const manager = await LogManager.open({
        dataDir: dir,
        defaultPartitions: 1,
        fsync: { mode: 'always' },
        defaultTopicConfig: { retentionMs: null, retentionBytes: null, segmentBytes: 64 * 1024 },
      });
      try {
        const log = manager.partition('crash', 0)!;
        const stored = new Map<bigint, Buffer>();
        let offset = 0n;
        while (offset < log.logEndOffset) {
          const data = await log.read(offset, 1 << 20);
          let p = 0;
          for (const batch of splitBatches(data)) {
            expect(batch.baseOffset).toBe(offset); // contiguous, no gaps, no torn batch
            stored.set(batch.baseOffset, data.subarray(p, p + batch.size));
            offset += BigInt(batch.count);
            p += batch.size;
          }
        }
        expect(log.logEndOffset).toBe(offset);
        for (const [sequence, baseOffset] of acknowledged) {
          const batch = stored.get(baseOffset);
          expect(batch).toBeDefined();
          expect(batch!.subarray(8)).toEqual(crashBatch(sequence).subarray(8));
        }
        expect(manager.listTopics().map((t) => t.name)).toEqual(['crash']);
        const { baseOffset } = await log.append(crashBatch(0));
        expect(baseOffset).toBe(offset);
      } finally {
        await manager.close();
      }
    } finally {
      cleanup();
    }
  }, 60_000);
});
