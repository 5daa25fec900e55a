import { dryRun } from './dry-run';
import { evaluate } from './program.evaluator';
import { makeProgram, MINUTE, SECOND, tick } from './program.fixtures';
import { initialState } from './program-state';
import type { Program } from './program.schema';

const ON = { action: 'set_state', state: 'on' } as const;
const OFF = { action: 'set_state', state: 'off' } as const;

function scheduled(schedule: Record<string, unknown>, timezone = 'UTC'): Program {
  return makeProgram({
    timezone,
    tree: { condition: { schedule }, then: ON, else: OFF },
  });
}

/** The condition's value at one instant (schedules need no history). */
function valueAt(program: Program, iso: string): boolean | null {
  return evaluate(program, initialState(program), tick(Date.parse(iso))).trace.conditions[0].value;
}

/** Commands over a range, as "ISO-time state" lines. */
function commands(program: Program, fromIso: string, toIso: string, tickMs = MINUTE): string[] {
  return dryRun(program, [], { from: Date.parse(fromIso), to: Date.parse(toIso), tickMs }).map(
    ({ time, action }) =>
      `${new Date(time).toISOString()} ${action.kind === 'command' ? Object.values(action.params).join(' ') : action.message}`,
  );
}

describe('schedules', () => {
  it('is true in [from, to) on the listed days', () => {
    const office = scheduled({
      days: ['mon', 'tue', 'wed', 'thu', 'fri'],
      from: '08:00',
      to: '18:00',
    });
    expect(valueAt(office, '2024-06-03T07:59:59Z')).toBe(false); // Monday
    expect(valueAt(office, '2024-06-03T08:00:00Z')).toBe(true);
    expect(valueAt(office, '2024-06-03T17:59:59Z')).toBe(true);
    expect(valueAt(office, '2024-06-03T18:00:00Z')).toBe(false);
    expect(valueAt(office, '2024-06-08T12:00:00Z')).toBe(false); // Saturday
  });

  it('runs past midnight into the day after a listed day', () => {
    const fridayNight = scheduled({ days: ['fri'], from: '22:00', to: '06:00' });
    expect(valueAt(fridayNight, '2024-06-07T21:59:59Z')).toBe(false); // Fri
    expect(valueAt(fridayNight, '2024-06-07T22:00:00Z')).toBe(true);
    expect(valueAt(fridayNight, '2024-06-08T00:00:00Z')).toBe(true); // Sat, from Friday's range
    expect(valueAt(fridayNight, '2024-06-08T05:59:59Z')).toBe(true);
    expect(valueAt(fridayNight, '2024-06-08T06:00:00Z')).toBe(false);
    expect(valueAt(fridayNight, '2024-06-08T23:00:00Z')).toBe(false); // Saturday is not listed
    expect(valueAt(fridayNight, '2024-06-07T03:00:00Z')).toBe(false); // Thursday's night
  });

  it('accepts 24:00 as the end of the day', () => {
    const evening = scheduled({ from: '20:00', to: '24:00' });
    expect(valueAt(evening, '2024-06-03T23:59:59Z')).toBe(true);
    expect(valueAt(evening, '2024-06-04T00:00:00Z')).toBe(false);
  });

  it('evaluates in the program time zone, or the schedule own one', () => {
    const berlin = scheduled({ from: '08:00', to: '09:00' }, 'Europe/Berlin');
    expect(valueAt(berlin, '2024-06-03T06:00:00Z')).toBe(true); // 08:00 CEST
    expect(valueAt(berlin, '2024-01-15T06:00:00Z')).toBe(false); // 07:00 CET
    expect(valueAt(berlin, '2024-01-15T07:00:00Z')).toBe(true);
    const tokyo = scheduled(
      { from: '08:00', to: '09:00', timezone: 'Asia/Tokyo' },
      'Europe/Berlin',
    );
    expect(valueAt(tokyo, '2024-06-02T23:30:00Z')).toBe(true);
  });

  describe('across DST changes in Europe/Berlin (wall-clock semantics)', () => {
    it('spring forward: 02:30–03:30 only exists from 03:00 CEST, so it runs 30 minutes', () => {
      const program = scheduled({ from: '02:30', to: '03:30' }, 'Europe/Berlin');
      expect(commands(program, '2024-03-30T23:00:00Z', '2024-03-31T03:00:00Z')).toEqual([
        '2024-03-30T23:00:00.000Z off',
        '2024-03-31T01:00:00.000Z on', // 01:59:59 CET is followed by 03:00:00 CEST
        '2024-03-31T01:30:00.000Z off', // 03:30 CEST
      ]);
    });

    it('fall back: 02:30–03:30 happens in both 02:00 hours, 30 + 60 minutes', () => {
      const program = scheduled({ from: '02:30', to: '03:30' }, 'Europe/Berlin');
      expect(commands(program, '2024-10-26T22:00:00Z', '2024-10-27T03:00:00Z')).toEqual([
        '2024-10-26T22:00:00.000Z off',
        '2024-10-27T00:30:00.000Z on', // 02:30 CEST
        '2024-10-27T01:00:00.000Z off', // 03:00 CEST becomes 02:00 CET
        '2024-10-27T01:30:00.000Z on', // 02:30 CET
        '2024-10-27T02:30:00.000Z off', // 03:30 CET
      ]);
    });

    it('an overnight range is 7 real hours on the spring-forward night and 9 on the fall-back night', () => {
      const night = scheduled({ days: ['sat'], from: '22:00', to: '06:00' }, 'Europe/Berlin');
      expect(commands(night, '2024-03-30T12:00:00Z', '2024-03-31T12:00:00Z')).toEqual([
        '2024-03-30T12:00:00.000Z off',
        '2024-03-30T21:00:00.000Z on', // Sat 22:00 CET
        '2024-03-31T04:00:00.000Z off', // Sun 06:00 CEST
      ]);
      expect(commands(night, '2024-10-26T12:00:00Z', '2024-10-27T12:00:00Z')).toEqual([
        '2024-10-26T12:00:00.000Z off',
        '2024-10-26T20:00:00.000Z on', // Sat 22:00 CEST
        '2024-10-27T05:00:00.000Z off', // Sun 06:00 CET
      ]);
    });
  });

  it('explains itself with the local wall clock', () => {
    const program = scheduled({ days: ['mon'], from: '08:00', to: '09:00' }, 'Europe/Berlin');
    const result = evaluate(
      program,
      initialState(program),
      tick(Date.parse('2024-06-03T06:15:00Z')),
    );
    expect(result.actions[0]?.reason).toBe(
      'within schedule mon 08:00–09:00 (mon 08:15:00 Europe/Berlin)',
    );
  });
});

