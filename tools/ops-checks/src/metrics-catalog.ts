import { readFileSync } from 'node:fs';
import { paths } from './repo-paths';

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface CatalogEntry {
  name: string;
  type: MetricType;
  labels: string[];
  status: 'live' | 'planned';
}

/** A catalog table row that does not parse: names the line so the doc can be fixed. */
export class CatalogFormatError extends Error {
  override readonly name = 'CatalogFormatError';
  constructor(
    readonly line: number,
    readonly problem: string,
  ) {
    super(`docs/operations/metrics.md line ${line}: ${problem}`);
  }
}

const TYPES: readonly string[] = ['counter', 'gauge', 'histogram'];

/**
 * The metric rows of docs/operations/metrics.md: markdown table rows whose first cell is a
 * backquoted metric name, followed by type, labels, status and meaning. The recording-rules
 * table (two columns) is not a metric table and is skipped.
 */
export function parseMetricsCatalog(markdown: string): CatalogEntry[] {
  const entries: CatalogEntry[] = [];
  markdown.split('\n').forEach((line, index) => {
    const cells = line.split('|').map((cell) => cell.trim());
    if (cells.length < 7 || !/^`[a-z_][a-z0-9_]*`$/.test(cells[1])) return;
    const [, nameCell, type, labelsCell, status] = cells;
    const name = nameCell.slice(1, -1);
    if (!TYPES.includes(type)) {
      throw new CatalogFormatError(index + 1, `${name}: unknown type "${type}"`);
    }
    if (status !== 'live' && status !== 'planned') {
      throw new CatalogFormatError(index + 1, `${name}: status must be live or planned`);
    }
    const labels = [...labelsCell.matchAll(/`([a-z_]+)`/g)].map((match) => match[1]);
    entries.push({ name, type: type as MetricType, labels, status });
  });
  return entries;
}

export function loadMetricsCatalog(): CatalogEntry[] {
  return parseMetricsCatalog(readFileSync(paths.metricsCatalog, 'utf8'));
}

const HISTOGRAM_SERIES_SUFFIXES = ['_bucket', '_sum', '_count'];

/** The catalog entry a queried series name belongs to (histogram series map to their family). */
export function catalogEntryFor(
  catalog: readonly CatalogEntry[],
  seriesName: string,
): CatalogEntry | undefined {
  const exact = catalog.find((entry) => entry.name === seriesName);
  if (exact) return exact;
  const suffix = HISTOGRAM_SERIES_SUFFIXES.find((s) => seriesName.endsWith(s));
  if (!suffix) return undefined;
  const family = seriesName.slice(0, -suffix.length);
  return catalog.find((entry) => entry.name === family && entry.type === 'histogram');
}
