import { checkMetricName, checkUnit } from '../identifier-validation';
import { CsvHeaderError } from './csv.errors';
import type { CsvTimeFormat } from './csv-time';

/** One reading per row: `time, device, metric, value[, unit]`. */
export interface CsvLongMapping {
  format: 'long';
  /** Default `time`. */
  timeColumn?: string;
  /** Default `device`; may be absent from the file when `defaultDevice` is set. */
  deviceColumn?: string;
  /** Default `metric`. */
  metricColumn?: string;
  /** Default `value`. */
  valueColumn?: string;
  /** Default `unit`; optional in the file. */
  unitColumn?: string;
  /** Columns copied into the reading tags (empty cells are left out). */
  tagColumns?: readonly string[];
}

/** One reading per metric column per row: `time, device, <metric>, <metric>, ...`. */
export interface CsvWideMapping {
  format: 'wide';
  timeColumn?: string;
  deviceColumn?: string;
  /** Metric columns; default: every column that is not time, device or a tag column. */
  metricColumns?: readonly string[];
  /** Unit per metric column. */
  units?: Readonly<Record<string, string>>;
  tagColumns?: readonly string[];
}

export type CsvColumnMapping = CsvLongMapping | CsvWideMapping;

export interface CsvReadingsOptions {
  mapping: CsvColumnMapping;
  /** Default `iso8601`. */
  timeFormat?: CsvTimeFormat;
  /** Device for every row when the file has no device column. */
  defaultDevice?: string;
  /** Default `,`. */
  delimiter?: string;
  /** Rows per yielded batch. Default 1000. */
  batchSize?: number;
  /** Largest record in characters; bounds memory when a quote is never closed. Default 1 MiB. */
  maxRecordSize?: number;
}

/** Column positions resolved against the header row. */
export interface ResolvedColumns {
  /** The header row, for naming columns in row errors. */
  header: readonly string[];
  time: number;
  /** -1: every row belongs to `defaultDevice`. */
  device: number;
  tags: { name: string; index: number }[];
  long?: { metric: number; value: number; unit: number };
  wide?: { name: string; index: number; unit: string | undefined }[];
}

/** Checks the header against the mapping; throws {@link CsvHeaderError} listing every problem. */
export function resolveColumns(
  header: readonly string[],
  options: CsvReadingsOptions,
): ResolvedColumns {
  const problems: string[] = [];
  const positions = new Map<string, number>();
  header.forEach((name, index) => {
    if (positions.has(name)) problems.push(`column ${JSON.stringify(name)} appears twice`);
    positions.set(name, index);
  });
  const required = (name: string): number => {
    const index = positions.get(name);
    if (index === undefined) problems.push(`missing column ${JSON.stringify(name)}`);
    return index ?? -1;
  };
  const { mapping } = options;
  const time = required(mapping.timeColumn ?? 'time');
  const deviceName = mapping.deviceColumn ?? 'device';
  let device = positions.get(deviceName) ?? -1;
  if (device === -1 && options.defaultDevice === undefined) device = required(deviceName);
  const tags = (mapping.tagColumns ?? []).map((name) => ({ name, index: required(name) }));

  const resolved: ResolvedColumns = { header, time, device, tags };
  if (mapping.format === 'long') {
    resolved.long = {
      metric: required(mapping.metricColumn ?? 'metric'),
      value: required(mapping.valueColumn ?? 'value'),
      unit: positions.get(mapping.unitColumn ?? 'unit') ?? -1,
    };
  } else {
    const taken = new Set([time, device, ...tags.map((tag) => tag.index)]);
    const names = mapping.metricColumns ?? header.filter((_, index) => !taken.has(index));
    if (names.length === 0) problems.push('no metric columns');
    resolved.wide = names.map((name) => {
      const metricProblem = checkMetricName(name);
      if (metricProblem !== undefined) {
        problems.push(
          `column ${JSON.stringify(name)} is not a valid metric name: ${metricProblem}`,
        );
      }
      const unit = mapping.units?.[name];
      const unitProblem = unit === undefined ? undefined : checkUnit(unit);
      if (unitProblem !== undefined)
        problems.push(`unit of ${JSON.stringify(name)}: ${unitProblem}`);
      return { name, index: required(name), unit };
    });
  }
  if (problems.length > 0) throw new CsvHeaderError(problems);
  return resolved;
}
