import { useEffect, useState } from 'react';
import { ApiRequestError } from '../api/api-client';
import { useApi } from '../api/use-api';
import { ErrorNotice, RequestState } from '../components/request-state';
import { useSession } from '../session';
import { formatTime } from './format';

interface Incident {
  id: string;
  device: string;
  metric: string;
  kind: string;
  severity: string;
  status: string;
  message: string;
  openedAt: number;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  resolvedAt: number | null;
  eventCount: number;
}

const FILTERS = [
  { id: 'open', label: 'Open' },
  { id: 'acknowledged', label: 'Acknowledged' },
  { id: 'resolved', label: 'Resolved' },
  { id: '', label: 'All' },
];
const SILENCE_MS = 60 * 60_000;

/** Incidents with acknowledge / resolve / silence; refreshed by the live socket's incident events. */
export default function AlertsView() {
  const { live } = useSession();
  const [filter, setFilter] = useState('open');
  const incidents = useApi(
    (api, signal) =>
      api.json<{ incidents: Incident[] }>('/api/v1/incidents', {
        query: { status: filter || undefined, limit: 100 },
        signal,
      }),
    [filter],
  );
  const { reload } = incidents;
  useEffect(() => {
    live.subscribeAlerts();
    return live.addIncidentListener(reload);
  }, [live, reload]);

  return (
    <section aria-labelledby="alerts-title">
      <h1 id="alerts-title">Alerts</h1>
      <div className="toolbar" role="group" aria-label="Incident filter">
        <label htmlFor="incident-filter">Show</label>
        <select
          id="incident-filter"
          value={filter}
          onChange={(event) => setFilter(event.target.value)}
        >
          {FILTERS.map((item) => (
            <option key={item.id} value={item.id}>
              {item.label}
            </option>
          ))}
        </select>
      </div>
      <RequestState state={incidents} what="Alerts" path="/api/v1/incidents">
        {(data) =>
          data.incidents.length === 0 ? (
            <p className="muted">No incidents.</p>
          ) : (
            <div className="table-scroll">
              <table className="data" data-testid="incidents">
                <thead>
                  <tr>
                    <th scope="col">Opened</th>
                    <th scope="col">Device / metric</th>
                    <th scope="col">What</th>
                    <th scope="col">Status</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {data.incidents.map((incident) => (
                    <IncidentRow key={incident.id} incident={incident} onChanged={reload} />
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </RequestState>
    </section>
  );
}

function IncidentRow({ incident, onChanged }: { incident: Incident; onChanged: () => void }) {
  const { api } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [status, setStatus] = useState(incident.status);
  useEffect(() => setStatus(incident.status), [incident.status]);

  const act = async (run: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await run();
      onChanged();
    } catch (failure) {
      setError(failure instanceof Error ? failure : new Error(String(failure)));
    } finally {
      setBusy(false);
    }
  };
  const transition = (action: 'acknowledge' | 'resolve') =>
    act(async () => {
      const updated = await api.json<Incident>(`/api/v1/incidents/${incident.id}/${action}`, {
        method: 'POST',
        json: {},
      });
      setStatus(updated.status);
    });
  const silence = () =>
    act(() =>
      api.json('/api/v1/silences', {
        method: 'POST',
        json: {
          device: incident.device,
          metric: incident.metric,
          durationMs: SILENCE_MS,
          reason: `silenced from the dashboard for incident ${incident.id}`,
        },
      }),
    );
  const open = status !== 'resolved';
  return (
    <tr data-testid="incident-row" data-incident={incident.id} data-status={status}>
      <td>{formatTime(incident.openedAt)}</td>
      <td>
        {incident.device}
        <div className="muted">{incident.metric}</div>
      </td>
      <td>
        <span className={`badge badge-${incident.severity}`}>{incident.severity}</span>{' '}
        {incident.kind}: {incident.message}
      </td>
      <td>
        <span className={`badge badge-${status}`} data-testid="incident-status">
          {status}
        </span>
        {incident.acknowledgedBy && <div className="muted">by {incident.acknowledgedBy}</div>}
      </td>
      <td>
        <div className="toolbar">
          {open && status !== 'acknowledged' && (
            <button type="button" disabled={busy} onClick={() => void transition('acknowledge')}>
              Acknowledge
            </button>
          )}
          {open && (
            <button
              type="button"
              className="button-quiet"
              disabled={busy}
              onClick={() => void transition('resolve')}
            >
              Resolve
            </button>
          )}
          <button
            type="button"
            className="button-quiet"
            disabled={busy}
            onClick={() => void silence()}
            aria-label={`Silence ${incident.device} ${incident.metric} for an hour`}
          >
            Silence 1 h
          </button>
        </div>
        {error && (
          <ErrorNotice
            error={
              error instanceof ApiRequestError && error.status === 403
                ? new Error('This key may not change incidents (needs the write scope).')
                : error
            }
          />
        )}
      </td>
    </tr>
  );
}
