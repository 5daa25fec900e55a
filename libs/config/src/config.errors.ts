/** One invalid environment variable: which one, what is wrong, and the (masked) value received. */
export interface ConfigIssue {
  variable: string;
  problem: string;
  /** The received value, already masked; undefined when the variable is not set. */
  received: string | undefined;
}

/** Thrown by loadConfig when any variable is invalid; the message lists every problem at once. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly service: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(
      `Invalid configuration for ${service}:\n` +
        issues
          .map((issue) =>
            issue.received === undefined
              ? `  ${issue.variable}: ${issue.problem} (not set)`
              : `  ${issue.variable}: ${issue.problem} (got "${issue.received}")`,
          )
          .join('\n'),
    );
  }
}
