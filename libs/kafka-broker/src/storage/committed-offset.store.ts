import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';

import { crc32c } from './crc32c';
import { io, readFileIfExists, writeFileAtomic } from './fs-durability';
import { SerialQueue } from './serial-queue';
import { StorageIoError } from './storage.errors';
import type { FsyncPolicy } from './storage.types';
import { SyncCoalescer } from './sync-coalescer';

export interface CommittedOffset {
  offset: bigint;
  metadata: string | null;
}

export interface OffsetCommitEntry extends CommittedOffset {
  topic: string;
  partition: number;
}

const FILE_NAME = 'committed-offsets.log';
/** Compact once the log is this much larger than its last snapshot (and at least 1 MiB). */
const COMPACT_MIN_BYTES = 1024 * 1024;
const COMPACT_GROWTH_FACTOR = 4;

/**
 * A commit (`g`: group, `o`: offsets, `t`: when, epoch ms; absent in logs written before expiry
 * existed), a deleted topic (`d`), or groups whose offsets expired (`x`).
 */
type Line =
  | { g: string; o: Array<[string, number, string, string | null]>; t?: number }
  | { d: string }
  | { x: string[] };

/**
 * Consumer-group offsets, persisted in `<dataDir>/committed-offsets.log`: one line per commit,
 * `<crc32c hex> <json>\n`, replayed on open. A torn or corrupt tail (crash mid-write) is
 * truncated. When the log has grown well past its live content it is replaced atomically by a
 * snapshot holding one line per group.
 *
 * fsync 'always': commit() resolves after an fsync (shared by concurrent commits); 'interval':
 * fsynced on a timer. fetch() answers from memory and may see a commit before its fsync.
 *
 * Each group's last commit time is kept too, so that the offsets of groups nobody uses any more
 * can expire (`expireGroups`), as Kafka's offsets.retention.minutes has them: a group id per
 * process (a live-stream consumer that starts from the end each time) otherwise accumulates
 * forever on a long-running broker.
 */
export class CommittedOffsetStore {
  private readonly groups = new Map<string, Map<string, CommittedOffset>>();
  private readonly lastCommitAt = new Map<string, number>();
  /** Stands for the commit time of groups read from lines without one. */
  private readonly openedAt = Date.now();
  private readonly queue = new SerialQueue();
  private readonly syncer: SyncCoalescer;
  private flushTimer: NodeJS.Timeout | null = null;
  private dirty = false;
  private size = 0;
  private snapshotSize = 0;
  private closed = false;

  private constructor(
    private readonly filePath: string,
    private readonly fsync: FsyncPolicy,
    private handle: FileHandle,
  ) {
    this.syncer = new SyncCoalescer(() =>
      io('fdatasync', this.filePath, () => this.handle.datasync()),
    );
  }

  static async open(dataDir: string, fsync: FsyncPolicy): Promise<CommittedOffsetStore> {
    await io('create data directory', dataDir, () => fs.mkdir(dataDir, { recursive: true }));
    const filePath = path.join(dataDir, FILE_NAME);
    const raw = (await readFileIfExists(filePath)) ?? Buffer.alloc(0);
    const handle = await io('open', filePath, () =>
      fs.open(filePath, raw.length > 0 ? 'r+' : 'w+'),
    );
    const store = new CommittedOffsetStore(filePath, fsync, handle);
    const validBytes = store.replay(raw);
    if (validBytes < raw.length) {
      await io('truncate torn tail', filePath, async () => {
        await handle.truncate(validBytes);
        await handle.datasync();
      });
    }
    store.size = validBytes;
    store.snapshotSize = validBytes;
    if (fsync.mode === 'interval') {
      store.flushTimer = setInterval(() => store.flush(), fsync.intervalMs);
      store.flushTimer.unref();
    }
    return store;
  }

  async commit(group: string, entries: OffsetCommitEntry[], nowMs = Date.now()): Promise<void> {
    if (entries.length === 0) return;
    const line: Line = {
      g: group,
      o: entries.map((e) => [e.topic, e.partition, e.offset.toString(), e.metadata]),
      t: nowMs,
    };
    await this.appendLine(line, () => this.apply(line));
  }

  /** Groups holding offsets whose last commit is older than `cutoffMs` (epoch ms). */
  groupsLastCommittedBefore(cutoffMs: number): string[] {
    return this.groupIds().filter((group) => (this.lastCommitAt.get(group) ?? 0) < cutoffMs);
  }

  /** Forgets every offset of these groups, durably, in one append. */
  async expireGroups(groups: string[]): Promise<void> {
    if (groups.length === 0) return;
    const line: Line = { x: groups };
    await this.appendLine(line, () => this.apply(line));
  }

  fetch(group: string, topic: string, partition: number): CommittedOffset | undefined {
    const committed = this.groups.get(group)?.get(key(topic, partition));
    return committed ? { ...committed } : undefined;
  }

  /** Groups holding at least one committed offset. */
  groupIds(): string[] {
    return [...this.groups].filter(([, offsets]) => offsets.size > 0).map(([group]) => group);
  }

  hasGroup(group: string): boolean {
    return (this.groups.get(group)?.size ?? 0) > 0;
  }

  /** Drops every group's offsets for a deleted topic. */
  async deleteTopic(topic: string): Promise<void> {
    const line: Line = { d: topic };
    await this.appendLine(line, () => this.apply(line));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue.run(async () => {
      this.closed = true;
    });
    if (this.flushTimer) clearInterval(this.flushTimer);
    await this.syncer.idle();
    await io('fdatasync', this.filePath, () => this.handle.datasync());
    await io('close', this.filePath, () => this.handle.close());
  }