describe('cron triggers', () => {
  const morningPulse = (cron: Record<string, unknown>) =>
    makeProgram({
      timezone: 'Europe/Berlin',
      actuators: ['valve'],
      tree: { condition: cron, then: { action: 'pulse', duration: '30s' } },
    });

  it('fires once per occurrence on weekdays, at local time on both sides of a DST change', () => {
    const program = morningPulse({ cron: '0 7 * * 1-5' });
    // Fri 29 Mar (CET), the weekend, Mon 1 and Tue 2 Apr (CEST); ticks every 30 s.
    expect(commands(program, '2024-03-29T00:00:00Z', '2024-04-02T12:00:00Z', 30 * SECOND)).toEqual([
      '2024-03-29T06:00:00.000Z on 30000',
      '2024-04-01T05:00:00.000Z on 30000',
      '2024-04-02T05:00:00.000Z on 30000',
    ]);
  });

  it('stays true for its hold after the occurrence: until, not including, occurrence + hold', () => {
    const heater = makeProgram({
      timezone: 'Europe/Berlin',
      tree: { condition: { cron: '0 7 * * *', hold: '2h' }, then: ON, else: OFF },
    });
    expect(valueAt(heater, '2024-06-03T04:59:59.999Z')).toBe(false);
    expect(valueAt(heater, '2024-06-03T05:00:00Z')).toBe(true);
    expect(valueAt(heater, '2024-06-03T06:59:59.999Z')).toBe(true);
    expect(valueAt(heater, '2024-06-03T07:00:00Z')).toBe(false);
    expect(commands(heater, '2024-06-03T04:00:00Z', '2024-06-03T08:00:00Z', 10 * MINUTE)).toEqual([
      '2024-06-03T04:00:00.000Z off',
      '2024-06-03T05:00:00.000Z on',
      '2024-06-03T07:00:00.000Z off',
    ]);
    expect(
      evaluate(heater, initialState(heater), tick(Date.parse('2024-06-03T05:00:00Z'))).actions[0]
        ?.reason,
    ).toBe('cron "0 7 * * *" fired at 07:00:00');
  });

  it('moves an occurrence in the spring-forward gap to the same time after the jump (cron-parser)', () => {
    const program = morningPulse({ cron: '30 2 * * *' });
    expect(commands(program, '2024-03-30T12:00:00Z', '2024-03-31T12:00:00Z', 30 * SECOND)).toEqual([
      '2024-03-31T01:30:00.000Z on 30000', // 03:30 CEST: 02:30 did not exist that night
    ]);
  });

  it('fires an occurrence in the repeated fall-back hour once', () => {
    const program = morningPulse({ cron: '30 2 * * *' });
    expect(commands(program, '2024-10-26T12:00:00Z', '2024-10-27T12:00:00Z', 30 * SECOND)).toEqual([
      '2024-10-27T00:30:00.000Z on 30000', // 02:30 CEST; not again at 02:30 CET
    ]);
  });
});
