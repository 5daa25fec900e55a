import { useEffect, useMemo, useRef, useState } from 'react';
import { EndpointNotAvailableError } from '../api/api-client';
import type { LatestResponse } from '../api/gateway-types';
import { fetchSeries, type Resolution } from '../api/series';
import { useApi } from '../api/use-api';
import { ErrorNotice, RequestState } from '../components/request-state';
import { TimeSeriesChart, seriesColor } from '../components/time-series-chart';
import { LiveSeries } from '../live/live-series';
import { Link } from '../router';
import { useSession } from '../session';
import { formatTime, formatValue } from './format';

const RANGES: Array<{ id: string; label: string; ms: number }> = [
  { id: '15m', label: 'Last 15 minutes', ms: 15 * 60_000 },
  { id: '1h', label: 'Last hour', ms: 60 * 60_000 },
  { id: '6h', label: 'Last 6 hours', ms: 6 * 60 * 60_000 },
  { id: '24h', label: 'Last 24 hours', ms: 24 * 60 * 60_000 },
  { id: '7d', label: 'Last 7 days', ms: 7 * 24 * 60 * 60_000 },
];
const RESOLUTIONS: Resolution[] = ['auto', 'raw', '1m', '1h', '1d'];

export default function DeviceView({ deviceId }: { deviceId: string }) {
  const latest = useApi(
    (api, signal) =>
      api.json<LatestResponse>(`/api/v1/devices/${encodeURIComponent(deviceId)}/latest`, {
        signal,
      }),
    [deviceId],
  );
  return (
    <section aria-labelledby="device-title">
      <p>
        <Link href="/">← Fleet</Link>
      </p>
      <h1 id="device-title">{deviceId}</h1>
      <RequestState state={latest} what="This device" path="/api/v1/devices/:id/latest">
        {(data) => <DeviceCharts deviceId={deviceId} latest={data} />}
      </RequestState>
    </section>
  );
}

function DeviceCharts({ deviceId, latest }: { deviceId: string; latest: LatestResponse }) {
  const metrics = useMemo(
    () => [...new Set(latest.readings.map((reading) => reading.metric))].sort(),
    [latest],
  );
  const [metric, setMetric] = useState(metrics[0] ?? '');
  const [rangeId, setRangeId] = useState('15m');
  const [resolution, setResolution] = useState<Resolution>('auto');
  const range = RANGES.find((item) => item.id === rangeId) ?? RANGES[0];

  return (
    <>
      <dl className="latest-grid" aria-label="Latest values">
        {latest.readings.map((reading) => (
          <div key={reading.metric}>
            <dt>{reading.metric}</dt>
            <dd>
              {formatValue(reading.value)}{' '}
              <span className="muted">at {formatTime(reading.time)}</span>
            </dd>
          </div>
        ))}
      </dl>
      {metrics.length === 0 ? (
        <p className="muted">This device has not reported yet.</p>
      ) : (
        <>
          <div className="toolbar" role="group" aria-label="Chart options">
            <label htmlFor="metric">Metric</label>
            <select id="metric" value={metric} onChange={(event) => setMetric(event.target.value)}>
              {metrics.map((name) => (
                <option key={name}>{name}</option>
              ))}
            </select>
            <label htmlFor="range">Range</label>
            <select id="range" value={rangeId} onChange={(event) => setRangeId(event.target.value)}>
              {RANGES.map((item) => (
                <option key={item.id} value={item.id}>
                  {item.label}
                </option>
              ))}
            </select>
            <label htmlFor="resolution">Resolution</label>
            <select
              id="resolution"
              value={resolution}
              onChange={(event) => setResolution(event.target.value as Resolution)}
            >
              {RESOLUTIONS.map((item) => (
                <option key={item}>{item}</option>
              ))}
            </select>
          </div>
          <LiveChart
            deviceId={deviceId}
            metric={metric}
            windowMs={range.ms}
            resolution={resolution}
            seed={latest.readings.filter((reading) => reading.metric === metric)}
          />
        </>
      )}
    </>
  );
}

