import { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import type { RawReading } from '@sluice/contracts';
import { checkDeviceId, checkMetricName, checkTags, checkUnit } from '../identifier-validation';
import type { ParsedPoint, ParseError } from '../parse-result';
import { CsvFormatError } from './csv.errors';
import { resolveColumns, type CsvReadingsOptions, type ResolvedColumns } from './csv-mapping';
import { parseCsvTime, type CsvTimeFormat } from './csv-time';

/** The rows of one slice of the file: accepted points and refused rows, in row order. */
export interface CsvReadingsBatch {
  points: ParsedPoint[];
  errors: ParseError[];
  /** Data rows read so far in the whole file (header and blank rows not counted). */
  rowsRead: number;
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Streams a CSV file as batches of readings. Pulls from `source` only as fast as the caller
 * consumes batches (backpressure through csv-parse), so memory stays bounded whatever the file
 * size. Row numbers are the file's records counting the header as row 1, blank rows included —
 * what a spreadsheet shows. Throws {@link CsvHeaderError} before the first batch when the header
 * does not fit the mapping, {@link CsvFormatError} where the file stops being CSV.
 */
export async function* readCsvReadings(
  source: AsyncIterable<Buffer | string> | Readable,
  options: CsvReadingsOptions,
): AsyncGenerator<CsvReadingsBatch> {
  const parser = parse({
    bom: true,
    delimiter: options.delimiter ?? ',',
    trim: true,
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: false,
    max_record_size: options.maxRecordSize ?? 1024 * 1024,
  });
  const input = source instanceof Readable ? source : Readable.from(source, { objectMode: false });
  input.on('error', (error) => parser.destroy(error));
  input.pipe(parser);

  const batchSize = options.batchSize ?? 1000;
  const timeFormat = options.timeFormat ?? 'iso8601';
  let columns: ResolvedColumns | undefined;
  let row = 0;
  let rowsRead = 0;
  let batch: CsvReadingsBatch = { points: [], errors: [], rowsRead: 0 };
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      row++;
      if (record.length === 1 && record[0] === '') continue;
      if (columns === undefined) {
        columns = resolveColumns(record, options);
        continue;
      }
      rowsRead++;
      const outcome = mapRow(record, row, columns, timeFormat, options.defaultDevice);
      if ('reason' in outcome) batch.errors.push(outcome);
      else batch.points.push(outcome);
      if (batch.points.length + batch.errors.length >= batchSize) {
        batch.rowsRead = rowsRead;
        yield batch;
        batch = { points: [], errors: [], rowsRead: 0 };
      }
    }
  } catch (error) {
    if (error instanceof CsvError) {
      const line = typeof error['lines'] === 'number' ? error['lines'] : row + 1;
      throw new CsvFormatError(line, error.code, error.message);
    }
    throw error;
  } finally {
    input.unpipe(parser);
    input.destroy();
  }
  if (columns === undefined) throw new CsvFormatError(1, 'NO_HEADER', 'the file has no header row');
  batch.rowsRead = rowsRead;
  if (batch.points.length + batch.errors.length > 0) yield batch;
}

function rowError(row: number, column: string | undefined, reason: string): ParseError {
  const where =
    column === undefined ? `row ${row}` : `row ${row}, column ${JSON.stringify(column)}`;
  return { line: row, column, reason, message: `${where}: ${reason}` };
}

function parseValue(text: string): number | string {
  if (text === '') return 'missing value';
  const value = NUMBER.test(text) ? Number(text) : Number.NaN;
  if (Number.isNaN(value)) return `${JSON.stringify(text)} is not a number`;
  if (!Number.isFinite(value)) return `${JSON.stringify(text)} is out of range`;
  return value;
}

/** A row's point, or the first problem of the row (one bad cell refuses the whole row). */
function mapRow(
  record: readonly string[],
  row: number,
  columns: ResolvedColumns,
  timeFormat: CsvTimeFormat,
  defaultDevice: string | undefined,
): ParsedPoint | ParseError {
  const cell = (index: number) => record[index] ?? '';
  const name = (index: number) => columns.header[index] as string | undefined;

  const time = parseCsvTime(cell(columns.time), timeFormat);
  if (typeof time !== 'number') return rowError(row, name(columns.time), time.error);

  const device = columns.device >= 0 ? cell(columns.device) : (defaultDevice as string);
  if (device === '') return rowError(row, name(columns.device), 'missing device');
  const deviceProblem = checkDeviceId(device);
  if (deviceProblem !== undefined) {
    return rowError(
      row,
      name(columns.device),
      `device id ${JSON.stringify(device)} ${deviceProblem}`,
    );
  }

  let tags: Record<string, string> | undefined;
  for (const tag of columns.tags) {
    const value = cell(tag.index);
    if (value === '') continue;
    tags ??= {};
    tags[tag.name] = value;
  }
  if (tags !== undefined) {
    const problem = checkTags(tags);
    if (problem !== undefined) return rowError(row, undefined, problem);
  }

  const readings: RawReading[] = [];
  if (columns.long !== undefined) {
    const { metric: metricIndex, value: valueIndex, unit: unitIndex } = columns.long;
    const metric = cell(metricIndex);
    const metricProblem = metric === '' ? 'missing metric' : checkMetricName(metric);
    if (metricProblem !== undefined) {
      return rowError(
        row,
        name(metricIndex),
        metric === '' ? metricProblem : `metric ${JSON.stringify(metric)} ${metricProblem}`,
      );
    }
    const value = parseValue(cell(valueIndex));
    if (typeof value === 'string') return rowError(row, name(valueIndex), value);
    const unit = unitIndex >= 0 && cell(unitIndex) !== '' ? cell(unitIndex) : undefined;
    if (unit !== undefined) {
      const unitProblem = checkUnit(unit);
      if (unitProblem !== undefined)
        return rowError(row, name(unitIndex), `unit ${JSON.stringify(unit)}: ${unitProblem}`);
    }
    readings.push({ metric, time, value, unit, tags });
  } else {
    for (const column of columns.wide ?? []) {
      const text = cell(column.index);
      // Wide files are often sparse: an empty cell is "no reading", not an error.
      if (text === '') continue;
      const value = parseValue(text);
      if (typeof value === 'string') return rowError(row, column.name, value);
      readings.push({ metric: column.name, time, value, unit: column.unit, tags });
    }
    if (readings.length === 0) return rowError(row, undefined, 'no metric values in the row');
  }
  return { device, line: row, readings };
}
