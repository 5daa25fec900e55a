/** Builders shared by this lib's specs (not exported from the package). */
import { parseProgram } from './program.validator';
import type { Program } from './program.schema';
import {
  evaluate,
  type ProgramAction,
  type ProgramEvent,
  type ReadingEvent,
} from './program.evaluator';
import { initialState, type ProgramState } from './program-state';

/** Monday 2024-06-03 08:00:00 UTC. */
export const T0 = Date.UTC(2024, 5, 3, 8, 0, 0);
export const SECOND = 1_000;
export const MINUTE = 60_000;

/** A valid program from JSON overrides (validated, so specs may write plain JSON). */
export function makeProgram(overrides: Record<string, unknown>): Program {
  return parseProgram({
    id: 'p1',
    version: 1,
    name: 'test program',
    owner: 'ops',
    tenant: 'acme',
    devices: ['room-1'],
    actuators: ['fan-1'],
    tree: { action: 'set_state', state: 'on' },
    ...overrides,
  });
}

export function reading(
  metric: string,
  value: number,
  time: number,
  device = 'room-1',
): ReadingEvent {
  return { type: 'reading', tenant: 'acme', device, metric, time, value };
}

export function tick(time: number): ProgramEvent {
  return { type: 'tick', time };
}

/** Feeds events in order; returns every action and the final state. */
export function run(
  program: Program,
  events: readonly ProgramEvent[],
  state: ProgramState = initialState(program),
): { actions: ProgramAction[]; state: ProgramState } {
  const actions: ProgramAction[] = [];
  for (const event of events) {
    const result = evaluate(program, state, event);
    state = result.state;
    actions.push(...result.actions);
  }
  return { actions, state };
}

/** `"set_state on @ +7m"` style summaries make expected command lists readable. */
export function summary(actions: readonly ProgramAction[], origin = T0): string[] {
  return actions.map((a) => {
    const at = `+${(a.time - origin) / 1000}s`;
    if (a.kind === 'alert') return `alert ${a.severity} @ ${at}`;
    const params = Object.values(a.params).join(' ');
    return `${a.actuator} ${a.command} ${params} @ ${at}`;
  });
}

/** Seeded PRNG (mulberry32) for repeatable property-style tests. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
