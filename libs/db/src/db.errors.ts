import { maskUrlPassword } from '@sluice/config';

/** Applying the SQL migrations failed; names the target database (password masked) and schema. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';

  constructor(
    readonly databaseUrl: string,
    readonly schema: string,
    cause: unknown,
  ) {
    super(
      `Migrations failed on ${maskUrlPassword(databaseUrl)} (schema "${schema}"): ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
  }
}

export class InvalidSchemaNameError extends Error {
  override readonly name = 'InvalidSchemaNameError';

  constructor(readonly schema: string) {
    super(`Invalid schema name "${schema}": use lower-case letters, digits and _ (max 63)`);
  }
}
