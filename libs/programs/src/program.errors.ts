export type ProgramIssueCode =
  | 'invalid_type'
  | 'invalid_value'
  | 'missing_field'
  | 'unknown_field'
  | 'unknown_node'
  | 'ambiguous_node'
  | 'missing_leaf'
  | 'bad_operator'
  | 'bad_duration'
  | 'bad_time'
  | 'bad_timezone'
  | 'bad_schedule'
  | 'bad_cron'
  | 'bad_hysteresis'
  | 'unknown_metric'
  | 'unknown_device'
  | 'unknown_actuator'
  | 'unknown_ref'
  | 'ref_kind'
  | 'cycle';

/** One problem in a program, at the JSON path of the node that has it (`tree.then.condition.op`). */
export interface ProgramIssue {
  readonly path: string;
  readonly code: ProgramIssueCode;
  readonly message: string;
}

export function formatIssue(issue: ProgramIssue): string {
  return `${issue.path || '(program)'}: ${issue.message}`;
}

/** Thrown by `parseProgram`; carries every issue found, not just the first. */
export class ProgramValidationError extends Error {
  override readonly name = 'ProgramValidationError';

  constructor(readonly issues: readonly ProgramIssue[]) {
    super(
      `program is invalid (${issues.length} issue${issues.length === 1 ? '' : 's'}):\n` +
        issues.map((issue) => `  ${formatIssue(issue)}`).join('\n'),
    );
  }
}

/** Thrown by `dryRun` when its input breaks the contract (unsorted readings, empty range). */
export class DryRunInputError extends Error {
  override readonly name = 'DryRunInputError';

  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`dry run: ${field}: ${problem}`);
  }
}
