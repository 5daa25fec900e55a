import { memo, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { DeviceListResponse, DeviceView, LatestResponse } from '../api/gateway-types';
import { useApi } from '../api/use-api';
import { RequestState } from '../components/request-state';
import { Sparkline } from '../components/time-series-chart';
import { Link } from '../router';
import { useSession } from '../session';
import type { DeviceLiveState } from '../state/fleet-store';
import { formatAge, formatValue } from './format';

const ROW_HEIGHT = 52;
const OVERSCAN = 6;
/** A device that sent nothing for this long is shown as stale. */
const STALE_AFTER_MS = 60_000;

async function loadAllDevices(
  api: import('../api/api-client').ApiClient,
  signal: AbortSignal,
): Promise<DeviceView[]> {
  const devices: DeviceView[] = [];
  let after: string | undefined;
  do {
    const page = await api.json<DeviceListResponse>('/api/v1/devices', {
      query: { limit: 1000, after },
      signal,
    });
    devices.push(...page.devices);
    after = page.next ?? undefined;
  } while (after !== undefined);
  return devices;
}

export function FleetView() {
  const { fleet } = useSession();
  const state = useApi(loadAllDevices, []);
  useEffect(() => {
    if (state.status === 'ok') fleet.setDevices(state.data);
  }, [state, fleet]);
  return (
    <section aria-labelledby="fleet-title">
      <h1 id="fleet-title">Fleet</h1>
      <RequestState state={state} what="The device list" path="/api/v1/devices">
        {(devices) => <FleetTable devices={devices} />}
      </RequestState>
    </section>
  );
}

function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

function FleetTable({ devices }: { devices: DeviceView[] }) {
  const { fleet, live, api } = useSession();
  useSyncExternalStore(fleet.subscribe, fleet.getVersion);
  const now = useNow(1000);
  const [filter, setFilter] = useState('');
  const scroller = useRef<HTMLDivElement>(null);
  const [viewport, setViewport] = useState({ top: 0, height: 600 });
  const requested = useRef(new Set<string>());

  const shown = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    return needle === ''
      ? devices
      : devices.filter(
          (device) =>
            device.id.toLowerCase().includes(needle) ||
            Object.values(device.tags).some((tag) => tag.toLowerCase().includes(needle)),
        );
  }, [devices, filter]);

  // One subscription for the whole fleet: the socket batches it into messages of 1,000.
  useEffect(() => {
    const ids = devices.map((device) => device.id);
    live.subscribe(ids);
    return () => live.unsubscribe(ids);
  }, [devices, live]);

  useEffect(() => {
    const element = scroller.current;
    if (element === null) return;
    const update = () => setViewport({ top: element.scrollTop, height: element.clientHeight });
    update();
    element.addEventListener('scroll', update, { passive: true });
    const resize = new ResizeObserver(update);
    resize.observe(element);
    return () => {
      element.removeEventListener('scroll', update);
      resize.disconnect();
    };
  }, []);

  const first = Math.max(0, Math.floor(viewport.top / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(
    shown.length,
    Math.ceil((viewport.top + viewport.height) / ROW_HEIGHT) + OVERSCAN,
  );
  const visible = shown.slice(first, last);

  // Latest values for rows that scroll into view and have not reported live yet.
  useEffect(() => {
    const missing = visible
      .map((device) => device.id)
      .filter((id) => !requested.current.has(id) && (fleet.state(id)?.latest.size ?? 0) === 0);
    for (const id of missing) {
      requested.current.add(id);
      api
        .json<LatestResponse>(`/api/v1/devices/${encodeURIComponent(id)}/latest`)
        .then((latest) => fleet.applyLatest(id, latest.readings))
        .catch(() => requested.current.delete(id));
    }
  });

  return (
    <>
      <div className="toolbar">
        <label htmlFor="fleet-filter">Filter devices</label>
        <input
          id="fleet-filter"
          type="search"
          placeholder="id or tag"
          value={filter}
          onChange={(event) => setFilter(event.target.value)}
        />
        <span className="muted" aria-live="polite" data-testid="fleet-count">
          {shown.length} of {devices.length} devices
        </span>
      </div>
      <div
        className="fleet-table"
        role="table"
        aria-label="Devices"
        aria-rowcount={shown.length + 1}
      >
        <div className="fleet-row fleet-head" role="row">
          <span role="columnheader">Device</span>
          <span role="columnheader">Status</span>
          <span role="columnheader">Latest values</span>
          <span role="columnheader" className="col-spark">
            Trend
          </span>
          <span role="columnheader" className="col-seen">
            Last seen
          </span>
        </div>
        <div className="fleet-scroller" ref={scroller} role="rowgroup" tabIndex={0}>
          <div style={{ height: shown.length * ROW_HEIGHT, position: 'relative' }}>
            {visible.map((device, index) => {
              const live = fleet.state(device.id);
              return (
                <FleetRow
                  key={device.id}
                  device={device}
                  state={live}
                  version={live?.version ?? -1}
                  top={(first + index) * ROW_HEIGHT}
                  rowIndex={first + index + 2}
                  now={now}
                />
              );
            })}
          </div>
        </div>
      </div>
    </>
  );
}

const FleetRow = memo(function FleetRow({
  device,
  state,
  top,
  rowIndex,
  now,
}: {
  device: DeviceView;
  state: DeviceLiveState | undefined;
  version: number;
  top: number;
  rowIndex: number;
  now: number;
}) {
  const lastSeen = state?.lastSeenAt ?? device.lastSeenAt;
  const status = lastSeen === null ? 'never' : now - lastSeen > STALE_AFTER_MS ? 'stale' : 'online';
  const values = state ? [...state.latest.values()].slice(0, 3) : [];
  return (
    <div
      className="fleet-row"
      role="row"
      aria-rowindex={rowIndex}
      style={{ position: 'absolute', top, height: ROW_HEIGHT, left: 0, right: 0 }}
      data-testid="fleet-row"
      data-device={device.id}
    >
      <span role="cell" className="col-device">
        <Link href={`/devices/${encodeURIComponent(device.id)}`}>{device.id}</Link>
      </span>
      <span role="cell">
        <span className={`badge badge-${status}`}>{status}</span>
      </span>
      <span role="cell" className="col-values" data-testid="latest-values">
        {values.length === 0
          ? '—'
          : values.map((reading) => (
              <span key={reading.metric} className="value-chip">
                {reading.metric} <strong>{formatValue(reading.value)}</strong>
              </span>
            ))}
      </span>
      <span role="cell" className="col-spark">
        {state && state.sparkTimes.length > 1 && (
          <Sparkline
            times={state.sparkTimes}
            values={state.sparkValues}
            version={state.version}
            label={`${state.sparkMetric ?? ''} trend of ${device.id}`}
          />
        )}
      </span>
      <span role="cell" className="col-seen">
        {lastSeen === null ? 'never' : formatAge(now - lastSeen)}
      </span>
    </div>
  );
});
