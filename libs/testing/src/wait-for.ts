export interface WaitForOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** What was awaited, for the timeout error: "readings stored in schema x". */
  message?: string;
}

export class WaitForTimeoutError extends Error {
  override readonly name = 'WaitForTimeoutError';

  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    readonly lastError: unknown,
  ) {
    super(
      `Timed out after ${timeoutMs} ms waiting for ${what}` +
        (lastError === undefined
          ? ''
          : ` (last probe error: ${lastError instanceof Error ? lastError.message : String(lastError)})`),
      { cause: lastError },
    );
  }
}

/**
 * Polls `probe` until it returns a value other than undefined/false and returns that value.
 * A throwing probe counts as "not yet" (the dependency may still be starting); its last error is
 * reported if time runs out. Tests wait on conditions with this, never on fixed sleeps.
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: WaitForOptions = {},
): Promise<T> {
  const { timeoutMs = 15_000, intervalMs = 50, message = 'condition' } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) throw new WaitForTimeoutError(message, timeoutMs, lastError);
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(intervalMs, Math.max(0, deadline - Date.now()))),
    );
  }
}
