/** Kafka could not take or give data in time: callers turn it into 503 / retry, never into data loss. */
export class KafkaOperationError extends Error {
  constructor(
    readonly operation: string,
    readonly topic: string | undefined,
    cause: unknown,
  ) {
    super(
      `Kafka ${operation}${topic ? ` on ${topic}` : ''} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.name = 'KafkaOperationError';
  }
}

export class KafkaTimeoutError extends KafkaOperationError {
  constructor(operation: string, topic: string | undefined, timeoutMs: number) {
    super(operation, topic, new Error(`no answer within ${timeoutMs} ms`));
    this.name = 'KafkaTimeoutError';
  }
}
