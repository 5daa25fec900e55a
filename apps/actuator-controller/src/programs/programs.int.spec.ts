import { status as GrpcStatus } from '@grpc/grpc-js';
import type { GrpcCallError } from '@sluice/grpc';
import { thermostatTemplate } from '@sluice/programs';
import { waitFor } from '@sluice/testing';
import { ControllerHarness } from '../testing/controller-harness';

jest.setTimeout(120_000);

const TENANT = 'acme';

interface ProgramMessage {
  id: string;
  version: number;
  enabled: boolean;
  definitionJson: string;
}

describe('actuator-controller: programs over gRPC, evaluated on the clean stream', () => {
  const harness = new ControllerHarness();

  beforeAll(async () => {
    await harness.start();
    // the tenant's metric names, for the validator's unknown-metric check
    await harness.pool.query(
      `INSERT INTO readings (tenant, device, metric, time, value) VALUES ($1, 'room-1', 'temperature', now(), 21)`,
      [TENANT],
    );
  });

  afterAll(() => harness.stop());

  const fan = (id = 'room-fan') =>
    thermostatTemplate({
      id,
      tenant: TENANT,
      owner: 'alice',
      device: 'room-1',
      actuator: 'fan-1',
      mode: 'cool',
      low: 22,
      high: 26,
    });

  it('refuses an invalid program with the node path and a suggestion', async () => {
    const definition = fan('typo');
    (
      definition.tree as { condition: { hysteresis: { metric: string } } }
    ).condition.hysteresis.metric = 'temprature';
    const failure = (await harness
      .call('CreateProgram', {
        tenant: TENANT,
        definitionJson: JSON.stringify(definition),
        actor: 'alice',
      })
      .catch((error: unknown) => error)) as GrpcCallError;
    expect(failure.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    const details = JSON.parse(failure.details) as {
      issues: Array<{ path: string; message: string }>;
    };
    expect(details.issues[0].path).toBe('tree.condition.hysteresis.metric');
    expect(details.issues[0].message).toContain('did you mean "temperature"');
  });

  it('creates, versions, lists and validates programs', async () => {
    const created = await harness.call<ProgramMessage>('CreateProgram', {
      tenant: TENANT,
      definitionJson: JSON.stringify(fan()),
      actor: 'alice',
    });
    expect(created).toMatchObject({ id: 'room-fan', version: 1, enabled: false });

    const duplicate = (await harness
      .call('CreateProgram', {
        tenant: TENANT,
        definitionJson: JSON.stringify(fan()),
        actor: 'alice',
      })
      .catch((error: unknown) => error)) as GrpcCallError;
    expect(duplicate.code).toBe(GrpcStatus.ALREADY_EXISTS);

    const updated = await harness.call<ProgramMessage>('UpdateProgram', {
      tenant: TENANT,
      id: 'room-fan',
      definitionJson: JSON.stringify({ ...fan(), version: undefined, name: 'Fan of room 1' }),
      actor: 'bob',
    });
    expect(updated.version).toBe(2);
    const enabled = await harness.call<ProgramMessage>('SetProgramEnabled', {
      tenant: TENANT,
      id: 'room-fan',
      enabled: true,
    });
    expect(enabled).toMatchObject({ enabled: true, version: 2 });
    const list = await harness.call<{ programs: ProgramMessage[] }>('ListPrograms', {
      tenant: TENANT,
      enabled: '',
    });
    expect(list.programs.map((program) => program.id)).toEqual(['room-fan']);
    const { rows } = await harness.pool.query(
      'SELECT version FROM program_versions WHERE id = $1 ORDER BY version',
      ['room-fan'],
    );
    expect(rows.map((row: { version: number }) => row.version)).toEqual([1, 2]);
    const other = await harness.call<{ programs: ProgramMessage[] }>('ListPrograms', {
      tenant: 'other',
      enabled: '',
    });
    expect(other.programs).toEqual([]);
  });

  it('issues a persisted command when the reading crosses the band, and records the acknowledgement', async () => {
    await harness.sendReadings(TENANT, 'room-1', [
      { metric: 'temperature', time: Date.now(), value: 27 },
    ]);
    await waitFor(() => harness.published.some((command) => command.actuator === 'fan-1'), {
      message: 'fan-1 on published',
      timeoutMs: 30_000,
    });
    const [command] = harness.published.filter((c) => c.actuator === 'fan-1');
    expect(command).toMatchObject({
      tenant: TENANT,
      action: 'set_state',
      params: { state: 'on' },
      issuer: { kind: 'program', id: 'room-fan' },
    });
    expect(command.reason).toContain('temperature 27');
    await waitFor(async () => (await harness.commandRows(TENANT))[0]?.status === 'sent', {
      message: 'command marked sent',
    });

    await harness.sendEvent({
      tenant: TENANT,
      actuator: 'fan-1',
      kind: 'ack',
      commandId: command.id,
      state: { state: 'on' },
      at: Date.now(),
    });
    await waitFor(async () => (await harness.commandRows(TENANT))[0]?.status === 'acknowledged', {
      message: 'command acknowledged',
    });
    const history = await harness.call<{
      commands: Array<{ id: string; status: string; eventsJson: string }>;
    }>('ListCommands', { tenant: TENANT, actuator: 'fan-1', limit: 10, includeEvents: true });
    expect(history.commands).toHaveLength(1);
    expect(
      JSON.parse(history.commands[0].eventsJson).map((event: { kind: string }) => event.kind),
    ).toEqual(['created', 'sent', 'acknowledged']);
    const actuators = await harness.call<{ actuators: Array<{ id: string; stateJson: string }> }>(
      'ListActuators',
      {
        tenant: TENANT,
      },
    );
    expect(actuators.actuators).toEqual([
      expect.objectContaining({ id: 'fan-1', stateJson: '{"state":"on"}' }),
    ]);
  });

  it('issues nothing for readings inside the band, and the opposite command below it', async () => {
    await harness.sendReadings(TENANT, 'room-1', [
      { metric: 'temperature', time: Date.now(), value: 24 },
      { metric: 'temperature', time: Date.now() + 1, value: 21.5 },
    ]);
    await waitFor(() => harness.published.filter((c) => c.actuator === 'fan-1').length === 2, {
      message: 'fan-1 off published',
      timeoutMs: 30_000,
    });
    expect(
      harness.published.filter((c) => c.actuator === 'fan-1').map((c) => c.params.state),
    ).toEqual(['on', 'off']);
  });

  it('stops evaluating a disabled program', async () => {
    await harness.call('SetProgramEnabled', { tenant: TENANT, id: 'room-fan', enabled: false });
    await harness.sendReadings(TENANT, 'room-1', [
      { metric: 'temperature', time: Date.now() + 10, value: 30 },
    ]);
    // a second, enabled program on another device proves the batch after it was evaluated
    await harness.call('CreateProgram', {
      tenant: TENANT,
      definitionJson: JSON.stringify({
        ...fan('marker'),
        devices: ['room-2'],
        actuators: ['fan-2'],
        enabled: true,
      }),
      actor: 'alice',
    });
    await harness.sendReadings(TENANT, 'room-2', [
      { metric: 'temperature', time: Date.now() + 20, value: 30 },
    ]);
    await waitFor(() => harness.published.some((c) => c.actuator === 'fan-2'), {
      message: 'fan-2 published',
      timeoutMs: 30_000,
    });
    expect(harness.published.filter((c) => c.actuator === 'fan-1')).toHaveLength(2);
  });
});
