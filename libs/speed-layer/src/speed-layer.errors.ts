/** A speed-layer operation failed against Redis; names the operation and the device or keys. */
export class SpeedLayerError extends Error {
  constructor(
    readonly operation: string,
    readonly subject: string,
    cause?: unknown,
  ) {
    super(
      `speed layer ${operation} failed for ${subject}${
        cause === undefined ? '' : `: ${cause instanceof Error ? cause.message : String(cause)}`
      }`,
      { cause },
    );
    this.name = 'SpeedLayerError';
  }
}

/** Settings that would make the speed layer lose or misplace data are refused up front. */
export class SpeedLayerSettingsError extends Error {
  constructor(message: string) {
    super(`invalid speed layer settings: ${message}`);
    this.name = 'SpeedLayerSettingsError';
  }
}
