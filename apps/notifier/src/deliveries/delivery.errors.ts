/** A failed send. `retryable` false (e.g. HTTP 400, bad address) dead-letters at once. */
export class DeliveryError extends Error {
  constructor(
    readonly channelType: string,
    message: string,
    readonly retryable: boolean,
  ) {
    super(`${channelType} delivery failed: ${message}`);
    this.name = 'DeliveryError';
  }
}
