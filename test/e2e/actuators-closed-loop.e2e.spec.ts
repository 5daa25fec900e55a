import { encodeRecord, Topics, type ActuatorCommand } from '@sluice/contracts';
import { createKafka, KafkaProducer } from '@sluice/kafka';
import { waitFor } from '@sluice/testing';
import { E2E_API_KEY, E2eEnvironment } from '../support/e2e-environment';

// A whole pipeline with the simulator: minutes, not the default 5 s.
jest.setTimeout(300_000);

const DEVICE = 'sim-001';
const HEATER = 'sim-001-heater';

interface CommandView {
  id: string;
  actuator: string;
  action: ActuatorCommand['action'];
  params: { state?: string };
  issuer: ActuatorCommand['issuer'];
  reason: string;
  status: string;
  createdAt: number;
  expiresAt: number;
  events?: Array<{ kind: string }>;
}

interface ReceivedCommand {
  id: string;
  actuator: string;
  params: { state?: string };
  outcome: string;
  duplicates: number;
}

/**
 * Acceptance 3: the actuator-controller runs a heating thermostat for a simulated room, the
 * simulator's agent switches the heater, and its state feeds back into the room's temperature.
 */
describe('closed loop: thermostat program ↔ simulated room', () => {
  const env = new E2eEnvironment();
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${env.gatewayUrl}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${E2E_API_KEY}`,
        'content-type': 'application/json',
        ...init.headers,
      },
    });

  beforeAll(async () => {
    await env.start({
      services: [
        'stream-transformer',
        'aggregator',
        'actuator-controller',
        'ingest-gateway',
        'simulator',
      ],
      env: {
        SEED_DEMO: 'true',
        DEMO_API_KEY: E2E_API_KEY,
        SIM_API_KEY: E2E_API_KEY,
        REDIS_KEY_PREFIX: env.redisPrefix,
        LOG_LEVEL: 'warn',
        SHUTDOWN_GRACE_MS: '10000',
      },
      serviceEnv: {
        // the test writes its own program; no demo programs
        'actuator-controller': { SEED_DEMO_DEVICES: '0', PROGRAM_TICK_MS: '250' },
        // one room, sampled 4×/s, its heat moving 60× faster than real time
        simulator: { SIM_DEVICES: '1', SIM_INTERVAL_MS: '250', SIM_PHYSICS_SPEED: '60' },
      },
    });
  });

  afterAll(() => env.stop());

  async function temperatures(since: number): Promise<Array<{ time: number; value: number }>> {
    const { rows } = await env.pool.query<{ t: number; value: number }>(
      `SELECT (extract(epoch FROM time) * 1000)::float8 AS t, value FROM readings
       WHERE tenant = 'demo' AND device = $1 AND metric = 'temperature' AND time >= to_timestamp($2::float8 / 1000)
       ORDER BY time`,
      [DEVICE, since],
    );
    return rows.map((row) => ({ time: row.t, value: row.value }));
  }

  it('keeps the room between the thresholds; every command is acknowledged and matches what the simulator applied', async () => {
    let start = 0;
    await waitFor(async () => (await temperatures(0)).length >= 4, {
      message: 'first readings stored',
      timeoutMs: 60_000,
    });
    const initial = await temperatures(0);
    const ambient = initial[initial.length - 1].value;
    // a band above the room's ambient: the heater must cycle to hold it
    const low = Math.round((ambient + 0.6) * 10) / 10;
    const high = Math.round((low + 0.6) * 10) / 10;
    const created = await api('/api/v1/programs', {
      method: 'POST',
      body: JSON.stringify({
        id: 'lab-heating',
        version: 1,
        name: 'Lab heating',
        priority: 5,
        enabled: true,
        devices: [DEVICE],
        actuators: [HEATER],
        tree: {
          condition: {
            hysteresis: {
              metric: 'temperature',
              on: { op: '<', value: low },
              off: { op: '>', value: high },
            },
          },
          then: { action: 'set_state', state: 'on' },
          else: { action: 'set_state', state: 'off' },
        },
      }),
    });
    expect(created.status).toBe(201);
    start = Date.now();

    // on, off, on: at least one full cycle after reaching the band
    const commands = async () =>
      (
        (await (
          await api(`/api/v1/commands?actuator=${HEATER}&events=true&limit=1000`)
        ).json()) as { commands: CommandView[] }
      ).commands;
    await waitFor(async () => (await commands()).length >= 4, {
      message: 'the heater switched on, off, on, off',
      timeoutMs: 180_000,
      intervalMs: 1000,
    });
    await waitFor(
      async () => (await commands()).every((command) => command.status === 'acknowledged'),
      {
        message: 'every command acknowledged',
        timeoutMs: 30_000,
      },
    );
    const history = (await commands()).sort((a, b) => a.createdAt - b.createdAt);
    expect(history.map((command) => command.params.state).slice(0, 4)).toEqual([
      'on',
      'off',
      'on',
      'off',
    ]);
    for (const command of history) {
      expect(command.events?.map((event) => event.kind)).toEqual(
        expect.arrayContaining(['created', 'sent', 'acknowledged']),
      );
    }

    // the simulator applied exactly these commands, once each
    const simulator = env.pipeline.service('simulator').url;
    const received = (
      (await (await fetch(`${simulator}/agent/commands`)).json()) as { commands: ReceivedCommand[] }
    ).commands.filter((command) => command.actuator === HEATER);
    expect(received.map((command) => command.id)).toEqual(history.map((command) => command.id));
    expect(received.every((command) => command.outcome === 'applied')).toBe(true);
    expect(received.map((command) => command.params.state)).toEqual(
      history.map((command) => command.params.state),
    );

    // the reading-triggered commands were observed in the pipeline latency histogram
    const controllerMetrics = await (
      await fetch(`${env.pipeline.service('actuator-controller').url}/metrics`)
    ).text();
    const published =
      /^sluice_pipeline_ingest_latency_seconds_count\{[^}]*stage="command_published"[^}]*\} (\d+)$/m.exec(
        controllerMetrics,
      );
    expect(Number(published?.[1] ?? 0)).toBeGreaterThanOrEqual(1);

    // from the first time the room reached the band, it stayed in it (allowing the loop's latency:
    // at 60× the heater adds ~0.24 °C per second of delay, plus 0.05 °C sensor noise)
    const series = await temperatures(start);
    const entered = series.findIndex((point) => point.value >= low);
    expect(entered).toBeGreaterThanOrEqual(0);
    const inBand = series.slice(entered);
    const tolerance = 0.5;
    const outside = inBand.filter(
      (point) => point.value < low - tolerance || point.value > high + tolerance,
    );
    expect({ low, high, outside }).toEqual({ low, high, outside: [] });
    expect(Math.max(...inBand.map((p) => p.value))).toBeGreaterThan(high - 0.2);

    // a duplicate delivery (the first "on" again, same id) is acknowledged but not applied again
    const first = history[0];
    const producer = new KafkaProducer(
      createKafka({ brokers: env.pipeline.kafkaBrokers.split(','), clientId: 'e2e-duplicate' }),
    );
    await producer.connect();
    try {
      const duplicate: ActuatorCommand = {
        id: first.id,
        tenant: 'demo',
        actuator: HEATER,
        action: first.action,
        params: first.params as ActuatorCommand['params'],
        issuer: first.issuer,
        reason: first.reason,
        issuedAt: first.createdAt,
        expiresAt: Date.now() + 60_000,
      };
      await producer.send(Topics.actuatorCommands, [
        { key: `demo/${HEATER}`, value: encodeRecord(duplicate) },
      ]);
    } finally {
      await producer.disconnect();
    }
    const agentView = async () =>
      (
        (await (await fetch(`${simulator}/agent/commands`)).json()) as {
          commands: ReceivedCommand[];
        }
      ).commands.filter((command) => command.actuator === HEATER);
    await waitFor(
      async () => (await agentView()).find((command) => command.id === first.id)?.duplicates === 1,
      {
        message: 'duplicate delivery seen by the agent',
        timeoutMs: 30_000,
      },
    );
    const after = await agentView();
    expect(after.filter((command) => command.id === first.id)).toHaveLength(1);
    expect(new Set(after.map((command) => command.id)).size).toBe(after.length);
  });

  it('starts a restarted simulator with its heater in the state the controller last recorded', async () => {
    // a manual "on" whose hold keeps the program off the heater, so its state stays put
    const sent = await api(`/api/v1/actuators/${HEATER}/commands`, {
      method: 'POST',
      body: JSON.stringify({
        action: 'set_state',
        params: { state: 'on' },
        reason: 'e2e: heater on before a simulator restart',
        holdMs: 600_000,
      }),
    });
    expect(sent.status).toBe(202);
    const { id } = (await sent.json()) as { id: string };
    await waitFor(
      async () =>
        (
          (await (await api(`/api/v1/commands?actuator=${HEATER}&limit=1000`)).json()) as {
            commands: CommandView[];
          }
        ).commands.some((command) => command.id === id && command.status === 'acknowledged'),
      { message: 'the manual command acknowledged', timeoutMs: 30_000 },
    );
    const recorded = (
      (await (await api('/api/v1/actuators')).json()) as {
        actuators: Array<{ id: string; state: { state?: string } }>;
      }
    ).actuators.find((actuator) => actuator.id === HEATER);
    expect(recorded?.state.state).toBe('on');

    await env.pipeline.restart('simulator');
    const simulator = env.pipeline.service('simulator').url;
    const heatersOn = async (): Promise<number | undefined> => {
      const text = await (await fetch(`${simulator}/metrics`)).text();
      const line = text
        .split('\n')
        .find(
          (l) => l.startsWith('sluice_simulator_actuators_on{') && l.includes('actuator="heater"'),
        );
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    // the gauge is set on the simulator's first tick after the restart
    await waitFor(async () => (await heatersOn()) !== undefined, {
      message: 'the restarted simulator reports its heaters',
      timeoutMs: 30_000,
    });
    expect(await heatersOn()).toBe(1);
  });
});
