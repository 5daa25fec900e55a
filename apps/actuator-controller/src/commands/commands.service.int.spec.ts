import type { CommandAction } from '@sluice/programs';
import { waitFor } from '@sluice/testing';
import { ControllerHarness } from '../testing/controller-harness';
import { CommandsRepository } from './commands.repository';
import { CommandsService } from './commands.service';

jest.setTimeout(120_000);

const TENANT = 'acme';

function fanOn(actuator: string, n: number): CommandAction {
  return {
    kind: 'command',
    programId: `prog-${actuator}`,
    programVersion: 1,
    tenant: TENANT,
    time: Date.now(),
    reason: 'temperature > 26',
    path: 'tree.then',
    idempotencyKey: `prog-${actuator}:v1:lineage:${actuator}:${n}`,
    priority: 0,
    actuator,
    command: 'set_state',
    params: { state: 'on' },
  };
}

describe('CommandsService: program commands of evaluation batches that finish in one turn', () => {
  const harness = new ControllerHarness();

  beforeAll(() => harness.start());
  afterAll(() => harness.stop());

  it('share one insert statement and one publish, and each batch gets back its own rows', async () => {
    const service = harness.app!.get(CommandsService);
    const repository = harness.app!.get(CommandsRepository);
    const insert = jest.spyOn(repository, 'insert');
    const markSent = jest.spyOn(repository, 'markSent');

    // two partitions' batches, as the consumer evaluates them side by side
    const [first, second] = await Promise.all([
      service.persistProgramCommands([{ action: fanOn('fan-a', 1) }]),
      service.persistProgramCommands([
        { action: fanOn('fan-b', 1) },
        { action: fanOn('fan-c', 1) },
      ]),
    ]);
    expect(first.map((row) => row.actuator)).toEqual(['fan-a']);
    expect(second.map((row) => row.actuator)).toEqual(['fan-b', 'fan-c']);
    expect(insert).toHaveBeenCalledTimes(1);
    expect(insert.mock.calls[0][0].map((command) => command.actuator)).toEqual([
      'fan-a',
      'fan-b',
      'fan-c',
    ]);

    await Promise.all([
      service.publishProgramCommands(first),
      service.publishProgramCommands(second),
    ]);
    const ids = new Set([...first, ...second].map((row) => row.id));
    const marks = markSent.mock.calls.filter(([marked]) => marked.some((id) => ids.has(id)));
    expect(marks).toHaveLength(1);
    expect(new Set(marks[0][0])).toEqual(ids);
    await waitFor(
      () => harness.published.filter((command) => ids.has(command.id)).length === 3 || undefined,
      { message: 'the three commands on actuator.commands.v1' },
    );

    // a replayed idempotency key yields no row, while the same turn's new decision does
    const [replayed, next] = await Promise.all([
      service.persistProgramCommands([{ action: fanOn('fan-a', 1) }]),
      service.persistProgramCommands([{ action: fanOn('fan-a', 2) }]),
    ]);
    expect(replayed).toEqual([]);
    expect(next.map((row) => row.idempotencyKey)).toEqual([fanOn('fan-a', 2).idempotencyKey]);
  });
});
