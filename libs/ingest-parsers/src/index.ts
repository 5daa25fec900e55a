export * from './parse-result';
export { MAX_EPOCH_MS, type EpochUnit } from './epoch-time';
export * from './line-protocol/line-protocol.errors';
export * from './line-protocol/line-protocol.options';
export * from './line-protocol/line-protocol.parser';
export * from './csv/csv.errors';
export type {
  CsvColumnMapping,
  CsvLongMapping,
  CsvReadingsOptions,
  CsvWideMapping,
} from './csv/csv-mapping';
export { parseCsvTime, type CsvTimeFormat } from './csv/csv-time';
export * from './csv/csv-readings.reader';
export * from './csv/csv-summary';
export * from './csv/csv-summary.writer';
