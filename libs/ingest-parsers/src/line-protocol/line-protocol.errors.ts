/** The request named a timestamp precision line protocol does not have (HTTP 400). */
export class UnknownPrecisionError extends Error {
  constructor(readonly precision: string) {
    super(
      `unknown precision ${JSON.stringify(precision)}: expected one of ns, us, ms, s (v2) or n, u, ms, s, m, h (v1)`,
    );
    this.name = 'UnknownPrecisionError';
  }
}

/** A whole body was refused because it is larger than allowed (HTTP 413); nothing was accepted. */
export class BodyLimitError extends Error {
  constructor(
    readonly limit: 'bytes' | 'lines',
    readonly max: number,
  ) {
    super(`request body exceeds the limit of ${max} ${limit}`);
    this.name = 'BodyLimitError';
  }
}
