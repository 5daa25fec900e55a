import { evaluate, type Program, type ProgramState } from '@sluice/programs';
import { uniqueName } from '@sluice/testing';
import { Redis } from 'ioredis';
import type { RunnableProgram } from '../programs/program-catalog';
import { coolingThermostat } from '../testing/program-fixtures';
import {
  ProgramStateConflictError,
  ProgramStateStore,
  type ConsumedRange,
  type StateRedis,
} from './program-state.store';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A store's view of the real Redis (keys under a prefix of their own), noting the keys it reads. */
class RecordingRedis implements StateRedis {
  readonly reads: string[][] = [];
  failWrites = false;

  constructor(readonly redis: Redis) {}

  mget(keys: string[]): Promise<Array<string | null>> {
    this.reads.push(keys);
    return this.redis.mget(keys);
  }

  eval(script: string, numKeys: number, ...args: string[]): Promise<unknown> {
    if (this.failWrites) return Promise.reject(new Error('Redis is down'));
    return this.redis.eval(script, numKeys, ...args);
  }

  async stored(programKey: string): Promise<ProgramState | null> {
    const value = await this.redis.get(`ac:state:${programKey}`);
    return value === null ? null : (JSON.parse(value) as ProgramState);
  }
}

const clients: Redis[] = [];

/** A Redis view of its own for each test; `replicas` stores share it, as replicas share Redis. */
function redisForTest(): RecordingRedis {
  const redis = new Redis(REDIS_URL, { keyPrefix: `${uniqueName('test_program_state')}:` });
  clients.push(redis);
  return new RecordingRedis(redis);
}

afterAll(async () => {
  for (const redis of clients) {
    const prefix = redis.options.keyPrefix ?? '';
    // ioredis prefixes neither KEYS' pattern nor its answer, but does prefix UNLINK's keys
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.unlink(...keys.map((key) => key.slice(prefix.length)));
    await redis.quit();
  }
});

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

