import { promises as fs } from 'node:fs';
import * as path from 'node:path';

import { fsyncDir, io } from './fs-durability';
import { PartitionLog } from './partition-log';
import { SerialQueue } from './serial-queue';
import { StorageIoError, TopicExistsError, UnknownTopicError } from './storage.errors';
import type { FsyncPolicy, RecoveryEvent, TopicConfig } from './storage.types';
import {
  resolveTopicConfig,
  validatePartitionCount,
  validateTopicName,
} from './topic-config.validation';
import { type TopicMetadata, TopicMetadataStore } from './topic-metadata.store';

export interface LogManagerOptions {
  dataDir: string;
  defaultPartitions: number;
  fsync: FsyncPolicy;
  defaultTopicConfig: TopicConfig;
  /** bytes of log between sparse index entries (default 4096) */
  indexIntervalBytes?: number;
  /** told about every repair made while opening partitions (torn tails, rebuilt indexes) */
  onRecovery?: (event: RecoveryEvent) => void;
  /** told when an interval fsync fails (the partition retries on the next tick) */
  onFlushError?: (error: StorageIoError) => void;
}

interface Topic {
  metadata: TopicMetadata;
  partitions: PartitionLog[];
}

const DEFAULT_INDEX_INTERVAL_BYTES = 4096;
const PARTITION_DIR = /^(.+)-(\d+)$/;
const LOG_FILE = /^\d{20}\.(log|index)$/;

/**
 * All topics of one broker data directory: topic metadata in `topics.json`, one PartitionLog per
 * `<topic>-<partition>` directory. Topic creation and deletion are serialised; appends and reads
 * go straight to the PartitionLog.
 */
export class LogManager {
  private readonly topics = new Map<string, Topic>();
  private readonly adminQueue = new SerialQueue();
  private readonly metadataStore: TopicMetadataStore;
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private closed = false;

  private constructor(private readonly opts: LogManagerOptions) {
    this.metadataStore = new TopicMetadataStore(opts.dataDir);
  }

  /** Loads topics and recovers every partition (torn tails truncated, missing indexes rebuilt). */
  static async open(opts: LogManagerOptions): Promise<LogManager> {
    validatePartitionCount('(default)', opts.defaultPartitions);
    resolveTopicConfig('(default)', opts.defaultTopicConfig);
    await io('create data directory', opts.dataDir, () =>
      fs.mkdir(opts.dataDir, { recursive: true }),
    );
    const manager = new LogManager(opts);
    for (const metadata of await manager.metadataStore.load()) {
      const partitions = await Promise.all(
        Array.from({ length: metadata.partitions }, (_, p) => manager.openPartition(metadata, p)),
      );
      manager.topics.set(metadata.name, { metadata, partitions });
    }
    await manager.removeOrphanPartitionDirs();
    if (opts.fsync.mode === 'interval') {
      manager.flushTimer = setInterval(() => manager.flushAll(), opts.fsync.intervalMs);
      manager.flushTimer.unref();
    }
    return manager;
  }

  listTopics(): Array<{ name: string; partitions: number; config: TopicConfig }> {
    return [...this.topics.values()].map(({ metadata }) => ({
      name: metadata.name,
      partitions: metadata.partitions,
      config: { ...metadata.config },
    }));
  }

  hasTopic(name: string): boolean {
    return this.topics.has(name);
  }

  /** Throws InvalidTopicError / InvalidPartitionsError / InvalidConfigError / TopicExistsError. */
  async createTopic(
    name: string,
    partitions = this.opts.defaultPartitions,
    config: Partial<TopicConfig> = {},
  ): Promise<void> {
    validateTopicName(name);
    validatePartitionCount(name, partitions);
    const resolved = resolveTopicConfig(name, this.opts.defaultTopicConfig, config);
    await this.adminQueue.run(async () => {
      if (this.topics.has(name)) throw new TopicExistsError(name);
      const metadata: TopicMetadata = { name, partitions, config: resolved };
      // Directories first, then topics.json: a crash in between leaves only orphan directories,
      // which the next open deletes.
      const logs = await Promise.all(
        Array.from({ length: partitions }, (_, p) => this.openPartition(metadata, p, true)),
      );
      await this.metadataStore.save([...this.allMetadata(), metadata]);
      this.topics.set(name, { metadata, partitions: logs });
    });
  }

