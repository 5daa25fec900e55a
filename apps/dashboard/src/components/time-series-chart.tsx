import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  stroke: string;
  /** Draw points only (events such as commands), no line. */
  pointsOnly?: boolean;
  unit?: string;
}

const SPARKLINE_MOUNT_DELAY_MS = 150;

const PALETTE = ['#2dd4bf', '#f59e0b', '#60a5fa', '#f472b6', '#a3e635'];

export function seriesColor(index: number): string {
  return PALETTE[index % PALETTE.length];
}

/**
 * uPlot time-series chart. The plot is created once per series layout and fed with setData
 * afterwards (no re-creation per live point); it follows its container's width.
 */
export function TimeSeriesChart({
  data,
  series,
  height = 280,
  title,
}: {
  data: uPlot.AlignedData;
  series: ChartSeries[];
  height?: number;
  title: string;
}) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const layout = JSON.stringify(series);

  useEffect(() => {
    const element = container.current;
    if (element === null) return;
    const options: uPlot.Options = {
      width: Math.max(element.clientWidth, 200),
      height,
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: true } },
      axes: [
        { stroke: '#9fb3c8', grid: { stroke: '#1e3a4f' } },
        { stroke: '#9fb3c8', grid: { stroke: '#1e3a4f' }, size: 60 },
      ],
      series: [
        {},
        ...series.map((item) => ({
          label: item.unit ? `${item.label} (${item.unit})` : item.label,
          stroke: item.stroke,
          width: item.pointsOnly ? 0 : 2,
          points: item.pointsOnly ? { show: true, size: 9, fill: item.stroke } : { show: false },
          spanGaps: false,
        })),
      ],
    };
    const instance = new uPlot(options, data, element);
    plot.current = instance;
    const resize = new ResizeObserver(() => {
      instance.setSize({ width: Math.max(element.clientWidth, 200), height });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      instance.destroy();
      plot.current = null;
    };
    // Re-created only when the series layout changes; data updates go through setData below.
  }, [layout, height]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  return (
    <figure className="chart" aria-label={title}>
      <div ref={container} className="chart-canvas" />
    </figure>
  );
}

/** A tiny line without axes or legend for the fleet table. */
export function Sparkline({
  times,
  values,
  version,
  label,
}: {
  times: number[];
  values: number[];
  /** Changes whenever the (in place updated) arrays changed. */
  version: number;
  label: string;
}) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef({ times, values });
  latest.current = { times, values };

  // Created a moment after the row mounts: rows that only fly past while the list scrolls never
  // pay for a uPlot instance (that made a fast scroll through 1,000 devices drop to a few fps).
  useEffect(() => {
    const element = container.current;
    if (element === null) return;
    let instance: uPlot | undefined;
    const timer = setTimeout(() => {
      instance = new uPlot(
        {
          width: 120,
          height: 28,
          legend: { show: false },
          cursor: { show: false },
          select: { show: false, left: 0, top: 0, width: 0, height: 0 },
          scales: { x: { time: false } },
          axes: [{ show: false }, { show: false }],
          series: [{}, { stroke: '#2dd4bf', width: 1.5, points: { show: false } }],
        },
        [latest.current.times.map((time) => time / 1000), latest.current.values.slice()],
        element,
      );
      plot.current = instance;
    }, SPARKLINE_MOUNT_DELAY_MS);
    return () => {
      clearTimeout(timer);
      instance?.destroy();
      plot.current = null;
    };
  }, []);

  useEffect(() => {
    plot.current?.setData([times.map((time) => time / 1000), values]);
  }, [version]);

  return <div ref={container} className="sparkline" role="img" aria-label={label} />;
}
