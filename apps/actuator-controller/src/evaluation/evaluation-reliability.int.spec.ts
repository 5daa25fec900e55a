import { evaluate, type ProgramState } from '@sluice/programs';
import { waitFor } from '@sluice/testing';
import { ProgramCatalog } from '../programs/program-catalog';
import { ControllerHarness } from '../testing/controller-harness';
import { ProgramStateStore } from './program-state.store';

jest.setTimeout(120_000);

const TENANT = 'acme';

/** `temperature > 28 for 1s` → fan on; no else: the command is issued once the duration completes. */
function delayedFan(id: string, device: string, actuator: string) {
  return {
    id,
    version: 1,
    name: 'Fan after a delay',
    owner: 'alice',
    tenant: TENANT,
    enabled: true,
    devices: [device],
    actuators: [actuator],
    tree: {
      condition: { metric: 'temperature', op: '>', value: 28, for: '1s' },
      then: { action: 'set_state', state: 'on' },
    },
  };
}

describe('actuator-controller: evaluation state, retries and acknowledgements', () => {
  const harness = new ControllerHarness();

  beforeAll(() =>
    harness.start({
      COMMAND_ACK_TIMEOUT_MS: '300',
      COMMAND_MAX_ATTEMPTS: '3',
      PROGRAM_TICK_MS: '100',
    }),
  );
  afterAll(() => harness.stop());

  async function stateOf(
    programKey: string,
  ): Promise<{ time: number; holds: Record<string, number> } | null> {
    const raw = await harness.redis.get(`ac:state:${programKey}`);
    return raw ? (JSON.parse(raw) as { time: number; holds: Record<string, number> }) : null;
  }

  it('issues a `for` command from a timer tick once, even when the state save after it is lost', async () => {
    await harness.call('CreateProgram', {
      tenant: TENANT,
      definitionJson: JSON.stringify(delayedFan('late-fan', 'room-1', 'fan-1')),
      actor: 'alice',
    });
    const readingTime = Date.now();
    await harness.sendReadings(TENANT, 'room-1', [
      { metric: 'temperature', time: readingTime, value: 30 },
    ]);
    // the pending duration is in the stored state before anything is issued
    await waitFor(
      async () => Object.keys((await stateOf(`${TENANT}/late-fan`))?.holds ?? {}).length > 0,
      {
        message: 'hold stored in Redis',
        timeoutMs: 30_000,
      },
    );
    const beforeCommand = await harness.redis.get(`ac:state:${TENANT}/late-fan`);
    expect(
      (await harness.commandRows(TENANT)).filter((row) => row.actuator === 'fan-1'),
    ).toHaveLength(0);

    await waitFor(
      async () => (await harness.commandRows(TENANT)).some((row) => row.actuator === 'fan-1'),
      {
        message: 'command after 1s',
        timeoutMs: 30_000,
      },
    );
    // simulate a crash between persisting the command and saving the state: the old state returns
    await harness.redis.set(`ac:state:${TENANT}/late-fan`, beforeCommand ?? '');
    const restoredAt = Date.now();
    await waitFor(
      async () => ((await stateOf(`${TENANT}/late-fan`))?.time ?? 0) > restoredAt + 1000,
      {
        message: 'ticks continue from the restored state',
        timeoutMs: 30_000,
      },
    );
    const rows = (await harness.commandRows(TENANT)).filter((row) => row.actuator === 'fan-1');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      action: 'set_state',
      params: { state: 'on' },
      idempotency_key: expect.stringMatching(/^late-fan:v1:[\w-]{8}:fan-1:1$/),
    });
    expect(
      new Set(harness.published.filter((c) => c.actuator === 'fan-1').map((c) => c.id)).size,
    ).toBe(1);
  });

  it('keeps the state another replica saved during a tick round: the round runs again on top of it', async () => {
    await harness.call('CreateProgram', {
      tenant: TENANT,
      definitionJson: JSON.stringify(delayedFan('race-fan', 'room-9', 'fan-9')),
      actor: 'alice',
    });
    const app = harness.app;
    if (!app) throw new Error('controller not started');
    const catalog = app.get(ProgramCatalog);
    await waitFor(() => catalog.tickers().some((entry) => entry.key === `${TENANT}/race-fan`), {
      message: 'program in the catalog',
    });
    const entry = catalog.tickers().find((e) => e.key === `${TENANT}/race-fan`);
    if (!entry) throw new Error('unreachable');
    await waitFor(async () => (await stateOf(`${TENANT}/race-fan`)) !== null, {
      message: 'first tick saved a state',
    });

    // The partition owner (another replica) evaluates a hot reading — a `for 1s` hold starts — and
    // saves it while this replica's next tick round has loaded the state from before it.
    const otherReplica = new ProgramStateStore(harness.redis);
    const store = app.get(ProgramStateStore);
    const load = store.load.bind(store);
    let raced = false;
    jest.spyOn(store, 'load').mockImplementation(async (programs, range) => {
      const states = await load(programs, range);
      if (!raced && programs.some((p) => p.key === entry.key)) {
        raced = true;
        const theirs = await otherReplica.load([entry]);
        const loaded = new Map(theirs);
        const next = evaluate(entry.program, theirs.get(entry.key) as ProgramState, {
          type: 'reading',
          tenant: TENANT,
          device: 'room-9',
          metric: 'temperature',
          time: Date.now(),
          value: 30,
        }).state;
        theirs.set(entry.key, next);
        await otherReplica.save([entry], theirs, new Set([entry.key]), loaded);
      }
      return states;
    });
    try {
      // the hold survives the ticks that follow, and completing it issues the command
      await waitFor(
        async () => (await harness.commandRows(TENANT)).some((row) => row.actuator === 'fan-9'),
        { message: 'command once the other replica’s hold completed', timeoutMs: 30_000 },
      );
    } finally {
      jest.restoreAllMocks();
    }
    expect(raced).toBe(true);
    const issued = (await harness.commandRows(TENANT)).filter((row) => row.actuator === 'fan-9');
    expect(issued.map((row) => row.params)).toEqual([{ state: 'on' }]);
  });

  it('issues the decision again after its program state was lost, instead of dropping it as a replay', async () => {
    await harness.call('CreateProgram', {
      tenant: TENANT,
      definitionJson: JSON.stringify({
        ...delayedFan('forgetful-fan', 'room-7', 'fan-7'),
        tree: {
          condition: { metric: 'temperature', op: '>', value: 28 },
          then: { action: 'set_state', state: 'on' },
        },
      }),
      actor: 'alice',
    });
    const fanCommands = async () =>
      (await harness.commandRows(TENANT)).filter((row) => row.actuator === 'fan-7');
    await waitFor(
      async () => {
        await harness.sendReadings(TENANT, 'room-7', [
          { metric: 'temperature', time: Date.now(), value: 30 },
        ]);
        return (await fanCommands()).length === 1;
      },
      { message: 'the first command', timeoutMs: 30_000, intervalMs: 500 },
    );
    // a machine restart with Redis without persistence: the controller comes back and the
    // program's state, command counter included, is gone; the commands table still has the history
    await harness.stopApp();
    await harness.redis.del(
      `ac:state:${TENANT}/forgetful-fan`,
      `ac:state-rev:${TENANT}/forgetful-fan`,
    );
    await harness.startApp();
    await waitFor(
      async () => {
        await harness.sendReadings(TENANT, 'room-7', [
          { metric: 'temperature', time: Date.now(), value: 31 },
        ]);
        return (await fanCommands()).length === 2;
      },
      {
        message: 'the decision issued again under a new idempotency key',
        timeoutMs: 60_000,
        intervalMs: 1000,
      },
    );
    const [before, after] = await fanCommands();
    expect(after.idempotency_key).not.toBe(before.idempotency_key);
    expect(after.params).toEqual({ state: 'on' });
  });

  it('re-sends an unacknowledged command with backoff, then fails it and raises an alert', async () => {
    const command = await harness.call<{ id: string }>('SendCommand', {
      tenant: TENANT,
      actuator: 'ghost-valve',
      action: 'set_state',
      paramsJson: JSON.stringify({ state: 'open' }),
      issuedBy: 'key:ops',
      reason: 'test',
      holdMs: 1000,
      idempotencyKey: '',
    });
    await waitFor(
      async () =>
        (await harness.commandRows(TENANT)).find((row) => row.id === command.id)?.status ===
        'failed',
      {
        message: 'command failed after retries',
        timeoutMs: 30_000,
      },
    );
    const row = (await harness.commandRows(TENANT)).find((r) => r.id === command.id);
    expect(row).toMatchObject({
      attempts: 3,
      status_reason: 'no acknowledgement after 3 attempts',
    });
    await waitFor(
      () => harness.alerts.some((alert) => alert.id === `actuator_unacknowledged:${command.id}`),
      {
        message: 'alert published',
        timeoutMs: 30_000,
      },
    );
    expect(
      harness.alerts.find((alert) => alert.id === `actuator_unacknowledged:${command.id}`),
    ).toMatchObject({
      kind: 'actuator_unacknowledged',
      tenant: TENANT,
      device: 'ghost-valve',
      severity: 'warning',
      state: 'firing',
    });
    // the same command id each time: an agent applies it once
    expect(harness.published.filter((c) => c.id === command.id)).toHaveLength(3);
    const { rows: events } = await harness.pool.query<{ kind: string }>(
      'SELECT kind FROM command_events WHERE command_id = $1 ORDER BY seq',
      [command.id],
    );
    expect(events.map((event) => event.kind)).toEqual([
      'created',
      'sent',
      'sent',
      'sent',
      'failed',
    ]);
  });

  it('ignores a second acknowledgement of the same command', async () => {
    const command = await harness.call<{ id: string }>('SendCommand', {
      tenant: TENANT,
      actuator: 'lamp-1',
      action: 'set_state',
      paramsJson: JSON.stringify({ state: 'on' }),
      issuedBy: 'key:ops',
      reason: '',
      holdMs: 0,
      idempotencyKey: 'lamp-on-1',
    });
    const ack = {
      tenant: TENANT,
      actuator: 'lamp-1',
      kind: 'ack' as const,
      commandId: command.id,
      state: { state: 'on' },
      at: Date.now(),
    };
    await harness.call('Ack', {
      tenant: TENANT,
      actuator: 'lamp-1',
      commandId: command.id,
      kind: 'ack',
      stateJson: '{"state":"on"}',
    });
    await harness.sendEvent(ack);
    await waitFor(
      async () => {
        const { rows } = await harness.pool.query(
          'SELECT kind FROM command_events WHERE command_id = $1',
          [command.id],
        );
        return rows.some((row: { kind: string }) => row.kind === 'acknowledged_after_completion');
      },
      { message: 'duplicate ack audited' },
    );
    const { rows } = await harness.pool.query(
      'SELECT kind FROM command_events WHERE command_id = $1 ORDER BY seq',
      [command.id],
    );
    expect(rows.map((row: { kind: string }) => row.kind)).toEqual([
      'created',
      'sent',
      'acknowledged',
      'acknowledged_after_completion',
    ]);
    // the same Idempotency-Key returns the same command instead of a second one
    const again = await harness.call<{ id: string }>('SendCommand', {
      tenant: TENANT,
      actuator: 'lamp-1',
      action: 'set_state',
      paramsJson: JSON.stringify({ state: 'on' }),
      issuedBy: 'key:ops',
      reason: '',
      holdMs: 0,
      idempotencyKey: 'lamp-on-1',
    });
    expect(again.id).toBe(command.id);
  });
});
