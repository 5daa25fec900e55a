import { thermostatTemplate } from '@sluice/programs';
import { waitFor } from '@sluice/testing';
import { ControllerHarness } from '../testing/controller-harness';

jest.setTimeout(120_000);

const TENANT = 'acme';

interface ConflictMessage {
  actuator: string;
  winnerKind: string;
  winnerId: string;
  loserProgram: string;
  rule: string;
}

describe('actuator-controller: safety rules', () => {
  const harness = new ControllerHarness();
  let clock = Date.now();
  const reading = (value: number) => [{ metric: 'temperature', time: (clock += 10), value }];

  beforeAll(() => harness.start());
  afterAll(() => harness.stop());

  async function rowsOf(actuator: string) {
    return (await harness.commandRows(TENANT)).filter((row) => row.actuator === actuator);
  }

  it('lets the higher-priority program win an actuator and records the conflict', async () => {
    // "cool": fan on above 26 (priority 10) — the standing wish once it has acted
    await harness.call('CreateProgram', {
      tenant: TENANT,
      definitionJson: JSON.stringify({
        ...thermostatTemplate({
          id: 'cool',
          tenant: TENANT,
          owner: 'a',
          device: 'room',
          actuator: 'fan',
          mode: 'cool',
          low: 22,
          high: 26,
          priority: 10,
        }),
        enabled: true,
      }),
      actor: 'a',
    });
    await harness.sendReadings(TENANT, 'room', reading(30));
    await waitFor(async () => (await rowsOf('fan')).length === 1, {
      message: 'cool: fan on',
      timeoutMs: 30_000,
    });

    // "quiet": always wants the fan off (priority 1)
    await harness.call('CreateProgram', {
      tenant: TENANT,
      definitionJson: JSON.stringify({
        id: 'quiet',
        version: 1,
        name: 'Quiet',
        owner: 'b',
        tenant: TENANT,
        priority: 1,
        enabled: true,
        devices: ['room'],
        actuators: ['fan'],
        tree: { action: 'set_state', state: 'off' },
      }),
      actor: 'b',
    });
    await harness.sendReadings(TENANT, 'room', reading(30.5));
    await waitFor(async () => (await rowsOf('fan')).length === 2, {
      message: 'quiet: refused',
      timeoutMs: 30_000,
    });

    const rows = await rowsOf('fan');
    expect(rows.map((row) => [row.issuer_id, row.params.state, row.status])).toEqual([
      ['cool', 'on', 'sent'],
      ['quiet', 'off', 'rejected'],
    ]);
    expect(rows[1].status_reason).toMatch(/^lower_priority: program cool \(priority 10\)/);
    expect(
      harness.published.filter((c) => c.actuator === 'fan').map((c) => c.params.state),
    ).toEqual(['on']);
    const conflicts = await harness.call<{ conflicts: ConflictMessage[] }>('ListConflicts', {
      tenant: TENANT,
      actuator: 'fan',
      limit: 10,
    });
    expect(conflicts.conflicts).toEqual([
      expect.objectContaining({
        actuator: 'fan',
        winnerKind: 'program',
        winnerId: 'cool',
        loserProgram: 'quiet',
        rule: 'priority',
      }),
    ]);
  });

  it('holds an actuator for a manual command against programs until the hold time ends', async () => {
    await harness.call('CreateProgram', {
      tenant: TENANT,
      definitionJson: JSON.stringify({
        ...thermostatTemplate({
          id: 'heat',
          tenant: TENANT,
          owner: 'a',
          device: 'lab',
          actuator: 'heater',
          mode: 'heat',
          low: 19,
          high: 21,
        }),
        enabled: true,
      }),
      actor: 'a',
    });
    const holdMs = 3000;
    const manual = await harness.call<{ id: string }>('SendCommand', {
      tenant: TENANT,
      actuator: 'heater',
      action: 'set_state',
      paramsJson: JSON.stringify({ state: 'on' }),
      issuedBy: 'key:operator',
      reason: 'warming the lab by hand',
      holdMs,
      idempotencyKey: '',
    });
    const heldFrom = Date.now();
    // hot: the program wants the heater off, but the manual command holds it
    await harness.sendReadings(TENANT, 'lab', reading(25));
    await waitFor(async () => (await rowsOf('heater')).length === 2, {
      message: 'program command refused',
      timeoutMs: 30_000,
    });
    const refused = (await rowsOf('heater'))[1];
    expect(Date.now() - heldFrom).toBeLessThan(holdMs);
    expect(refused).toMatchObject({
      issuer_id: 'heat',
      status: 'rejected',
      params: { state: 'off' },
    });
    expect(refused.status_reason).toMatch(
      /^manual_override: manual command by key:operator holds heater until/,
    );
    const conflicts = await harness.call<{ conflicts: ConflictMessage[] }>('ListConflicts', {
      tenant: TENANT,
      actuator: 'heater',
      limit: 10,
    });
    expect(conflicts.conflicts[0]).toMatchObject({
      winnerKind: 'user',
      winnerId: 'key:operator',
      loserProgram: 'heat',
      rule: 'manual_override',
    });

    // after the hold, the program's next decision reaches the actuator again
    await waitFor(() => Date.now() - heldFrom > holdMs, {
      message: 'hold over',
      timeoutMs: 10_000,
      intervalMs: 100,
    });
    await harness.sendReadings(TENANT, 'lab', reading(18));
    await waitFor(async () => (await rowsOf('heater'))[2]?.status === 'sent', {
      message: 'program command sent after the hold',
      timeoutMs: 30_000,
    });
    expect((await rowsOf('heater'))[2]).toMatchObject({
      issuer_id: 'heat',
      params: { state: 'on' },
      status: 'sent',
    });
    expect(
      harness.published
        .filter((c) => c.actuator === 'heater')
        .map((c) => [c.issuer.kind, c.id === manual.id]),
    ).toEqual([
      ['user', true],
      ['program', false],
    ]);
  });

  it('runs no program of a tenant while its kill switch is on', async () => {
    await harness.call('SetKillSwitch', {
      tenant: TENANT,
      active: true,
      reason: 'maintenance',
      changedBy: 'key:admin',
    });
    const before = (await harness.commandRows(TENANT)).length;
    await harness.sendReadings(TENANT, 'room', reading(10)); // cool would switch the fan off
    // a program of another tenant proves the batch was evaluated
    await harness.call('CreateProgram', {
      tenant: 'other',
      definitionJson: JSON.stringify({
        ...thermostatTemplate({
          id: 'marker',
          tenant: 'other',
          owner: 'c',
          device: 'room',
          actuator: 'fan',
          mode: 'cool',
          low: 22,
          high: 26,
        }),
        enabled: true,
      }),
      actor: 'c',
    });
    await harness.sendReadings('other', 'room', reading(30));
    await waitFor(async () => (await harness.commandRows('other')).length === 1, {
      message: 'other tenant evaluated',
      timeoutMs: 30_000,
    });
    await harness.sendReadings(TENANT, 'room', reading(10));
    await harness.sendReadings('other', 'room', reading(10));
    await waitFor(async () => (await harness.commandRows('other')).length === 2, {
      message: 'other tenant evaluated again',
      timeoutMs: 30_000,
    });
    expect((await harness.commandRows(TENANT)).length).toBe(before);

    await harness.call('SetKillSwitch', {
      tenant: TENANT,
      active: false,
      reason: '',
      changedBy: 'key:admin',
    });
    await harness.sendReadings(TENANT, 'room', reading(10));
    await waitFor(async () => (await harness.commandRows(TENANT)).length === before + 1, {
      message: 'programs back',
      timeoutMs: 30_000,
    });
  });
});
