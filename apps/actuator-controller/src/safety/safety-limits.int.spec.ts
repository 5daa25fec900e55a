import { thermostatTemplate } from '@sluice/programs';
import { waitFor } from '@sluice/testing';
import { ProgramCatalog } from '../programs/program-catalog';
import { ControllerHarness } from '../testing/controller-harness';
import { SafetyService, type CommandCandidate } from './safety.service';

jest.setTimeout(120_000);

const TENANT = 'acme';
const MAX_PER_MINUTE = 2;
const DWELL_MS = 1500;

describe('actuator-controller: rate limit and dwell, for the commands of one batch', () => {
  const harness = new ControllerHarness();
  let safety: SafetyService;

  beforeAll(async () => {
    await harness.start({
      SAFETY_MAX_COMMANDS_PER_MINUTE: String(MAX_PER_MINUTE),
      SAFETY_MIN_DWELL_MS: String(DWELL_MS),
    });
    safety = harness.app!.get(SafetyService);
  });
  afterAll(() => harness.stop());

  const candidate = (actuator: string, programId: string, priority: number, state: string) =>
    ({
      tenant: TENANT,
      actuator,
      programId,
      priority,
      command: 'set_state',
      params: { state },
    }) satisfies CommandCandidate;

  it('counts the commands of one batch against the rate limit in order, per actuator', async () => {
    const now = Date.now();
    const verdicts = await safety.checkProgramCommands(
      [
        candidate('valve', 'solo', 0, 'open'),
        candidate('valve', 'solo', 0, 'closed'),
        candidate('door', 'solo', 0, 'open'),
        candidate('valve', 'solo', 0, 'open'),
      ],
      now,
    );
    expect(verdicts.map((verdict) => (verdict.allowed ? 'allowed' : verdict.rule))).toEqual([
      'allowed',
      'allowed',
      'allowed',
      'rate_limited',
    ]);
  });

  it('lets a later command of the batch see the wish an earlier one registered', async () => {
    for (const [id, priority] of [
      ['high', 10],
      ['low', 1],
    ] as const) {
      await harness.call('CreateProgram', {
        tenant: TENANT,
        definitionJson: JSON.stringify({
          id,
          version: 1,
          name: id,
          owner: 'a',
          tenant: TENANT,
          priority,
          enabled: true,
          devices: ['tank'],
          actuators: ['pump'],
          tree: { action: 'set_state', state: 'on' },
        }),
        actor: 'a',
      });
    }
    const catalog = harness.app!.get(ProgramCatalog);
    await waitFor(() => catalog.get(`${TENANT}/high`) !== undefined, {
      message: 'programs in the catalog',
    });
    const verdicts = await safety.checkProgramCommands(
      [candidate('pump', 'high', 10, 'on'), candidate('pump', 'low', 1, 'off')],
      Date.now(),
    );
    expect(verdicts[0]).toMatchObject({ allowed: true });
    expect(verdicts[1]).toMatchObject({ allowed: false, rule: 'lower_priority' });
  });

  it('publishes a command sooner than the dwell time after the previous one only once it is over', async () => {
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
        }),
        enabled: true,
      }),
      actor: 'a',
    });
    const start = Date.now();
    await harness.sendReadings(TENANT, 'room', [{ metric: 'temperature', time: start, value: 30 }]);
    const sentTimes = async (): Promise<number[]> => {
      const { rows } = await harness.pool.query<{ sent_at: Date | null }>(
        `SELECT sent_at FROM commands WHERE tenant = $1 AND actuator = 'fan' ORDER BY created_at`,
        [TENANT],
      );
      return rows.map((row) => row.sent_at?.getTime() ?? NaN);
    };
    await waitFor(async () => (await sentTimes()).length === 1, { message: 'fan on sent' });
    await harness.sendReadings(TENANT, 'room', [
      { metric: 'temperature', time: start + 10, value: 20 },
    ]);
    await waitFor(
      async () => {
        const times = await sentTimes();
        return times.length === 2 && times.every(Number.isFinite);
      },
      {
        message: 'fan off sent after the dwell',
        timeoutMs: 30_000,
      },
    );
    const [on, off] = await sentTimes();
    expect(off - on).toBeGreaterThanOrEqual(DWELL_MS);
  });
});
