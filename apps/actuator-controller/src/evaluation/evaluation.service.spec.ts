import type { CommandsService, ProgramCommandInput } from '../commands/commands.service';
import type { CommandRow } from '../commands/commands.repository';
import type { ProgramCatalog, RunnableProgram } from '../programs/program-catalog';
import { coolingThermostat } from '../testing/program-fixtures';
import { EvaluationService } from './evaluation.service';
import { ProgramStateStore, type StateRedis } from './program-state.store';

const PARTITION = 'telemetry.clean.v1/0';

class FakeRedis implements StateRedis {
  readonly values = new Map<string, string>();

  async mget(keys: string[]): Promise<Array<string | null>> {
    return keys.map((key) => this.values.get(key) ?? null);
  }

  async mset(args: string[]): Promise<'OK'> {
    for (let i = 0; i < args.length; i += 2) this.values.set(args[i], args[i + 1]);
    return 'OK';
  }
}

/** Persists instantly; each publish waits until the test releases it. Logs both in order. */
class FakeCommands {
  readonly log: string[] = [];
  private readonly pending: Array<() => void> = [];

  async persistProgramCommands(inputs: readonly ProgramCommandInput[]): Promise<CommandRow[]> {
    return inputs.map(({ action }) => {
      this.log.push(`persisted ${String(action.params.state)}`);
      return { id: action.idempotencyKey, params: action.params } as unknown as CommandRow;
    });
  }

  publishProgramCommands(rows: readonly CommandRow[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    return new Promise((resolve) =>
      this.pending.push(() => {
        for (const row of rows) this.log.push(`published ${String(row.params.state)}`);
        resolve();
      }),
    );
  }

  raiseProgramAlerts(): Promise<void> {
    return Promise.resolve();
  }

  releasePublishes(): void {
    for (const release of this.pending.splice(0)) release();
  }
}

describe('EvaluationService: consumed batches and the publish of their commands', () => {
  const program = coolingThermostat('office');
  const entry: RunnableProgram = {
    key: `acme/${program.id}`,
    program,
    readingDriven: true,
    decidesOnLatestReading: true,
  };
  const catalog = {
    forDevice: (tenant: string, device: string) =>
      tenant === 'acme' && device === program.devices[0] ? [entry] : [],
  } as unknown as ProgramCatalog;
  let commands: FakeCommands;
  let evaluation: EvaluationService;

  beforeEach(() => {
    commands = new FakeCommands();
    evaluation = new EvaluationService(
      catalog,
      new ProgramStateStore(new FakeRedis()),
      commands as unknown as CommandsService,
    );
  });

  function temperature(value: number, offset: number) {
    return evaluation.evaluateReadings(
      [
        {
          tenant: 'acme',
          device: program.devices[0],
          readings: [{ metric: 'temperature', time: 1_700_000_000_000 + offset, value }],
        },
      ],
      { partition: PARTITION, firstOffset: String(offset), nextOffset: String(offset + 1) },
    );
  }

  it('is done once the commands are persisted and the states saved, before they are published', async () => {
    await temperature(30, 0);

    expect(commands.log).toEqual(['persisted on']);
    commands.releasePublishes();
    await evaluation.beforeApplicationShutdown();
    expect(commands.log).toEqual(['persisted on', 'published on']);
  });

  it("persists a partition's next commands only once its previous ones are published", async () => {
    await temperature(30, 0);
    const next = temperature(20, 1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(commands.log).toEqual(['persisted on']);

    commands.releasePublishes();
    await next;
    commands.releasePublishes();
    await evaluation.beforeApplicationShutdown();
    expect(commands.log).toEqual([
      'persisted on',
      'published on',
      'persisted off',
      'published off',
    ]);
  });
});
