import { E2E_API_KEY, E2eEnvironment } from '../support/e2e-environment';

// Starts the controller and the gateway as processes: minutes, not the default 5 s.
jest.setTimeout(300_000);

const MINUTE = 60_000;

/**
 * The programs and actuators REST API through the gateway to the actuator-controller, and the dry
 * run over stored readings (acceptance 2) against a hand-computed expectation.
 */
describe('programs API and dry run over stored readings', () => {
  const env = new E2eEnvironment();
  const api = (path: string, init: RequestInit & { key?: string } = {}) =>
    fetch(`${env.gatewayUrl}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${init.key ?? E2E_API_KEY}`,
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...init.headers,
      },
    });
  // an hour ago, so the readings are also the tenant's recent metric names the validator checks
  const T0 = Math.floor(Date.now() / MINUTE) * MINUTE - 60 * MINUTE;

  beforeAll(async () => {
    await env.start({
      services: ['actuator-controller', 'ingest-gateway'],
      serviceEnv: { 'actuator-controller': { SEED_DEMO_DEVICES: '0' } },
    });
    // stored readings: one per minute for `probe`, plus another device the program does not read
    const values = [25, 27, 29, 29.5, 28.5, 26, 24.5, 27, 29, 20];
    for (const [index, value] of values.entries()) {
      await env.pool.query(
        `INSERT INTO readings (tenant, device, metric, time, value)
         VALUES ('demo', 'probe', 'temperature', to_timestamp($1::float8 / 1000), $2),
                ('demo', 'elsewhere', 'temperature', to_timestamp($1::float8 / 1000), 40)`,
        [T0 + index * MINUTE, value],
      );
    }
  });

  afterAll(() => env.stop());

  const program = {
    id: 'probe-fan',
    version: 1,
    name: 'Probe fan',
    devices: ['probe'],
    actuators: ['probe-fan'],
    tree: {
      condition: {
        hysteresis: {
          metric: 'temperature',
          on: { op: '>', value: 28 },
          off: { op: '<', value: 25 },
        },
      },
      then: { action: 'set_state', state: 'on' },
      else: { action: 'set_state', state: 'off' },
    },
  };

  it('validates with node paths and suggestions', async () => {
    const bad = structuredClone(program) as typeof program;
    (bad.tree.condition.hysteresis as { metric: string }).metric = 'temprature';
    const validation = await api('/api/v1/programs/validate', {
      method: 'POST',
      body: JSON.stringify(bad),
    });
    expect(validation.status).toBe(200);
    const body = (await validation.json()) as {
      ok: boolean;
      issues: Array<{ path: string; message: string }>;
    };
    expect(body.ok).toBe(false);
    expect(body.issues[0]).toMatchObject({ path: 'tree.condition.hysteresis.metric' });
    expect(body.issues[0].message).toContain('did you mean "temperature"');

    const refused = await api('/api/v1/programs', { method: 'POST', body: JSON.stringify(bad) });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({
      error: {
        code: 'invalid_program',
        details: [expect.objectContaining({ path: 'tree.condition.hysteresis.metric' })],
      },
    });
  });

  it('creates, reads, versions, enables and lists programs of the caller tenant', async () => {
    const created = await api('/api/v1/programs', {
      method: 'POST',
      body: JSON.stringify(program),
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({
      id: 'probe-fan',
      version: 1,
      enabled: false,
      definition: { tenant: 'demo' },
    });
    const updated = await api('/api/v1/programs/probe-fan', {
      method: 'PUT',
      body: JSON.stringify({ ...program, version: undefined, priority: 3 }),
    });
    expect(await updated.json()).toMatchObject({ version: 2, priority: 3 });
    expect(
      (await (await api('/api/v1/programs/probe-fan/enable', { method: 'POST' })).json()) as object,
    ).toMatchObject({
      enabled: true,
    });
    const list = (await (await api('/api/v1/programs?enabled=true')).json()) as {
      programs: Array<{ id: string }>;
    };
    expect(list.programs.map((p) => p.id)).toEqual(['probe-fan']);
    const missing = await api('/api/v1/programs/nope');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');
    const templates = (await (await api('/api/v1/program-templates')).json()) as {
      templates: Array<{ name: string }>;
    };
    expect(templates.templates.map((t) => t.name)).toEqual([
      'thermostat',
      'schedule',
      'threshold-cutoff',
      'idle-shutdown',
    ]);
  });

  it('dry-runs the stored range and returns exactly the hand-computed commands with reasons', async () => {
    const response = await api('/api/v1/programs/probe-fan/dry-run', {
      method: 'POST',
      body: JSON.stringify({ from: T0, to: T0 + 8 * MINUTE, tickMs: MINUTE }),
    });
    expect(response.status).toBe(200);
    const result = (await response.json()) as {
      readings: number;
      steps: Array<{
        time: number;
        kind: string;
        actuator: string;
        params: { state: string };
        reason: string;
      }>;
    };
    // 25 → off (latch starts off); 27 stays; 29 > 28 → on; 29.5, 28.5, 26 stay on; 24.5 < 25 → off;
    // 27 stays off; 29 → on. The 10th reading (20) is after `to`; `elsewhere` is not the program's.
    expect(
      result.steps.map((step) => [step.time - T0, step.kind, step.actuator, step.params.state]),
    ).toEqual([
      [0, 'command', 'probe-fan', 'off'],
      [2 * MINUTE, 'command', 'probe-fan', 'on'],
      [6 * MINUTE, 'command', 'probe-fan', 'off'],
      [8 * MINUTE, 'command', 'probe-fan', 'on'],
    ]);
    expect(result.readings).toBe(9);
    expect(result.steps[1].reason).toContain('temperature 29');
    expect(result.steps[2].reason).toContain('24.5');
  });

  it('sends a manual command, lists it in the history, and guards the kill switch by scope', async () => {
    const sent = await api('/api/v1/actuators/probe-fan/commands', {
      method: 'POST',
      headers: { 'idempotency-key': 'manual-1' },
      body: JSON.stringify({
        action: 'set_state',
        params: { state: 'on' },
        reason: 'testing',
        holdMs: 60_000,
      }),
    });
    expect(sent.status).toBe(202);
    const command = (await sent.json()) as { id: string; issuer: { kind: string } };
    expect(command.issuer.kind).toBe('user');
    const history = (await (
      await api('/api/v1/commands?actuator=probe-fan&events=true')
    ).json()) as {
      commands: Array<{ id: string; events: Array<{ kind: string }> }>;
    };
    expect(history.commands[0].id).toBe(command.id);
    const actuators = (await (await api('/api/v1/actuators')).json()) as {
      actuators: Array<{ id: string; overrideUntil: number | null }>;
    };
    expect(actuators.actuators.find((a) => a.id === 'probe-fan')?.overrideUntil).toBeGreaterThan(
      Date.now(),
    );
    const badCommand = await api('/api/v1/actuators/probe-fan/commands', {
      method: 'POST',
      body: JSON.stringify({ action: 'explode' }),
    });
    expect(badCommand.status).toBe(400);

    const kill = await api('/api/v1/admin/kill-switch', {
      method: 'POST',
      body: JSON.stringify({ active: true, reason: 'test' }),
    });
    expect(kill.status).toBe(200);
    expect(await kill.json()).toMatchObject({ tenant: 'demo', active: true, reason: 'test' });
    const unauthenticated = await api('/api/v1/programs', { key: 'wrong-key-123' });
    expect(unauthenticated.status).toBe(401);
  });
});
