import { parseProgram } from '@sluice/programs';
import {
  actuatorControllerEnvSchema,
  type ActuatorControllerConfig,
} from '../actuator-controller.config';
import { coolingThermostat } from '../testing/program-fixtures';
import { ProgramCatalog } from './program-catalog';
import type { ProgramRow, ProgramsRepository, ProgramsSignature } from './programs.repository';

/** The catalog's three queries over rows the spec edits. */
class FakeProgramsRepository implements Pick<
  ProgramsRepository,
  'listRunnable' | 'killedTenants' | 'runnableSignature'
> {
  rows: ProgramRow[] = [];

  async listRunnable(): Promise<ProgramRow[]> {
    // every load parses the definitions again, as the real repository does
    return this.rows.map((row) => ({ ...row, definition: parseProgram({ ...row.definition }) }));
  }

  async killedTenants(): Promise<string[]> {
    return [];
  }

  async runnableSignature(): Promise<ProgramsSignature> {
    return { count: this.rows.length, versionSum: 0, lastUpdate: 0 };
  }
}

function row(id: string, updatedAt: number): ProgramRow {
  const definition = coolingThermostat(id, { enabled: true });
  return {
    tenant: 'acme',
    id,
    version: 1,
    name: null,
    owner: 'alice',
    priority: 0,
    enabled: true,
    definition,
    createdAt: new Date(1_700_000_000_000),
    updatedAt: new Date(updatedAt),
  };
}

describe('program catalog', () => {
  it('keeps the entry of an unchanged program across reloads, and replaces a changed one', async () => {
    const repository = new FakeProgramsRepository();
    const config: ActuatorControllerConfig = actuatorControllerEnvSchema.parse({
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
    });
    const catalog = new ProgramCatalog(repository as unknown as ProgramsRepository, config);
    repository.rows = [row('a', 1_700_000_000_000), row('b', 1_700_000_000_000)];
    await catalog.refresh();
    const [a, b] = [catalog.get('acme/a'), catalog.get('acme/b')];
    expect(a?.readingDriven).toBe(true);
    expect(a?.decidesOnLatestReading).toBe(true);

    repository.rows = [row('a', 1_700_000_000_000), row('b', 1_700_000_005_000)];
    await catalog.refresh();
    // the evaluation's state memory is valid only for the very program object it evaluated
    expect(catalog.get('acme/a')).toBe(a);
    expect(catalog.forDevice('acme', 'a-room')).toEqual([a]);
    expect(catalog.get('acme/b')).not.toBe(b);
    expect(catalog.get('acme/b')?.program).toEqual(b?.program);
  });
});
