import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { ApiRequestError } from '../api/api-client';
import type { DeviceListResponse } from '../api/gateway-types';
import { fetchSeries } from '../api/series';
import { useApi } from '../api/use-api';
import { ErrorNotice, RequestState } from '../components/request-state';
import { TimeSeriesChart, seriesColor } from '../components/time-series-chart';
import { useSession } from '../session';
import { formatTime } from './format';

interface Program {
  id: string;
  version: number;
  name?: string;
  owner?: string;
  priority?: number;
  enabled: boolean;
  definition?: { devices?: string[]; actuators?: string[] };
  updatedAt?: number | string;
}

interface ValidationIssue {
  path: string;
  code: string;
  message: string;
}

interface DryRunStep {
  time: number;
  kind: 'command' | 'alert';
  actuator?: string;
  command?: string;
  params?: Record<string, unknown>;
  message?: string;
  reason: string;
}

/** The form's fields and the program JSON path each one fills. */
const FIELD_PATHS: Record<string, string[]> = {
  name: ['name', 'id'],
  device: ['devices', 'devices.0', 'devices[0]'],
  actuator: ['actuators', 'actuators.0', 'actuators[0]'],
  metric: ['tree.condition.metric'],
  op: ['tree.condition.op'],
  value: ['tree.condition.value'],
  for: ['tree.condition.for'],
  thenState: ['tree.then', 'tree.then.state'],
  elseState: ['tree.else', 'tree.else.state'],
  priority: ['priority'],
};

interface ProgramForm {
  name: string;
  device: string;
  actuator: string;
  metric: string;
  op: string;
  value: string;
  for: string;
  thenState: string;
  elseState: string;
  priority: string;
}

const EMPTY_FORM: ProgramForm = {
  name: '',
  device: '',
  actuator: '',
  metric: 'temperature',
  op: '>',
  value: '25',
  for: '',
  thenState: 'on',
  elseState: 'off',
  priority: '10',
};

const DRY_RUN_RANGE_MS = 30 * 60_000;

function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'program'
  );
}

/** A branch on one latest-value condition; the value goes as typed so its error lands on the field. */
export function definitionOf(form: ProgramForm): Record<string, unknown> {
  const numeric = Number(form.value);
  const condition: Record<string, unknown> = {
    metric: form.metric,
    op: form.op,
    value: form.value.trim() !== '' && Number.isFinite(numeric) ? numeric : form.value,
  };
  if (form.for.trim() !== '') condition.for = form.for.trim();
  return {
    id: slug(form.name),
    version: 1,
    name: form.name,
    priority: Number(form.priority),
    devices: [form.device],
    actuators: [form.actuator],
    tree: {
      condition,
      then: { action: 'set_state', state: form.thenState },
      else: { action: 'set_state', state: form.elseState },
    },
  };
}

function fieldOf(path: string): keyof ProgramForm | undefined {
  for (const [field, paths] of Object.entries(FIELD_PATHS)) {
    if (paths.includes(path)) return field as keyof ProgramForm;
  }
  return undefined;
}

export default function ProgramsView() {
  const programs = useApi(
    (api, signal) => api.json<{ programs: Program[] }>('/api/v1/programs', { signal }),
    [],
  );
  const [created, setCreated] = useState<{ program: Program; form: ProgramForm } | null>(null);
  return (
    <section aria-labelledby="programs-title">
      <h1 id="programs-title">Programs</h1>
      <RequestState state={programs} what="Programs" path="/api/v1/programs">
        {(data) => (
          <>
            <ProgramList programs={data.programs} onChanged={programs.reload} />
            <ProgramEditor
              onCreated={(program, form) => {
                setCreated({ program, form });
                programs.reload();
              }}
            />
            {created && <DryRun program={created.program} form={created.form} />}
          </>
        )}
      </RequestState>
    </section>
  );
}

