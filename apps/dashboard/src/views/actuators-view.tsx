import { useEffect, useState, type FormEvent } from 'react';
import { ApiRequestError } from '../api/api-client';
import { useApi } from '../api/use-api';
import { ErrorNotice, RequestState } from '../components/request-state';
import { useSession } from '../session';
import { formatTime } from './format';

interface Actuator {
  id: string;
  state: Record<string, unknown> | string | null;
  stateAt: number | null;
  lastCommandAt: number | null;
  lastAckAt: number | null;
  overrideUntil: number | null;
}

interface Command {
  id: string;
  actuator: string;
  action: string;
  params: Record<string, unknown>;
  issuer: { kind: string; id: string };
  reason: string;
  status: string;
  statusReason: string | null;
  createdAt: number | null;
  acknowledgedAt: number | null;
}

const REFRESH_MS = 2000;
const HOLD_MS = 10 * 60_000;

function describeState(state: Actuator['state']): string {
  if (state === null || state === undefined) return 'unknown';
  return typeof state === 'string' ? state : JSON.stringify(state);
}

/** Actuators: state, a manual command (confirmed before it is sent), and the command history. */
export default function ActuatorsView() {
  const actuators = useApi(
    (api, signal) => api.json<{ actuators: Actuator[] }>('/api/v1/actuators', { signal }),
    [],
  );
  const [selected, setSelected] = useState('');
  const commands = useApi(
    (api, signal) =>
      api.json<{ commands: Command[] }>('/api/v1/commands', {
        query: { actuator: selected || undefined, limit: 20 },
        signal,
      }),
    [selected],
  );
  const { reload: reloadCommands } = commands;
  const { reload: reloadActuators } = actuators;
  useEffect(() => {
    const timer = setInterval(() => {
      reloadCommands();
      reloadActuators();
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [reloadCommands, reloadActuators]);

  return (
    <section aria-labelledby="actuators-title">
      <h1 id="actuators-title">Actuators</h1>
      <RequestState state={actuators} what="Actuators" path="/api/v1/actuators">
        {(data) => (
          <>
            <div className="table-scroll">
              <table className="data" data-testid="actuators">
                <thead>
                  <tr>
                    <th scope="col">Actuator</th>
                    <th scope="col">State</th>
                    <th scope="col">Last command</th>
                    <th scope="col">Last acknowledged</th>
                  </tr>
                </thead>
                <tbody>
                  {data.actuators.map((actuator) => (
                    <tr key={actuator.id}>
                      <td>
                        <button
                          type="button"
                          className="button-quiet"
                          onClick={() => setSelected(actuator.id)}
                          aria-pressed={selected === actuator.id}
                        >
                          {actuator.id}
                        </button>
                      </td>
                      <td>{describeState(actuator.state)}</td>
                      <td>{actuator.lastCommandAt ? formatTime(actuator.lastCommandAt) : '—'}</td>
                      <td>{actuator.lastAckAt ? formatTime(actuator.lastAckAt) : '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <CommandForm
              known={data.actuators.map((actuator) => actuator.id)}
              actuator={selected}
              onActuator={setSelected}
              onSent={reloadCommands}
            />
          </>
        )}
      </RequestState>
      <h2>Command history{selected ? ` of ${selected}` : ''}</h2>
      <RequestState state={commands} what="Command history" path="/api/v1/commands">
        {(data) =>
          data.commands.length === 0 ? (
            <p className="muted">No commands yet.</p>
          ) : (
            <div className="table-scroll">
              <table className="data" data-testid="command-history">
                <thead>
                  <tr>
                    <th scope="col">Issued</th>
                    <th scope="col">Actuator</th>
                    <th scope="col">Command</th>
                    <th scope="col">By</th>
                    <th scope="col">Status</th>
                  </tr>
                </thead>
                <tbody>
                  {data.commands.map((command) => (
                    <tr
                      key={command.id}
                      data-testid="command-row"
                      data-command={command.id}
                      data-status={command.status}
                    >
                      <td>{command.createdAt ? formatTime(command.createdAt) : '—'}</td>
                      <td>{command.actuator}</td>
                      <td>
                        {command.action} {JSON.stringify(command.params)}
                        {command.reason && <div className="muted">{command.reason}</div>}
                      </td>
                      <td>
                        {command.issuer.kind} {command.issuer.id}
                      </td>
                      <td>
                        <span className={`badge badge-${command.status}`}>{command.status}</span>
                        {command.statusReason && (
                          <div className="muted">{command.statusReason}</div>
                        )}
                      </td>
                    </tr>
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

function CommandForm({
  known,
  actuator,
  onActuator,
  onSent,
}: {
  known: string[];
  actuator: string;
  onActuator: (id: string) => void;
  onSent: () => void;
}) {
  const { api } = useSession();
  const [state, setState] = useState('on');
  const [reason, setReason] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [sent, setSent] = useState<Command | null>(null);

  const review = (event: FormEvent) => {
    event.preventDefault();
    if (actuator.trim() === '') {
      setError(new Error('Choose an actuator.'));
      return;
    }
    setError(null);
    setConfirming(true);
  };
  const send = async () => {
    setConfirming(false);
    try {
      const command = await api.json<Command>(
        `/api/v1/actuators/${encodeURIComponent(actuator.trim())}/commands`,
        {
          method: 'POST',
          json: {
            action: 'set_state',
            params: { state },
            reason: reason.trim() || 'manual command from the dashboard',
            holdMs: HOLD_MS,
          },
          headers: { 'idempotency-key': crypto.randomUUID() },
        },
      );
      setSent(command);
      onSent();
    } catch (failure) {
      setError(failure instanceof Error ? failure : new Error(String(failure)));
    }
  };

  return (
    <>
      <h2>Manual command</h2>
      <form className="form-grid" onSubmit={review}>
        <div className="field">
          <label htmlFor="command-actuator">Actuator</label>
          <input
            id="command-actuator"
            list="known-actuators"
            value={actuator}
            onChange={(event) => onActuator(event.target.value)}
            placeholder="e.g. sim-001-fan"
          />
          <datalist id="known-actuators">
            {known.map((id) => (
              <option key={id} value={id} />
            ))}
          </datalist>
        </div>
        <div className="field">
          <label htmlFor="command-state">Set state</label>
          <select
            id="command-state"
            value={state}
            onChange={(event) => setState(event.target.value)}
          >
            <option value="on">on</option>
            <option value="off">off</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="command-reason">Reason</label>
          <input
            id="command-reason"
            value={reason}
            onChange={(event) => setReason(event.target.value)}
          />
        </div>
        <div>
          <button type="submit">Send command…</button>
        </div>
      </form>
      {confirming && (
        <div
          className="notice notice-unavailable"
          role="alertdialog"
          aria-labelledby="confirm-text"
        >
          <p id="confirm-text">
            Switch <strong>{actuator}</strong> <strong>{state}</strong>? Programs are held off this
            actuator for 10 minutes.
          </p>
          <div className="toolbar">
            <button type="button" onClick={() => void send()} autoFocus>
              Confirm
            </button>
            <button type="button" className="button-quiet" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {sent && (
        <p className="notice notice-ok" role="status">
          Command {sent.id} sent ({sent.status}); its acknowledgement shows in the history.
        </p>
      )}
      {error && (
        <ErrorNotice
          error={
            error instanceof ApiRequestError && error.status === 403
              ? new Error('This key may not command actuators (needs the write scope).')
              : error
          }
        />
      )}
    </>
  );
}