  /** Removes the topic from topics.json, then closes and deletes its partition directories. */
  async deleteTopic(name: string): Promise<void> {
    await this.adminQueue.run(async () => {
      const topic = this.topics.get(name);
      if (!topic) throw new UnknownTopicError(name);
      this.topics.delete(name);
      await this.metadataStore.save(this.allMetadata());
      for (const log of topic.partitions) {
        await log.close();
        const dir = this.partitionDir(name, log.partition);
        await io('delete partition directory', dir, () =>
          fs.rm(dir, { recursive: true, force: true }),
        );
      }
      await fsyncDir(this.opts.dataDir);
    });
  }

  partition(topic: string, partition: number): PartitionLog | undefined {
    return this.topics.get(topic)?.partitions[partition];
  }

  /** Deletes whole sealed segments beyond each topic's retention; returns segments deleted. */
  async applyRetention(nowMs = Date.now()): Promise<number> {
    let deleted = 0;
    for (const { metadata, partitions } of [...this.topics.values()]) {
      for (const log of partitions) deleted += await log.applyRetention(nowMs, metadata.config);
    }
    return deleted;
  }

  /** Waits for queued appends, fsyncs and closes every file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.flushTimer) clearInterval(this.flushTimer);
    await this.flushing;
    await this.adminQueue.drain();
    for (const { partitions } of this.topics.values()) {
      for (const log of partitions) await log.close();
    }
  }

  private flushAll(): void {
    if (this.flushing || this.closed) return;
    const logs = [...this.topics.values()].flatMap((topic) => topic.partitions);
    this.flushing = Promise.allSettled(logs.map((log) => log.flush())).then((results) => {
      this.flushing = null;
      for (const result of results) {
        if (result.status === 'rejected') this.reportFlushError(result.reason);
      }
    });
  }

  private reportFlushError(reason: unknown): void {
    const error =
      reason instanceof StorageIoError
        ? reason
        : new StorageIoError('interval fsync', this.opts.dataDir, reason);
    if (this.opts.onFlushError) this.opts.onFlushError(error);
    else process.emitWarning(error);
  }

  private allMetadata(): TopicMetadata[] {
    return [...this.topics.values()].map((topic) => topic.metadata);
  }

  private partitionDir(topic: string, partition: number): string {
    return path.join(this.opts.dataDir, `${topic}-${partition}`);
  }

  private async openPartition(
    metadata: TopicMetadata,
    partition: number,
    fresh = false,
  ): Promise<PartitionLog> {
    const dir = this.partitionDir(metadata.name, partition);
    if (fresh)
      await io('clear partition directory', dir, () =>
        fs.rm(dir, { recursive: true, force: true }),
      );
    return PartitionLog.open({
      dir,
      topic: metadata.name,
      partition,
      config: metadata.config,
      fsync: this.opts.fsync,
      indexIntervalBytes: this.opts.indexIntervalBytes ?? DEFAULT_INDEX_INTERVAL_BYTES,
      onRecovery: this.opts.onRecovery,
    });
  }

  /**
   * Deletes `<topic>-<n>` directories that no topic owns (left by a crash during create or
   * delete). Only directories holding nothing but segment files are touched.
   */
  private async removeOrphanPartitionDirs(): Promise<void> {
    const entries = await io('list data directory', this.opts.dataDir, () =>
      fs.readdir(this.opts.dataDir, { withFileTypes: true }),
    );
    for (const entry of entries) {
      const match = entry.isDirectory() ? PARTITION_DIR.exec(entry.name) : null;
      if (!match) continue;
      const topic = this.topics.get(match[1]);
      if (topic && Number(match[2]) < topic.metadata.partitions) continue;
      const dir = path.join(this.opts.dataDir, entry.name);
      const files = await io('list orphan directory', dir, () => fs.readdir(dir));
      if (files.every((file) => LOG_FILE.test(file))) {
        await io('delete orphan directory', dir, () =>
          fs.rm(dir, { recursive: true, force: true }),
        );
      }
    }
  }
}
