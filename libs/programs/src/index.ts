export {
  ProgramSchema,
  NodeSchema,
  ConditionSchema,
  ActionSchema,
  DurationSchema,
  OPERATORS,
  AGGREGATES,
  ACTIONS,
  type Program,
  type ProgramDefinition,
  type ProgramNode,
  type Condition,
  type ActionNode,
  type Operator,
  type Aggregate,
} from './program.schema';
export { programJsonSchema } from './program-json-schema';
export {
  validateProgram,
  parseProgram,
  type ValidationContext,
  type ProgramValidationResult,
} from './program.validator';
export {
  ProgramValidationError,
  DryRunInputError,
  formatIssue,
  type ProgramIssue,
  type ProgramIssueCode,
} from './program.errors';
export {
  evaluate,
  ProgramInputError,
  type ProgramEvent,
  type ReadingEvent,
  type TickEvent,
  type ProgramAction,
  type CommandAction,
  type AlertAction,
  type DesiredCommand,
  type EvaluateOptions,
  type EvaluationResult,
  type EvaluationTrace,
  type TraceCondition,
  type TraceDecision,
} from './program.evaluator';
export {
  initialState,
  differsOnlyInLatestReadings,
  ProgramStateError,
  type ProgramState,
  type IssuedCommand,
  type CommandName,
  type CommandParams,
} from './program-state';
export { ProgramCompileError, needsTicks, decidesOnLatestReadingOnly } from './program.compiler';
export { dryRun, type DryRunOptions, type DryRunStep, type StoredReading } from './dry-run';
export { parseDuration, formatDuration } from './duration.parser';
export {
  thermostatTemplate,
  scheduleTemplate,
  thresholdCutoffTemplate,
  idleShutdownTemplate,
  type TemplateTarget,
  type ThermostatOptions,
  type ScheduleOptions,
  type ThresholdCutoffOptions,
  type IdleShutdownOptions,
} from './program.templates';
