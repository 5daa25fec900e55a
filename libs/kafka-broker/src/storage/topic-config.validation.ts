import { InvalidConfigError, InvalidPartitionsError, InvalidTopicError } from './storage.errors';
import type { TopicConfig } from './storage.types';

/** Kafka's own limits: 249 characters from [a-zA-Z0-9._-], and not "." or "..". */
const LEGAL_TOPIC = /^[a-zA-Z0-9._-]+$/;
const MAX_TOPIC_LENGTH = 249;
const MAX_PARTITIONS = 10_000;
/** one batch header; positions in the index are u32, so a segment stays below 2 GiB */
const MIN_SEGMENT_BYTES = 61;
const MAX_SEGMENT_BYTES = 0x7fff_ffff;

export function validateTopicName(name: string): void {
  if (name.length === 0) throw new InvalidTopicError(name, 'must not be empty');
  if (name.length > MAX_TOPIC_LENGTH)
    throw new InvalidTopicError(name, `longer than ${MAX_TOPIC_LENGTH} characters`);
  if (name === '.' || name === '..') throw new InvalidTopicError(name, 'must not be "." or ".."');
  if (!LEGAL_TOPIC.test(name))
    throw new InvalidTopicError(name, 'may only contain ASCII letters, digits, ".", "_" and "-"');
}

export function validatePartitionCount(topic: string, partitions: number): void {
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) {
    throw new InvalidPartitionsError(topic, partitions);
  }
}

/**
 * Merges overrides into the defaults and checks the result. Kafka's -1 ("unlimited") for the
 * retention settings is accepted and stored as null.
 */
export function resolveTopicConfig(
  topic: string,
  defaults: TopicConfig,
  overrides: Partial<TopicConfig> = {},
): TopicConfig {
  const merged: TopicConfig = { ...defaults, ...stripUndefined(overrides) };
  const config: TopicConfig = {
    retentionMs: unlimitedAsNull(merged.retentionMs),
    retentionBytes: unlimitedAsNull(merged.retentionBytes),
    segmentBytes: merged.segmentBytes,
    segmentMs: unlimitedAsNull(merged.segmentMs ?? null),
  };
  for (const field of ['retentionMs', 'retentionBytes', 'segmentMs'] as const) {
    const value = config[field];
    if (value !== null && value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
      throw new InvalidConfigError(
        topic,
        field,
        value,
        'must be a non-negative integer, -1 or null',
      );
    }
  }
  if (
    !Number.isInteger(config.segmentBytes) ||
    config.segmentBytes < MIN_SEGMENT_BYTES ||
    config.segmentBytes > MAX_SEGMENT_BYTES
  ) {
    throw new InvalidConfigError(
      topic,
      'segmentBytes',
      config.segmentBytes,
      `must be an integer from ${MIN_SEGMENT_BYTES} to ${MAX_SEGMENT_BYTES}`,
    );
  }
  return config;
}

function unlimitedAsNull(value: number | null | undefined): number | null {
  return value === undefined || value === null || value === -1 ? null : value;
}

function stripUndefined(overrides: Partial<TopicConfig>): Partial<TopicConfig> {
  return Object.fromEntries(
    Object.entries(overrides).filter(([, v]) => v !== undefined),
  ) as Partial<TopicConfig>;
}
