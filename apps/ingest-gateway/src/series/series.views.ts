/** Shapes of the serving layer's gRPC messages (int64 as decimal strings) and their REST views. */
export interface SeriesPointMessage {
  device: string;
  start: string;
  end: string;
  layer: string;
  count: string;
  value: number;
  avg: number;
  min: number;
  max: number;
  sum: number;
  first: number;
  firstTime: string;
  last: number;
  lastTime: string;
  stddev: number;
  anomalies: string;
  hasEnergy: boolean;
  energyWh: number;
  cost: number;
}

export interface SeriesPageMessage {
  resolution: string;
  batchWatermark: string;
  headline: string;
  points: SeriesPointMessage[];
}

export interface SeriesPointView {
  start: number;
  end: number;
  /** batch | speed | batch+speed | raw | gap */
  layer: string;
  /** the headline value (raw: the reading); null for a gap */
  value: number | null;
  count: number;
  avg: number | null;
  min: number | null;
  max: number | null;
  sum: number | null;
  first: number | null;
  last: number | null;
  stddev: number | null;
  energyWh: number | null;
  cost: number | null;
}

const finite = (value: number): number | null => (Number.isFinite(value) ? value : null);

export function pointView(point: SeriesPointMessage): SeriesPointView {
  const gap = point.layer === 'gap';
  const stat = (value: number) => (gap ? null : finite(value));
  return {
    start: Number(point.start),
    end: Number(point.end),
    layer: point.layer,
    value: stat(point.value),
    count: Number(point.count),
    avg: stat(point.avg),
    min: stat(point.min),
    max: stat(point.max),
    sum: stat(point.sum),
    first: stat(point.first),
    last: stat(point.last),
    stddev: stat(point.stddev),
    energyWh: point.hasEnergy ? point.energyWh : null,
    cost: point.hasEnergy ? point.cost : null,
  };
}

export const SERIES_CSV_COLUMNS = [
  'device',
  'start',
  'start_iso',
  'end',
  'layer',
  'value',
  'count',
  'avg',
  'min',
  'max',
  'sum',
  'first',
  'last',
  'stddev',
  'energy_wh',
  'cost',
] as const;

/** One CSV row per point; empty cells for gaps and unknown values. */
export function pointCsvRow(device: string, view: SeriesPointView): Array<string | number> {
  const cell = (value: number | null) => (value === null ? '' : value);
  return [
    device,
    view.start,
    new Date(view.start).toISOString(),
    view.end,
    view.layer,
    cell(view.value),
    view.count,
    cell(view.avg),
    cell(view.min),
    cell(view.max),
    cell(view.sum),
    cell(view.first),
    cell(view.last),
    cell(view.stddev),
    cell(view.energyWh),
    cell(view.cost),
  ];
}

export interface EnergyRowMessage {
  device: string;
  metric: string;
  start: string;
  end: string;
  energyWh: number;
  cost: number;
  hasBaseline: boolean;
  baselineWh: number;
  baselineCost: number;
}

export interface EnergyReplyMessage {
  currency: string;
  rows: EnergyRowMessage[];
  totalWh: number;
  totalCost: number;
  baselineTotalWh: number;
  baselineTotalCost: number;
  batchWatermark: string;
}

export const ENERGY_CSV_COLUMNS = [
  'device',
  'metric',
  'start',
  'start_iso',
  'end',
  'energy_wh',
  'cost',
  'baseline_wh',
  'baseline_cost',
  'saving_wh',
  'saving_cost',
] as const;

export function energyRowView(row: EnergyRowMessage, currency: string) {
  return {
    device: row.device,
    metric: row.metric,
    start: Number(row.start),
    end: Number(row.end),
    energyWh: row.energyWh,
    cost: currency ? row.cost : null,
    baselineWh: row.hasBaseline ? row.baselineWh : null,
    baselineCost: row.hasBaseline && currency ? row.baselineCost : null,
    savingWh: row.hasBaseline ? row.baselineWh - row.energyWh : null,
    savingCost: row.hasBaseline && currency ? row.baselineCost - row.cost : null,
  };
}
