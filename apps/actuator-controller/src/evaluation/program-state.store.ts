import { Inject, Injectable } from '@nestjs/common';
import { differsOnlyInLatestReadings, initialState, type ProgramState } from '@sluice/programs';
import { REDIS } from '@sluice/redis';
import type { RunnableProgram } from '../programs/program-catalog';

/** The Redis commands the store uses (narrow, so a unit spec can stand in for Redis). */
export interface StateRedis {
  mget(keys: string[]): Promise<Array<string | null>>;
  mset(args: string[]): Promise<unknown>;
}

/** Where a consumed batch sits in its partition: the memory of a partition is valid for one start. */
export interface ConsumedRange {
  /** `topic/partition`. */
  partition: string;
  /** Offset of the batch's first record. */
  firstOffset: string;
  /** Offset after its last record: where the next batch of this partition starts. */
  nextOffset: string;
}

interface RememberedState {
  /** The catalog's program object the state was evaluated with (a changed program has another). */
  program: RunnableProgram['program'];
  state: ProgramState;
}

/** The saved states of a partition's reading-driven programs, valid for the batch at `nextOffset`. */
interface PartitionMemory {
  nextOffset: string;
  states: Map<string, RememberedState>;
}

/**
 * Each program's evaluator state (durations, hysteresis latches, windows, last commands) as JSON in
 * Redis, so a restarted or another replica continues where the last evaluation left off.
 *
 * Redis is the durable copy, written before the offsets that cover it are committed. Reading it
 * back (and parsing it) for every batch cost more than the evaluation, so the states a partition's
 * batch saved for its reading-driven programs (see `RunnableProgram.readingDriven`: this consumer
 * is their only writer) are also kept in memory and used for the batch that continues exactly
 * where it ended. Any other start — a replay after a failure, or the partition coming back after
 * another member processed it — drops that partition's memory and reads Redis; so does a change
 * of the program (the catalog gives it a new entry: a new version, enabling, re-creation), so the
 * memory never answers for a state that something else may have written.
 */
@Injectable()
export class ProgramStateStore {
  private readonly partitions = new Map<string, PartitionMemory>();

  constructor(@Inject(REDIS) private readonly redis: StateRedis) {}

  async load(
    programs: readonly RunnableProgram[],
    range?: ConsumedRange,
  ): Promise<Map<string, ProgramState>> {
    const states = new Map<string, ProgramState>();
    if (programs.length === 0) return states;
    const remembered = range && this.continued(range);
    const missing: RunnableProgram[] = [];
    for (const entry of programs) {
      const kept = remembered?.get(entry.key);
      if (kept !== undefined && kept.program === entry.program) states.set(entry.key, kept.state);
      else missing.push(entry);
    }
    if (missing.length === 0) return states;
    const values = await this.redis.mget(missing.map(({ key }) => stateKey(key)));
    missing.forEach(({ key, program }, index) => {
      const value = values[index];
      const stored = value ? (JSON.parse(value) as ProgramState) : undefined;
      // A program deleted and re-created under the same id continues its old state on purpose: its
      // command counter goes on, so its idempotency keys cannot collide with the old program's.
      states.set(key, stored && stored.program.id === program.id ? stored : initialState(program));
    });
    return states;
  }

  /**
   * Saves the states that changed, in one MSET, then (for a consumed batch) remembers the states
   * of the batch's reading-driven programs for the partition's next batch. A state that moved only
   * in the latest value of a program that decides on the latest reading alone is not written: the
   * stored one decides the same on the next newer reading (`decidesOnLatestReadingOnly`), and most
   * readings of a thermostat change nothing else. Once the state is read back from Redis (after a
   * restart, a rebalance or a change of the program), a reading older than the unsaved latest one but newer
   * than the stored one is taken as the latest.
   */
  async save(
    programs: readonly RunnableProgram[],
    states: ReadonlyMap<string, ProgramState>,
    changed: ReadonlySet<string>,
    loaded: ReadonlyMap<string, ProgramState>,
    range?: ConsumedRange,
  ): Promise<void> {
    // No TTL: a deleted program's state (a few hundred bytes) keeps a re-created one's keys unique.
    const args: string[] = [];
    for (const entry of programs) {
      const state = states.get(entry.key);
      if (state === undefined || !changed.has(entry.key)) continue;
      const before = loaded.get(entry.key);
      if (
        entry.decidesOnLatestReading &&
        before !== undefined &&
        differsOnlyInLatestReadings(before, state)
      )
        continue;
      args.push(stateKey(entry.key), JSON.stringify(state));
    }
    // one MSET per batch (not a SET per program): the per-command cost dominated at 10k programs
    if (args.length > 0) await this.redis.mset(args);
    if (range !== undefined) this.remember(range, programs, states);
  }

  /** The partition's memory if this batch starts where its last one ended; otherwise it is dropped. */
  private continued(range: ConsumedRange): Map<string, RememberedState> | undefined {
    const memory = this.partitions.get(range.partition);
    if (memory === undefined) return undefined;
    if (memory.nextOffset === range.firstOffset) return memory.states;
    this.partitions.delete(range.partition);
    return undefined;
  }

  /** Moves the partition's memory past a batch whose states are saved (with or without programs). */
  remember(
    range: ConsumedRange,
    programs: readonly RunnableProgram[] = [],
    states: ReadonlyMap<string, ProgramState> = new Map(),
  ): void {
    const memory = this.partitions.get(range.partition);
    const kept =
      memory !== undefined && memory.nextOffset === range.firstOffset ? memory.states : new Map();
    for (const entry of programs) {
      const state = states.get(entry.key);
      if (entry.readingDriven && state !== undefined)
        kept.set(entry.key, { program: entry.program, state });
      else kept.delete(entry.key);
    }
    this.partitions.set(range.partition, { nextOffset: range.nextOffset, states: kept });
  }
}

function stateKey(programKey: string): string {
  return `ac:state:${programKey}`;
}
