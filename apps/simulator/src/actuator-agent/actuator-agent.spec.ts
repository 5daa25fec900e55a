import type { ActuatorCommand } from '@sluice/contracts';
import { ActuatorState } from '../fleet/actuator-state';
import { ActuatorAgent } from './actuator-agent';

const NOW = 1_700_000_000_000;

function command(overrides: Partial<ActuatorCommand> = {}): ActuatorCommand {
  return {
    id: 'c1',
    tenant: 'demo',
    actuator: 'sim-001-fan',
    action: 'set_state',
    params: { state: 'on' },
    issuer: { kind: 'program', id: 'p' },
    reason: 'test',
    issuedAt: NOW,
    expiresAt: NOW + 60_000,
    ...overrides,
  };
}

describe('simulator actuator agent', () => {
  let room: ActuatorState;
  let agent: ActuatorAgent;

  beforeEach(() => {
    room = new ActuatorState();
    agent = new ActuatorAgent((device) => (device === 'sim-001' ? room : undefined));
  });

  afterEach(() => agent.stop());

  it('switches the actuator and acknowledges with its state', () => {
    const result = agent.handle(command(), NOW);
    expect(room.snapshot().fan).toBe(true);
    expect(result.event).toMatchObject({ kind: 'ack', commandId: 'c1', state: { state: 'on' } });
  });

  it('applies a duplicate delivery of a command id once, but acknowledges it again', () => {
    agent.handle(command(), NOW);
    agent.handle(command({ id: 'c2', params: { state: 'off' } }), NOW + 1);
    // a late redelivery of c1 must not switch the fan back on
    const again = agent.handle(command(), NOW + 2);
    expect(room.snapshot().fan).toBe(false);
    expect(again).toMatchObject({ duplicate: true, event: { kind: 'ack', commandId: 'c1' } });
    expect(agent.received().find((entry) => entry.id === 'c1')?.duplicates).toBe(1);
  });

  it('refuses expired commands and unknown actuator kinds, and ignores other fleets', () => {
    expect(agent.handle(command({ id: 'old', expiresAt: NOW - 1 }), NOW).event?.kind).toBe('nack');
    expect(room.snapshot().fan).toBe(false);
    expect(agent.handle(command({ id: 'pump', actuator: 'sim-001-pump' }), NOW).event?.kind).toBe(
      'nack',
    );
    expect(agent.handle(command({ id: 'x', actuator: 'other-9-fan' }), NOW).event).toBeNull();
  });

  it('runs a pulse for its duration and then restores the previous state', () => {
    jest.useFakeTimers();
    try {
      agent.handle(
        command({
          action: 'pulse',
          actuator: 'sim-001-heater',
          params: { state: 'on', durationMs: 1000 },
        }),
        NOW,
      );
      expect(room.snapshot().heater).toBe(true);
      jest.advanceTimersByTime(1000);
      expect(room.snapshot().heater).toBe(false);
    } finally {
      jest.useRealTimers();
    }
  });
});
