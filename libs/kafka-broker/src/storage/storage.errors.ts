/**
 * Typed storage errors. Each carries the Kafka protocol error code the wire layer should
 * answer with, so the codec never has to guess from a message string.
 */
export const KafkaErrorCode = {
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  INVALID_TOPIC_EXCEPTION: 17,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_CONFIG: 40,
  KAFKA_STORAGE_ERROR: 56,
} as const;

export abstract class StorageError extends Error {
  abstract readonly kafkaErrorCode: number;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A produced record batch failed framing or CRC-32C validation (Kafka CORRUPT_MESSAGE). */
export class CorruptRecordError extends StorageError {
  readonly kafkaErrorCode = KafkaErrorCode.CORRUPT_MESSAGE;

  constructor(
    readonly topicPartition: string,
    readonly batchPosition: number,
    readonly reason: string,
  ) {
    super(
      `corrupt record batch for ${topicPartition} at byte ${batchPosition} of the produce data: ${reason}`,
    );
  }
}

/**
 * A batch with a magic byte other than 2. Produce v3+ may only carry magic-2 batches; Kafka
 * answers such requests with CORRUPT_MESSAGE (its InvalidRecordException), so we do too.
 */
export class UnsupportedMagicError extends StorageError {
  readonly kafkaErrorCode = KafkaErrorCode.CORRUPT_MESSAGE;

  constructor(
    readonly topicPartition: string,
    readonly batchPosition: number,
    readonly magic: number,
  ) {
    super(
      `unsupported record batch magic ${magic} for ${topicPartition} at byte ${batchPosition}: only magic 2 is stored`,
    );
  }
}

export class OffsetOutOfRangeError extends StorageError {
  readonly kafkaErrorCode = KafkaErrorCode.OFFSET_OUT_OF_RANGE;

  constructor(
    readonly topicPartition: string,
    readonly offset: bigint,
    readonly logStartOffset: bigint,
    readonly logEndOffset: bigint,
  ) {
    super(
      `offset ${offset} is out of range for ${topicPartition}: valid offsets are ${logStartOffset}..${logEndOffset}`,
    );
  }
}

export class UnknownTopicError extends StorageError {
  readonly kafkaErrorCode = KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION;

  constructor(
    readonly topic: string,
    detail = 'topic does not exist',
  ) {
    super(`unknown topic '${topic}': ${detail}`);
  }
}

export class TopicExistsError extends StorageError {
  readonly kafkaErrorCode = KafkaErrorCode.TOPIC_ALREADY_EXISTS;

  constructor(readonly topic: string) {
    super(`topic '${topic}' already exists`);
  }
}

export class InvalidTopicError extends StorageError {
  readonly kafkaErrorCode = KafkaErrorCode.INVALID_TOPIC_EXCEPTION;

  constructor(
    readonly topic: string,
    readonly rule: string,
  ) {
    super(`invalid topic name '${topic}': ${rule}`);
  }
}

export class InvalidPartitionsError extends StorageError {
  readonly kafkaErrorCode = KafkaErrorCode.INVALID_PARTITIONS;

  constructor(
    readonly topic: string,
    readonly partitions: number,
  ) {
    super(
      `invalid partition count ${partitions} for topic '${topic}': must be an integer from 1 to 10000`,
    );
  }
}

export class InvalidConfigError extends StorageError {
  readonly kafkaErrorCode = KafkaErrorCode.INVALID_CONFIG;

  constructor(
    readonly topic: string,
    readonly field: string,
    readonly value: unknown,
    readonly rule: string,
  ) {
    super(`invalid config for topic '${topic}': ${field}=${String(value)} ${rule}`);
  }
}

/** A filesystem operation failed (Kafka KAFKA_STORAGE_ERROR); names the operation and path. */
export class StorageIoError extends StorageError {
  readonly kafkaErrorCode = KafkaErrorCode.KAFKA_STORAGE_ERROR;

  constructor(
    readonly operation: string,
    readonly path: string,
    cause: unknown,
  ) {
    super(
      `storage ${operation} failed on ${path}: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
  }
}
