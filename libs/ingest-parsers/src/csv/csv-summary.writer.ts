import { stringify } from 'csv-stringify/sync';
import type { SeriesSummary } from './csv-summary';

export const SUMMARY_CSV_COLUMNS = [
  'device',
  'metric',
  'unit',
  'count',
  'min',
  'max',
  'mean',
  'headline_aggregate',
  'headline',
] as const;

/**
 * The result file of a CSV upload: a header and one row per device and metric. Numbers are
 * written in JavaScript's shortest round-trip form, so reading the file back gives the exact
 * doubles that were computed.
 */
export function formatSummaryCsv(summaries: readonly SeriesSummary[]): string {
  return stringify(
    summaries.map((s) => [
      s.device,
      s.metric,
      s.unit ?? '',
      String(s.count),
      String(s.min),
      String(s.max),
      String(s.mean),
      s.headlineAggregate,
      String(s.headline),
    ]),
    { header: true, columns: [...SUMMARY_CSV_COLUMNS], record_delimiter: 'unix' },
  );
}
