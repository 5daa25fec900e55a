import { Inject, Injectable } from '@nestjs/common';
import { initialState, type Program, type ProgramState } from '@sluice/programs';
import { REDIS } from '@sluice/redis';
import type { Redis } from 'ioredis';

/**
 * Each program's evaluator state (durations, hysteresis latches, windows, last commands) as JSON in
 * Redis, so a restarted or another replica continues where the last evaluation left off.
 */
@Injectable()
export class ProgramStateStore {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async load(
    programs: ReadonlyArray<{ key: string; program: Program }>,
  ): Promise<Map<string, ProgramState>> {
    const states = new Map<string, ProgramState>();
    if (programs.length === 0) return states;
    const values = await this.redis.mget(programs.map(({ key }) => stateKey(key)));
    programs.forEach(({ key, program }, index) => {
      const value = values[index];
      const stored = value ? (JSON.parse(value) as ProgramState) : undefined;
      // A program deleted and re-created under the same id continues its old state on purpose: its
      // command counter goes on, so its idempotency keys cannot collide with the old program's.
      states.set(key, stored && stored.program.id === program.id ? stored : initialState(program));
    });
    return states;
  }

  async save(states: ReadonlyMap<string, ProgramState>): Promise<void> {
    if (states.size === 0) return;
    // one MSET per batch (not a SET per program): the per-command cost dominated at 10k programs.
    // No TTL: a deleted program's state (a few hundred bytes) keeps a re-created one's keys unique.
    const args: string[] = [];
    for (const [key, state] of states) args.push(stateKey(key), JSON.stringify(state));
    await this.redis.mset(args);
  }
}

function stateKey(programKey: string): string {
  return `ac:state:${programKey}`;
}
