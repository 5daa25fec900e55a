import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { differsOnlyInLatestReadings, initialState, type ProgramState } from '@sluice/programs';
import { REDIS } from '@sluice/redis';
import type { RunnableProgram } from '../programs/program-catalog';

/** The Redis commands the store uses. */
export interface StateRedis {
  mget(keys: string[]): Promise<Array<string | null>>;
  eval(script: string, numKeys: number, ...args: string[]): Promise<unknown>;
}

/**
 * Writes the states of a round if none was written since it was loaded. KEYS: each program's state
 * key and revision key, in pairs; ARGV: each program's revision when loaded and new state, in pairs.
 * Returns 0, or the 1-based position of the first program whose revision moved (nothing written).
 */
const SAVE_IF_UNCHANGED = `
local n = #KEYS / 2
for i = 1, n do
  if tonumber(redis.call('get', KEYS[2 * i]) or '0') ~= tonumber(ARGV[2 * i - 1]) then return i end
end
for i = 1, n do
  redis.call('set', KEYS[2 * i - 1], ARGV[2 * i])
  redis.call('incr', KEYS[2 * i])
end
return 0`;

/**
 * Another writer saved a program's state after this round loaded it: the round's states are not
 * saved; it is evaluated again from the stored ones.
 */
export class ProgramStateConflictError extends Error {
  override readonly name = 'ProgramStateConflictError';

  constructor(readonly programKey: string) {
    super(`the state of program ${programKey} was saved by another evaluation since it was loaded`);
  }
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

interface StateWrite {
  key: string;
  state: ProgramState;
  /** The stored revision the state was loaded at. */
  revision: number;
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
 * Two replicas can evaluate one program at once: the one that owns its device's partition on
 * readings, the one holding the tick lease on timer ticks (and, for a program over devices in
 * several partitions, each owner). Each state therefore has a revision beside it
 * (`ac:state-rev:<program>`), and a round saves only if no revision it loaded has moved since;
 * otherwise it fails with `ProgramStateConflictError` and is evaluated again from the stored
 * states, so neither writer's change (a `for` hold, a latch, a command's sequence number) is lost.
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
  /** The stored revision each state object was loaded at or saved as. */
  private readonly revisions = new WeakMap<ProgramState, number>();

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
    const values = await this.redis.mget(
      missing.flatMap(({ key }) => [stateKey(key), revisionKey(key)]),
    );
    const created: StateWrite[] = [];
    missing.forEach((entry, index) => {
      const value = values[2 * index];
      const stored = value ? (JSON.parse(value) as ProgramState) : undefined;
      // A program deleted and re-created under the same id continues its old state on purpose: its
      // command counter goes on, so its idempotency keys cannot collide with the old program's.
      const state =
        stored && stored.program.id === entry.program.id
          ? stored
          : initialState(entry.program, randomBytes(6).toString('base64url'));
      const revision = Number(values[2 * index + 1] ?? 0);
      this.revisions.set(state, revision);
      states.set(entry.key, state);
      if (state !== stored) created.push({ key: entry.key, state, revision });
    });
    // A new state is stored before anything is evaluated from it: a replay after a crash must
    // find the same lineage, or the commands it re-creates would get other idempotency keys.
    await this.write(created);
    return states;
  }

  /**
   * Saves the states that changed, in one script that first checks their revisions (see
   * `ProgramStateConflictError`), then (for a consumed batch) remembers the states of the batch's
   * reading-driven programs for the partition's next batch. `loaded`: the states `load` returned.
   * A state that moved only in the latest value of a program that decides on the latest reading
   * alone is not written: the stored one decides the same on the next newer reading
   * (`decidesOnLatestReadingOnly`), and most readings of a thermostat change nothing else. Once
   * the state is read back from Redis (after a restart, a rebalance or a change of the program), a
   * reading older than the unsaved latest one but newer than the stored one is taken as the latest.
   */
  async save(
    programs: readonly RunnableProgram[],
    states: ReadonlyMap<string, ProgramState>,
    changed: ReadonlySet<string>,
    loaded: ReadonlyMap<string, ProgramState>,
    range?: ConsumedRange,
  ): Promise<void> {
    const written: StateWrite[] = [];
    for (const entry of programs) {
      const state = states.get(entry.key);
      if (state === undefined) continue;
      const before = loaded.get(entry.key);
      const revision = before && this.revisions.get(before);
      if (before === undefined || revision === undefined)
        throw new Error(`the state of program ${entry.key} to save was not loaded by this store`);
      if (
        !changed.has(entry.key) ||
        (entry.decidesOnLatestReading && differsOnlyInLatestReadings(before, state))
      ) {
        // not written: it stands for the stored revision, as the state it was evaluated from did
        this.revisions.set(state, revision);
        continue;
      }
      written.push({ key: entry.key, state, revision });
    }
    try {
      await this.write(written);
    } catch (error) {
      // the partition's memory holds what this round loaded: the retry must read Redis
      if (error instanceof ProgramStateConflictError && range !== undefined)
        this.partitions.delete(range.partition);
      throw error;
    }
    if (range !== undefined) this.remember(range, programs, states);
  }

  /**
   * Writes states over the revisions they were loaded at, in one script per round (not a command
   * per program: the per-command cost dominated at 10k programs). No TTL: a deleted program's
   * state (a few hundred bytes) keeps a re-created one's command counter going.
   */
  private async write(writes: readonly StateWrite[]): Promise<void> {
    if (writes.length === 0) return;
    const keys: string[] = [];
    const args: string[] = [];
    for (const { key, state, revision } of writes) {
      keys.push(stateKey(key), revisionKey(key));
      args.push(String(revision), JSON.stringify(state));
    }
    const conflict = Number(
      await this.redis.eval(SAVE_IF_UNCHANGED, keys.length, ...keys, ...args),
    );
    if (conflict > 0) throw new ProgramStateConflictError(writes[conflict - 1].key);
    for (const { state, revision } of writes) this.revisions.set(state, revision + 1);
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

function revisionKey(programKey: string): string {
  return `ac:state-rev:${programKey}`;
}
