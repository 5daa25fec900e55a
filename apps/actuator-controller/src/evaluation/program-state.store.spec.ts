import { evaluate, type Program, type ProgramState } from '@sluice/programs';
import type { RunnableProgram } from '../programs/program-catalog';
import { coolingThermostat } from '../testing/program-fixtures';
import { ProgramStateStore, type ConsumedRange } from './program-state.store';

/** Redis' MGET/MSET over a Map, counting the keys each command reads. */
class FakeRedis {
  readonly values = new Map<string, string>();
  readonly reads: string[][] = [];
  failWrites = false;

  async mget(keys: string[]): Promise<Array<string | null>> {
    this.reads.push(keys);
    return keys.map((key) => this.values.get(key) ?? null);
  }

  async mset(args: string[]): Promise<'OK'> {
    if (this.failWrites) throw new Error('Redis is down');
    for (let i = 0; i < args.length; i += 2) this.values.set(args[i], args[i + 1]);
    return 'OK';
  }
}

function thermostat(id: string, version = 1): Program {
  return coolingThermostat(id, { version });
}

function runnable(program: Program, readingDriven = true): RunnableProgram {
  return {
    key: `acme/${program.id}`,
    program,
    readingDriven,
    decidesOnLatestReading: readingDriven,
  };
}

function range(firstOffset: number, nextOffset: number): ConsumedRange {
  return {
    partition: 'telemetry.clean.v1/0',
    firstOffset: String(firstOffset),
    nextOffset: String(nextOffset),
  };
}

function afterReading(
  entry: RunnableProgram,
  state: ProgramState,
  value: number,
  at = 0,
): ProgramState {
  return evaluate(
    entry.program,
    state,
    {
      type: 'reading',
      tenant: 'acme',
      device: entry.program.devices[0],
      metric: 'temperature',
      time: 1_700_000_000_000 + at,
      value,
    },
    { trace: false },
  ).state;
}

/** One consumed batch as the evaluation service runs it: load, one reading each, save. */
async function runBatch(
  store: ProgramStateStore,
  programs: RunnableProgram[],
  batch: ConsumedRange,
  value: number,
): Promise<Map<string, ProgramState>> {
  const states = await store.load(programs, batch);
  const loaded = new Map(states);
  for (const entry of programs) {
    const state = states.get(entry.key);
    if (state) states.set(entry.key, afterReading(entry, state, value, Number(batch.firstOffset)));
  }
  await store.save(programs, states, new Set(states.keys()), loaded, batch);
  return states;
}

describe('program state store', () => {
  it('reads Redis only for the first batch of a partition while batches follow on', async () => {
    const redis = new FakeRedis();
    const store = new ProgramStateStore(redis);
    const programs = [runnable(thermostat('a')), runnable(thermostat('b'))];
    await runBatch(store, programs, range(0, 10), 27);
    const saved = await runBatch(store, programs, range(10, 20), 21);
    expect(redis.reads).toEqual([['ac:state:acme/a', 'ac:state:acme/b']]);
    // memory and Redis hold the same states
    for (const [key, state] of saved)
      expect(JSON.parse(redis.values.get(`ac:state:${key}`) ?? 'null')).toEqual(state);
  });

  it('reads Redis again when a batch does not start where the last one ended', async () => {
    const redis = new FakeRedis();
    const store = new ProgramStateStore(redis);
    const programs = [runnable(thermostat('a'))];
    await runBatch(store, programs, range(0, 10), 27);
    // another member processed offsets 10..29 and wrote its own state
    const written = afterReading(
      programs[0],
      JSON.parse(redis.values.get('ac:state:acme/a') ?? '{}') as ProgramState,
      30,
    );
    redis.values.set('ac:state:acme/a', JSON.stringify(written));
    const states = await store.load(programs, range(30, 40));
    expect(redis.reads).toHaveLength(2);
    expect(states.get('acme/a')).toEqual(written);
  });

  it('replays a batch whose save failed from the states before it', async () => {
    const redis = new FakeRedis();
    const store = new ProgramStateStore(redis);
    const programs = [runnable(thermostat('a'))];
    const before = await runBatch(store, programs, range(0, 10), 27);
    redis.failWrites = true;
    await expect(runBatch(store, programs, range(10, 20), 21)).rejects.toThrow('Redis is down');
    redis.failWrites = false;
    // the retry of offsets 10..19 starts from the saved state, not from the failed attempt's
    expect(await store.load(programs, range(10, 20))).toEqual(before);
    expect(redis.reads).toHaveLength(1);
  });

  it('reads Redis for programs that something else may write, and after a catalog reload', async () => {
    const redis = new FakeRedis();
    const store = new ProgramStateStore(redis);
    const ticking = runnable(thermostat('t'), false);
    const plain = runnable(thermostat('p'));
    await runBatch(store, [ticking, plain], range(0, 10), 27);
    await runBatch(store, [ticking, plain], range(10, 20), 27);
    expect(redis.reads[1]).toEqual(['ac:state:acme/t']);
    // a catalog reload parses the program again: its state may have been written meanwhile
    const reloaded = runnable(thermostat('p', 2));
    await store.load([reloaded], range(20, 30));
    expect(redis.reads[2]).toEqual(['ac:state:acme/p']);
  });

  it('moves past batches without programs, and saves only the states that changed', async () => {
    const redis = new FakeRedis();
    const store = new ProgramStateStore(redis);
    const programs = [runnable(thermostat('a')), runnable(thermostat('b'))];
    await runBatch(store, programs, range(0, 10), 27);
    store.remember(range(10, 15));
    const states = await store.load(programs, range(15, 20));
    expect(redis.reads).toHaveLength(1);
    const changed = afterReading(programs[0], states.get('acme/a') as ProgramState, 21);
    states.set('acme/a', changed);
    redis.values.delete('ac:state:acme/b');
    await store.save(programs, states, new Set(['acme/a']), new Map(), range(15, 20));
    expect(JSON.parse(redis.values.get('ac:state:acme/a') ?? 'null')).toEqual(changed);
    expect(redis.values.has('ac:state:acme/b')).toBe(false);
  });

  it('does not write a state that moved only in the latest value, and writes the next decision', async () => {
    const redis = new FakeRedis();
    const store = new ProgramStateStore(redis);
    const programs = [runnable(thermostat('a'))];
    const hot = await runBatch(store, programs, range(0, 10), 27);
    const stored = redis.values.get('ac:state:acme/a');
    expect(JSON.parse(stored ?? 'null')).toEqual(hot.get('acme/a'));
    // 25 and 24 keep the fan on (it switches off below 22): only the latest value moves
    await runBatch(store, programs, range(10, 20), 25);
    const calm = await runBatch(store, programs, range(20, 30), 24);
    expect(redis.values.get('ac:state:acme/a')).toBe(stored);
    // memory continues from the latest value all the same
    expect((await store.load(programs, range(30, 40))).get('acme/a')).toBe(calm.get('acme/a'));
    const cold = await runBatch(store, programs, range(30, 40), 21);
    expect(JSON.parse(redis.values.get('ac:state:acme/a') ?? 'null')).toEqual(cold.get('acme/a'));
  });
});