describe('program state store (Redis)', () => {
  it('reads Redis only for the first batch of a partition while batches follow on', async () => {
    const redis = redisForTest();
    const store = new ProgramStateStore(redis);
    const programs = [runnable(thermostat('a')), runnable(thermostat('b'))];
    await runBatch(store, programs, range(0, 10), 27);
    const saved = await runBatch(store, programs, range(10, 20), 21);
    expect(redis.reads).toEqual([
      ['ac:state:acme/a', 'ac:state-rev:acme/a', 'ac:state:acme/b', 'ac:state-rev:acme/b'],
    ]);
    // memory and Redis hold the same states
    for (const [key, state] of saved) expect(await redis.stored(key)).toEqual(state);
  });

  it('reads Redis again when a batch does not start where the last one ended', async () => {
    const redis = redisForTest();
    const store = new ProgramStateStore(redis);
    const programs = [runnable(thermostat('a'))];
    await runBatch(store, programs, range(0, 10), 27);
    // another member processed offsets 10..29 and wrote its own state
    const written = afterReading(programs[0], (await redis.stored('acme/a')) as ProgramState, 30);
    await redis.redis.set('ac:state:acme/a', JSON.stringify(written));
    const states = await store.load(programs, range(30, 40));
    expect(redis.reads).toHaveLength(2);
    expect(states.get('acme/a')).toEqual(written);
  });

  it('replays a batch whose save failed from the states before it', async () => {
    const redis = redisForTest();
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
    const redis = redisForTest();
    const store = new ProgramStateStore(redis);
    const ticking = runnable(thermostat('t'), false);
    const plain = runnable(thermostat('p'));
    await runBatch(store, [ticking, plain], range(0, 10), 27);
    await runBatch(store, [ticking, plain], range(10, 20), 27);
    expect(redis.reads[1]).toEqual(['ac:state:acme/t', 'ac:state-rev:acme/t']);
    // a catalog reload parses the program again: its state may have been written meanwhile
    const reloaded = runnable(thermostat('p', 2));
    await store.load([reloaded], range(20, 30));
    expect(redis.reads[2]).toEqual(['ac:state:acme/p', 'ac:state-rev:acme/p']);
  });

  it('moves past batches without programs, and saves only the states that changed', async () => {
    const redis = redisForTest();
    const store = new ProgramStateStore(redis);
    const programs = [runnable(thermostat('a')), runnable(thermostat('b'))];
    await runBatch(store, programs, range(0, 10), 27);
    store.remember(range(10, 15));
    const states = await store.load(programs, range(15, 20));
    const loaded = new Map(states);
    expect(redis.reads).toHaveLength(1);
    const changed = afterReading(programs[0], states.get('acme/a') as ProgramState, 21);
    states.set('acme/a', changed);
    await redis.redis.del('ac:state:acme/b');
    await store.save(programs, states, new Set(['acme/a']), loaded, range(15, 20));
    expect(await redis.stored('acme/a')).toEqual(changed);
    expect(await redis.stored('acme/b')).toBeNull();
  });

  it('does not write a state that moved only in the latest value, and writes the next decision', async () => {
    const redis = redisForTest();
    const store = new ProgramStateStore(redis);
    const programs = [runnable(thermostat('a'))];
    const hot = await runBatch(store, programs, range(0, 10), 27);
    const stored = await redis.redis.get('ac:state:acme/a');
    expect(JSON.parse(stored ?? 'null')).toEqual(hot.get('acme/a'));
    // 25 and 24 keep the fan on (it switches off below 22): only the latest value moves
    await runBatch(store, programs, range(10, 20), 25);
    const calm = await runBatch(store, programs, range(20, 30), 24);
    expect(await redis.redis.get('ac:state:acme/a')).toBe(stored);
    // memory continues from the latest value all the same
    expect((await store.load(programs, range(30, 40))).get('acme/a')).toBe(calm.get('acme/a'));
    const cold = await runBatch(store, programs, range(30, 40), 21);
    expect(await redis.stored('acme/a')).toEqual(cold.get('acme/a'));
  });

  it('refuses to save over a state another replica saved since it was loaded, and loads that one next', async () => {
    const redis = redisForTest();
    const [partitionOwner, ticker] = [new ProgramStateStore(redis), new ProgramStateStore(redis)];
    const program = runnable(thermostat('shared'), false);
    await runBatch(partitionOwner, [program], range(0, 10), 27);

    // both load the same stored state; the ticker saves first
    const ownerStates = await partitionOwner.load([program], range(10, 20));
    const ownerLoaded = new Map(ownerStates);
    const tickerStates = await ticker.load([program]);
    const tickerLoaded = new Map(tickerStates);
    const ticked = afterReading(program, tickerStates.get('acme/shared') as ProgramState, 21, 5);
    tickerStates.set('acme/shared', ticked);
    await ticker.save([program], tickerStates, new Set(['acme/shared']), tickerLoaded);

    ownerStates.set(
      'acme/shared',
      afterReading(program, ownerStates.get('acme/shared') as ProgramState, 30, 10),
    );
    const refused = partitionOwner.save(
      [program],
      ownerStates,
      new Set(['acme/shared']),
      ownerLoaded,
      range(10, 20),
    );
    await expect(refused).rejects.toThrow(ProgramStateConflictError);
    await expect(refused).rejects.toMatchObject({ programKey: 'acme/shared' });
    expect(await redis.stored('acme/shared')).toEqual(ticked);

    // the retry of the batch reads the ticker's state and saves on top of it
    const retried = await runBatch(partitionOwner, [program], range(10, 20), 30);
    expect(retried.get('acme/shared')?.time).toBe(1_700_000_000_010);
    expect(await redis.stored('acme/shared')).toEqual(retried.get('acme/shared'));
  });

  it('writes nothing of a round when one of its programs conflicts', async () => {
    const redis = redisForTest();
    const [first, second] = [new ProgramStateStore(redis), new ProgramStateStore(redis)];
    const [a, b] = [runnable(thermostat('a'), false), runnable(thermostat('b'), false)];
    await runBatch(first, [a, b], range(0, 10), 27);
    const before = await redis.stored('acme/a');

    const states = await first.load([a, b]);
    const loaded = new Map(states);
    await runBatch(second, [b], range(0, 1), 21);
    for (const entry of [a, b])
      states.set(entry.key, afterReading(entry, states.get(entry.key) as ProgramState, 21, 20));
    await expect(
      first.save([a, b], states, new Set(['acme/a', 'acme/b']), loaded),
    ).rejects.toMatchObject({ programKey: 'acme/b' });
    expect(await redis.stored('acme/a')).toEqual(before);
  });

  it("stores a new program's state with a lineage before it is evaluated, and starts a new lineage after the state is lost", async () => {
    const redis = redisForTest();
    const program = runnable(thermostat('fresh'), false);
    const first = (await new ProgramStateStore(redis).load([program])).get('acme/fresh');
    const lineage = first?.program.lineage;
    expect(lineage).toMatch(/^[\w-]{8}$/);
    // stored at once: a replay after a crash continues the same lineage (same idempotency keys)
    expect((await redis.stored('acme/fresh'))?.program.lineage).toBe(lineage);
    expect((await new ProgramStateStore(redis).load([program])).get('acme/fresh')).toEqual(first);

    // the state is lost (Redis without persistence): the next one is a new lineage
    await redis.redis.del('ac:state:acme/fresh', 'ac:state-rev:acme/fresh');
    const again = (await new ProgramStateStore(redis).load([program])).get('acme/fresh');
    expect(again?.program.lineage).toMatch(/^[\w-]{8}$/);
    expect(again?.program.lineage).not.toBe(lineage);
  });
});
