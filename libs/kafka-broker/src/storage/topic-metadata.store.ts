import * as path from 'node:path';

import { readFileIfExists, writeFileAtomic } from './fs-durability';
import { StorageIoError } from './storage.errors';
import type { TopicConfig } from './storage.types';

export interface TopicMetadata {
  name: string;
  partitions: number;
  config: TopicConfig;
}

const FILE_NAME = 'topics.json';
const FORMAT_VERSION = 1;

/**
 * `<dataDir>/topics.json`: every topic's partition count and config. Replaced atomically
 * (temp file + fsync + rename + directory fsync), so a crash leaves the old or the new list.
 */
export class TopicMetadataStore {
  readonly filePath: string;

  constructor(dataDir: string) {
    this.filePath = path.join(dataDir, FILE_NAME);
  }

  async load(): Promise<TopicMetadata[]> {
    const raw = await readFileIfExists(this.filePath);
    if (raw === undefined) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      // Never start with an empty topic list over a damaged file: that would orphan every log.
      throw new StorageIoError('parse topic metadata', this.filePath, err);
    }
    if (!isTopicFile(parsed)) {
      throw new StorageIoError(
        'parse topic metadata',
        this.filePath,
        new Error(`not a version ${FORMAT_VERSION} topic list`),
      );
    }
    return parsed.topics;
  }

  async save(topics: readonly TopicMetadata[]): Promise<void> {
    await writeFileAtomic(
      this.filePath,
      JSON.stringify({ version: FORMAT_VERSION, topics }, null, 2),
    );
  }
}

function isTopicFile(value: unknown): value is { version: number; topics: TopicMetadata[] } {
  if (typeof value !== 'object' || value === null) return false;
  const file = value as { version?: unknown; topics?: unknown };
  return (
    file.version === FORMAT_VERSION &&
    Array.isArray(file.topics) &&
    file.topics.every(isTopicMetadata)
  );
}

function isTopicMetadata(value: unknown): value is TopicMetadata {
  if (typeof value !== 'object' || value === null) return false;
  const topic = value as { name?: unknown; partitions?: unknown; config?: unknown };
  if (typeof topic.name !== 'string' || !Number.isInteger(topic.partitions)) return false;
  if (typeof topic.config !== 'object' || topic.config === null) return false;
  const config = topic.config as Record<string, unknown>;
  const nullableNumber = (v: unknown): boolean =>
    v === null || v === undefined || typeof v === 'number';
  return (
    typeof config.segmentBytes === 'number' &&
    nullableNumber(config.retentionMs) &&
    nullableNumber(config.retentionBytes) &&
    nullableNumber(config.segmentMs)
  );
}