  private async appendLine(line: Line, apply: () => void): Promise<void> {
    const durable = await this.queue.run(async () => {
      if (this.closed)
        throw new StorageIoError('commit offsets', this.filePath, new Error('store is closed'));
      const data = encodeLine(line);
      await io(`append at ${this.size}`, this.filePath, () =>
        writeFully(this.handle, data, this.size),
      );
      this.size += data.length;
      // Applied before the fsync so that a compaction snapshot (taken in this queue) includes it.
      apply();
      if (this.size > Math.max(COMPACT_MIN_BYTES, this.snapshotSize * COMPACT_GROWTH_FACTOR))
        await this.compact();
      if (this.fsync.mode === 'always') return this.syncer.request();
      this.dirty = true;
      return null;
    });
    if (durable) await durable;
  }

  private flush(): void {
    if (!this.dirty || this.closed) return;
    this.dirty = false;
    // Through the queue, so a compaction never swaps the file handle under a running fsync.
    this.queue
      .run(() => this.syncer.request())
      .catch((err: unknown) => {
        this.dirty = true;
        process.emitWarning(err instanceof Error ? err : new Error(String(err)));
      });
  }

  /** Replaces the log by one line per group, atomically; the old handle is closed after. */
  private async compact(): Promise<void> {
    await this.syncer.idle();
    const lines: Line[] = [...this.groups].map(([group, offsets]) => ({
      g: group,
      o: [...offsets].map(([k, c]) => {
        const [topic, partition] = splitKey(k);
        return [topic, partition, c.offset.toString(), c.metadata];
      }),
      t: this.lastCommitAt.get(group),
    }));
    const snapshot = Buffer.concat(lines.map(encodeLine));
    await writeFileAtomic(this.filePath, snapshot);
    const old = this.handle;
    this.handle = await io('reopen after compaction', this.filePath, () =>
      fs.open(this.filePath, 'r+'),
    );
    await io('close before compaction', this.filePath, () => old.close());
    this.size = snapshot.length;
    this.snapshotSize = snapshot.length;
  }

  /** Applies every intact line; returns the byte length of the intact prefix. */
  private replay(raw: Buffer): number {
    let position = 0;
    while (position < raw.length) {
      const newline = raw.indexOf(0x0a, position);
      if (newline < 0) break;
      const line = decodeLine(raw.subarray(position, newline));
      if (!line) break;
      this.apply(line);
      position = newline + 1;
    }
    return position;
  }

  private apply(line: Line): void {
    if ('x' in line) {
      for (const group of line.x) {
        this.groups.delete(group);
        this.lastCommitAt.delete(group);
      }
      return;
    }
    if ('d' in line) {
      for (const offsets of this.groups.values()) {
        for (const k of offsets.keys()) if (splitKey(k)[0] === line.d) offsets.delete(k);
      }
      return;
    }
    let offsets = this.groups.get(line.g);
    if (!offsets) {
      offsets = new Map();
      this.groups.set(line.g, offsets);
    }
    for (const [topic, partition, offset, metadata] of line.o) {
      offsets.set(key(topic, partition), { offset: BigInt(offset), metadata });
    }
    this.lastCommitAt.set(line.g, line.t ?? this.openedAt);
  }
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

function splitKey(k: string): [string, number] {
  const at = k.lastIndexOf('\u0000');
  return [k.slice(0, at), Number(k.slice(at + 1))];
}

function encodeLine(line: Line): Buffer {
  const json = Buffer.from(JSON.stringify(line), 'utf8');
  const out = Buffer.allocUnsafe(9 + json.length + 1);
  out.write(crc32c(json).toString(16).padStart(8, '0'), 0, 'latin1');
  out[8] = 0x20;
  json.copy(out, 9);
  out[out.length - 1] = 0x0a;
  return out;
}

/** Decodes one line, or undefined if its checksum or shape is wrong (a torn or corrupt write). */
function decodeLine(raw: Buffer): Line | undefined {
  if (raw.length < 10 || raw[8] !== 0x20) return undefined;
  const json = raw.subarray(9);
  if (Number.parseInt(raw.toString('latin1', 0, 8), 16) !== crc32c(json)) return undefined;
  try {
    const parsed: unknown = JSON.parse(json.toString('utf8'));
    return isLine(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function isLine(value: unknown): value is Line {
  if (typeof value !== 'object' || value === null) return false;
  const line = value as { g?: unknown; o?: unknown; d?: unknown; x?: unknown; t?: unknown };
  if (typeof line.d === 'string') return true;
  if (line.x !== undefined)
    return Array.isArray(line.x) && line.x.every((group) => typeof group === 'string');
  return (
    typeof line.g === 'string' &&
    (line.t === undefined || Number.isSafeInteger(line.t)) &&
    Array.isArray(line.o) &&
    line.o.every(
      (e: unknown) =>
        Array.isArray(e) &&
        typeof e[0] === 'string' &&
        Number.isInteger(e[1]) &&
        typeof e[2] === 'string' &&
        /^-?\d+$/.test(e[2]) &&
        (e[3] === null || typeof e[3] === 'string'),
    )
  );
}

async function writeFully(handle: FileHandle, data: Buffer, position: number): Promise<void> {
  let written = 0;
  while (written < data.length) {
    const { bytesWritten } = await handle.write(
      data,
      written,
      data.length - written,
      position + written,
    );
    written += bytesWritten;
  }
}