/**
 * History, then live points without a gap: the device is subscribed before the history request
 * goes out, points arriving meanwhile are held by LiveSeries and appended after the history.
 * After a reconnect the history is fetched again, which fills whatever the outage missed.
 */
function LiveChart({
  deviceId,
  metric,
  windowMs,
  resolution,
  seed,
}: {
  deviceId: string;
  metric: string;
  windowMs: number;
  resolution: Resolution;
  seed: Array<{ time: number; value: number }>;
}) {
  const { api, live } = useSession();
  const series = useRef(new LiveSeries(windowMs));
  const [columns, setColumns] = useState<[number[], number[]]>([[], []]);
  const [historyState, setHistoryState] = useState<'loading' | 'ok' | 'unavailable' | Error>(
    'loading',
  );
  const [points, setPoints] = useState(0);
  const seedRef = useRef(seed);
  seedRef.current = seed;

  useEffect(() => {
    let frame = 0;
    const redraw = () => {
      if (frame !== 0) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        setColumns(series.current.toColumns());
        setPoints(series.current.length);
      });
    };
    let controller = new AbortController();
    const loadHistory = () => {
      controller.abort();
      controller = new AbortController();
      const signal = controller.signal;
      series.current.resetForReload(windowMs);
      const to = Date.now();
      fetchSeries(api, { device: deviceId, metric, from: to - windowMs, to, resolution }, signal)
        .then((history) => {
          if (signal.aborted) return;
          series.current.setHistory(history);
          setHistoryState('ok');
          redraw();
        })
        .catch((error: unknown) => {
          if (signal.aborted) return;
          // Without a serving layer the chart still starts from the latest value and goes live.
          series.current.setHistory(
            series.current.length === 0 ? seedRef.current : columnsToPoints(series.current),
          );
          setHistoryState(
            error instanceof EndpointNotAvailableError
              ? 'unavailable'
              : error instanceof Error
                ? error
                : new Error(String(error)),
          );
          redraw();
        });
    };
    const removeReadings = live.addReadingsListener((device, readings) => {
      if (device !== deviceId) return;
      let added = false;
      for (const reading of readings) {
        if (reading.metric !== metric) continue;
        series.current.append({ time: reading.time, value: reading.value });
        added = true;
      }
      if (added) redraw();
    });
    live.subscribe([deviceId]);
    let firstAuth = true;
    const removeResubscribe = live.addResubscribeListener(() => {
      // The first authentication after mount is not a reconnect: history is already loading.
      if (firstAuth) {
        firstAuth = false;
        return;
      }
      loadHistory();
    });
    if (live.currentStatus === 'live') firstAuth = false;
    loadHistory();
    return () => {
      controller.abort();
      cancelAnimationFrame(frame);
      removeReadings();
      removeResubscribe();
      live.unsubscribe([deviceId]);
      series.current = new LiveSeries(windowMs);
    };
  }, [api, live, deviceId, metric, windowMs, resolution]);

  return (
    <>
      {historyState === 'unavailable' && (
        <div className="notice notice-unavailable" role="status" data-testid="not-available">
          History is not available on this server (no <code>/api/v1/series</code>): the chart starts
          at the latest value and continues live.
        </div>
      )}
      {historyState instanceof Error && <ErrorNotice error={historyState} />}
      <TimeSeriesChart
        title={`${metric} of ${deviceId}`}
        data={columns}
        series={[{ label: metric, stroke: seriesColor(0) }]}
      />
      <p className="muted" aria-live="off" data-testid="chart-points" data-points={points}>
        {points} points (
        {resolution === 'raw' || resolution === 'auto' ? '' : `${resolution} buckets, `}
        live tail raw)
      </p>
    </>
  );
}

function columnsToPoints(series: LiveSeries): Array<{ time: number; value: number }> {
  const [times, values] = series.toColumns();
  return times.map((time, index) => ({ time: time * 1000, value: values[index] }));
}