function ProgramList({ programs, onChanged }: { programs: Program[]; onChanged: () => void }) {
  const { api } = useSession();
  const [error, setError] = useState<Error | null>(null);
  const toggle = async (program: Program) => {
    setError(null);
    try {
      await api.json(
        `/api/v1/programs/${encodeURIComponent(program.id)}/${program.enabled ? 'disable' : 'enable'}`,
        {
          method: 'POST',
          json: {},
        },
      );
      onChanged();
    } catch (failure) {
      setError(failure instanceof Error ? failure : new Error(String(failure)));
    }
  };
  if (programs.length === 0) return <p className="muted">No programs yet.</p>;
  return (
    <>
      {error && <ErrorNotice error={error} />}
      <div className="table-scroll">
        <table className="data" data-testid="programs">
          <thead>
            <tr>
              <th scope="col">Program</th>
              <th scope="col">Devices → actuators</th>
              <th scope="col">Priority</th>
              <th scope="col">State</th>
              <th scope="col">Action</th>
            </tr>
          </thead>
          <tbody>
            {programs.map((program) => (
              <tr key={program.id} data-testid="program-row" data-program={program.id}>
                <td>
                  {program.name ?? program.id} <span className="muted">v{program.version}</span>
                </td>
                <td>
                  {(program.definition?.devices ?? []).join(', ')} →{' '}
                  {(program.definition?.actuators ?? []).join(', ')}
                </td>
                <td>{program.priority ?? 0}</td>
                <td>
                  <span className={`badge badge-${program.enabled ? 'enabled' : 'disabled'}`}>
                    {program.enabled ? 'enabled' : 'disabled'}
                  </span>
                </td>
                <td>
                  <button
                    type="button"
                    className="button-quiet"
                    onClick={() => void toggle(program)}
                  >
                    {program.enabled ? 'Disable' : 'Enable'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function ProgramEditor({
  onCreated,
}: {
  onCreated: (program: Program, form: ProgramForm) => void;
}) {
  const { api } = useSession();
  const devices = useApi(
    (client, signal) =>
      client.json<DeviceListResponse>('/api/v1/devices', { query: { limit: 1000 }, signal }),
    [],
  );
  const [form, setForm] = useState<ProgramForm>(EMPTY_FORM);
  const [issues, setIssues] = useState<ValidationIssue[]>([]);
  const [touched, setTouched] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [saving, setSaving] = useState(false);
  const definition = useMemo(() => definitionOf(form), [form]);

  // Inline validation: the server's validator (the same one create uses), debounced while typing.
  useEffect(() => {
    if (!touched) return;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      api
        .json<{ ok: boolean; issues: ValidationIssue[] }>('/api/v1/programs/validate', {
          method: 'POST',
          json: definition,
          signal: controller.signal,
        })
        .then((result) => setIssues(result.ok ? [] : result.issues))
        .catch((failure: unknown) => {
          if (!controller.signal.aborted) setError(failure as Error);
        });
    }, 300);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [api, definition, touched]);

  const set = (field: keyof ProgramForm) => (value: string) => {
    setTouched(true);
    setForm((current) => ({ ...current, [field]: value }));
  };
  const issuesOf = (field: keyof ProgramForm) =>
    issues.filter((issue) => fieldOf(issue.path) === field);
  const otherIssues = issues.filter((issue) => fieldOf(issue.path) === undefined);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    setError(null);
    setSaving(true);
    try {
      const program = await api.json<Program>('/api/v1/programs', {
        method: 'POST',
        json: definition,
      });
      setIssues([]);
      onCreated(program, form);
    } catch (failure) {
      if (failure instanceof ApiRequestError && failure.details.length > 0) {
        setIssues(
          failure.details.map((detail) => ({
            path: detail.path,
            code: failure.code,
            message: detail.message,
          })),
        );
      } else {
        setError(failure instanceof Error ? failure : new Error(String(failure)));
      }
    } finally {
      setSaving(false);
    }
  };

  const deviceIds = devices.status === 'ok' ? devices.data.devices.map((device) => device.id) : [];
  const field = (
    name: keyof ProgramForm,
    label: string,
    input: (props: {
      id: string;
      'aria-invalid': boolean;
      'aria-describedby'?: string;
    }) => React.ReactNode,
  ) => {
    const fieldIssues = issuesOf(name);
    const id = `program-${name}`;
    return (
      <div className="field">
        <label htmlFor={id}>{label}</label>
        {input({
          id,
          'aria-invalid': fieldIssues.length > 0,
          'aria-describedby': fieldIssues.length > 0 ? `${id}-error` : undefined,
        })}
        {fieldIssues.length > 0 && (
          <p id={`${id}-error`} className="field-error" data-testid={`${id}-error`}>
            {fieldIssues.map((issue) => issue.message).join(' ')}
          </p>
        )}
      </div>
    );
  };

  return (
    <>
      <h2>New program</h2>
      <p className="muted">
        When the device's latest <em>metric</em> compares true (for the given time), switch the
        actuator to one state, otherwise to the other.
      </p>
      <form className="form-grid" onSubmit={submit} noValidate>
        {field('name', 'Name', (props) => (
          <input
            {...props}
            value={form.name}
            onChange={(event) => set('name')(event.target.value)}
          />
        ))}
        {field('device', 'Device', (props) => (
          <>
            <input
              {...props}
              list="program-devices"
              value={form.device}
              onChange={(event) => set('device')(event.target.value)}
            />
            <datalist id="program-devices">
              {deviceIds.map((id) => (
                <option key={id} value={id} />
              ))}
            </datalist>
          </>
        ))}
        {field('actuator', 'Actuator', (props) => (
          <input
            {...props}
            value={form.actuator}
            placeholder="e.g. sim-001-fan"
            onChange={(event) => set('actuator')(event.target.value)}
          />
        ))}
        {field('metric', 'Metric', (props) => (
          <input
            {...props}
            value={form.metric}
            onChange={(event) => set('metric')(event.target.value)}
          />
        ))}
        {field('op', 'Comparison', (props) => (
          <select {...props} value={form.op} onChange={(event) => set('op')(event.target.value)}>
            {['>', '>=', '<', '<=', '==', '!='].map((op) => (
              <option key={op}>{op}</option>
            ))}
          </select>
        ))}
        {field('value', 'Value', (props) => (
          <input
            {...props}
            inputMode="decimal"
            value={form.value}
            onChange={(event) => set('value')(event.target.value)}
          />
        ))}
        {field('for', 'Holds for (optional, e.g. 5m)', (props) => (
          <input {...props} value={form.for} onChange={(event) => set('for')(event.target.value)} />
        ))}
        {field('thenState', 'Then set state', (props) => (
          <select
            {...props}
            value={form.thenState}
            onChange={(event) => set('thenState')(event.target.value)}
          >
            <option>on</option>
            <option>off</option>
          </select>
        ))}
        {field('elseState', 'Otherwise set state', (props) => (
          <select
            {...props}
            value={form.elseState}
            onChange={(event) => set('elseState')(event.target.value)}
          >
            <option>off</option>
            <option>on</option>
          </select>
        ))}
        {field('priority', 'Priority', (props) => (
          <input
            {...props}
            inputMode="numeric"
            value={form.priority}
            onChange={(event) => set('priority')(event.target.value)}
          />
        ))}
        {otherIssues.length > 0 && (
          <ul className="field-error" data-testid="program-other-issues">
            {otherIssues.map((issue) => (
              <li key={`${issue.path}:${issue.message}`}>
                <code>{issue.path}</code>: {issue.message}
              </li>
            ))}
          </ul>
        )}
        <div>
          <button type="submit" disabled={saving}>
            Create program
          </button>
        </div>
      </form>
      {error && <ErrorNotice error={error} />}
    </>
  );
}

/** Replays the last 30 minutes of the device through the program; commands drawn on its metric. */
function DryRun({ program, form }: { program: Program; form: ProgramForm }) {
  const state = useApi(
    async (api, signal) => {
      const to = Date.now();
      const from = to - DRY_RUN_RANGE_MS;
      const [run, history] = await Promise.all([
        api.json<{ readings: number; steps: DryRunStep[] }>(
          `/api/v1/programs/${encodeURIComponent(program.id)}/dry-run`,
          { method: 'POST', json: { from, to }, signal },
        ),
        fetchSeries(
          api,
          { device: form.device, metric: form.metric, from, to, resolution: 'raw' },
          signal,
        ).catch(() => []),
      ]);
      return { run, history };
    },
    [program.id, program.version],
  );
  return (
    <>
      <h2>Dry run of {program.name ?? program.id} (last 30 minutes)</h2>
      <RequestState state={state} what="Dry run" path="/api/v1/programs/:id/dry-run">
        {({ run, history }) => {
          const commands = run.steps.filter((step) => step.kind === 'command');
          const times = [
            ...new Set([
              ...history.map((point) => point.time),
              ...commands.map((step) => step.time),
            ]),
          ].sort((a, b) => a - b);
          const valueAt = new Map(history.map((point) => [point.time, point.value]));
          const nearest = (time: number) => {
            let best: number | null = null;
            let distance = Infinity;
            for (const point of history) {
              const d = Math.abs(point.time - time);
              if (d < distance) {
                distance = d;
                best = point.value;
              }
            }
            return best ?? Number(form.value);
          };
          const commandAt = new Map(commands.map((step) => [step.time, nearest(step.time)]));
          const data: [number[], (number | null)[], (number | null)[]] = [
            times.map((time) => time / 1000),
            times.map((time) => valueAt.get(time) ?? null),
            times.map((time) => commandAt.get(time) ?? null),
          ];
          return (
            <>
              <p data-testid="dry-run-summary">
                {run.readings} readings replayed, {commands.length} commands.
              </p>
              <TimeSeriesChart
                title={`Dry run of ${program.id}`}
                data={data as unknown as import('uplot').AlignedData}
                series={[
                  { label: form.metric, stroke: seriesColor(0) },
                  { label: 'commands', stroke: seriesColor(1), pointsOnly: true },
                ]}
              />
              <div className="table-scroll">
                <table className="data" data-testid="dry-run-steps">
                  <thead>
                    <tr>
                      <th scope="col">Time</th>
                      <th scope="col">Command</th>
                      <th scope="col">Why</th>
                    </tr>
                  </thead>
                  <tbody>
                    {run.steps.map((step, index) => (
                      <tr key={`${step.time}-${index}`} data-testid="dry-run-step">
                        <td>{formatTime(step.time)}</td>
                        <td>
                          {step.kind === 'command'
                            ? `${step.actuator} ${step.command ?? ''} ${JSON.stringify(step.params ?? {})}`
                            : `alert: ${step.message ?? ''}`}
                        </td>
                        <td>{step.reason}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          );
        }}
      </RequestState>
    </>
  );
}
