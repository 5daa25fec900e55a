export {
  CommittedOffsetStore,
  type CommittedOffset,
  type OffsetCommitEntry,
} from './committed-offset.store';
export { crc32c } from './crc32c';
export { LogManager, type LogManagerOptions } from './log-manager';
export { PartitionLog, type AppendResult } from './partition-log';
export {
  BATCH_HEADER_BYTES,
  BATCH_LOG_OVERHEAD,
  BatchField,
  CRC_START,
  LOG_APPEND_TIME_FLAG,
} from './record-batch.format';
export {
  CorruptRecordError,
  InvalidConfigError,
  InvalidPartitionsError,
  InvalidTopicError,
  KafkaErrorCode,
  OffsetOutOfRangeError,
  StorageError,
  StorageIoError,
  TopicExistsError,
  UnknownTopicError,
  UnsupportedMagicError,
} from './storage.errors';
export type { FsyncPolicy, RecoveryEvent, TopicConfig } from './storage.types';
