import { ErrorCode } from '../protocol/error-codes';
import { GroupClock } from './group-clock';
import { GroupCoordinator, JoinGroupInput } from './group-coordinator';

/** Deterministic clock: timers fire only when the test advances time. */
class FakeClock implements GroupClock {
  private nowMs = 0;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fire: () => void }>();

  now(): number {
    return this.nowMs;
  }

  setTimer(delayMs: number, fire: () => void): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.nowMs + delayMs, fire });
    return id;
  }

  clearTimer(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  advance(ms: number): void {
    const target = this.nowMs + ms;
    for (;;) {
      let next: [number, { at: number; fire: () => void }] | undefined;
      for (const entry of this.timers)
        if (entry[1].at <= target && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.timers.delete(next[0]);
      this.nowMs = next[1].at;
      next[1].fire();
    }
    this.nowMs = target;
  }
}

/** Lets a promise's outcome be inspected synchronously after the microtask queue drained. */
function track<T>(promise: Promise<T>): { value: T | undefined } {
  const box: { value: T | undefined } = { value: undefined };
  void promise.then((v) => (box.value = v));
  return box;
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const GROUP = 'g1';
const SESSION_MS = 10_000;
const REBALANCE_MS = 30_000;

function joinInput(memberId: string, overrides: Partial<JoinGroupInput> = {}): JoinGroupInput {
  const clientId = overrides.clientId ?? 'client';
  return {
    groupId: GROUP,
    memberId,
    clientId,
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: SESSION_MS,
    rebalanceTimeoutMs: REBALANCE_MS,
    protocolType: 'consumer',
    protocols: [
      { name: 'RoundRobin', metadata: Buffer.from(`rr:${clientId}`) },
      { name: 'Range', metadata: Buffer.from('range') },
    ],
    ...overrides,
  };
}

describe('group coordinator', () => {
  let clock: FakeClock;
  let coordinator: GroupCoordinator;
  let ids: number;

  beforeEach(() => {
    clock = new FakeClock();
    ids = 0;
    coordinator = new GroupCoordinator({
      clock,
      minSessionTimeoutMs: 1_000,
      newMemberId: (clientId) => `${clientId}-${++ids}`,
    });
  });

  afterEach(() => coordinator.shutdown());

  /** Joins a fresh member into a stable group of its own and returns its id. */
  async function stableSingleMember(): Promise<string> {
    const joined = await coordinator.join(joinInput(''));
    await coordinator.sync({
      groupId: GROUP,
      generationId: joined.generationId,
      memberId: joined.memberId,
      assignments: [{ memberId: joined.memberId, assignment: Buffer.from('all') }],
    });
    return joined.memberId;
  }

  /** A joins alone, B joins, A learns of the rebalance and rejoins: generation 2, A leads. */
  async function stablePair(): Promise<{ a: string; b: string }> {
    const a = await stableSingleMember();
    const bJoin = track(coordinator.join(joinInput('', { clientId: 'other' })));
    await flush();
    expect(bJoin.value).toBeUndefined();
    expect(coordinator.heartbeat({ groupId: GROUP, generationId: 1, memberId: a })).toBe(
      ErrorCode.REBALANCE_IN_PROGRESS,
    );
    const aJoin = await coordinator.join(joinInput(a));
    await flush();
    const b = bJoin.value!.memberId;
    const assignments = [
      { memberId: a, assignment: Buffer.from('for-a') },
      { memberId: b, assignment: Buffer.from('for-b') },
    ];
    const bSync = coordinator.sync({
      groupId: GROUP,
      generationId: 2,
      memberId: b,
      assignments: [],
    });
    await coordinator.sync({
      groupId: GROUP,
      generationId: aJoin.generationId,
      memberId: a,
      assignments,
    });
    await bSync;
    return { a, b };
  }

  it('forgets a group for offset expiry only once it has been without members since before the cutoff', async () => {
    clock.advance(1_000);
    // a group known only from its stored offsets counts as empty since the coordinator started (0)
    expect(coordinator.forgetIfEmptySince('only-offsets', 0)).toBe(false);
    expect(coordinator.forgetIfEmptySince('only-offsets', 500)).toBe(true);

    const member = await stableSingleMember();
    expect(coordinator.forgetIfEmptySince(GROUP, clock.now() + 1)).toBe(false);
    const leftAt = clock.now();
    expect(coordinator.leave(GROUP, member)).toBe(ErrorCode.NONE);
    await flush();
    expect(coordinator.describe(GROUP)?.state).toBe('Empty');
    expect(coordinator.forgetIfEmptySince(GROUP, leftAt)).toBe(false);
    clock.advance(10);
    expect(coordinator.forgetIfEmptySince(GROUP, clock.now())).toBe(true);
    expect(coordinator.describe(GROUP)).toBeUndefined();
  });

  it('assigns the member id of a first-time joiner as <clientId>-<unique>', async () => {
    const result = await coordinator.join(joinInput('', { clientId: 'svc' }));
    expect(result.errorCode).toBe(ErrorCode.NONE);
    expect(result.memberId).toBe('svc-1');
    expect(result.generationId).toBe(1);
    expect(result.leaderId).toBe('svc-1');
  });

  it('gives only the leader the member list, with metadata of the chosen protocol', async () => {
    const a = await stableSingleMember();
    const bJoin = track(coordinator.join(joinInput('', { clientId: 'other' })));
    const aJoin = await coordinator.join(joinInput(a));
    await flush();
    expect(aJoin.leaderId).toBe(a);
    expect(aJoin.protocolName).toBe('RoundRobin');
    expect(aJoin.members.map((m) => m.memberId)).toEqual([a, bJoin.value!.memberId]);
    expect(aJoin.members[0].metadata.toString()).toBe('rr:client');
    expect(bJoin.value!.members).toEqual([]);
    expect(bJoin.value!.leaderId).toBe(a);
    expect(bJoin.value!.generationId).toBe(2);
  });

  it('parks JoinGroup responses until every known member has rejoined', async () => {
    const { a, b } = await stablePair();
    const cJoin = track(coordinator.join(joinInput('', { clientId: 'third' })));
    const aJoin = track(coordinator.join(joinInput(a)));
    await flush();
    expect(cJoin.value).toBeUndefined();
    expect(aJoin.value).toBeUndefined();
    const bJoin = await coordinator.join(joinInput(b));
    await flush();
    expect([aJoin.value!.generationId, bJoin.generationId, cJoin.value!.generationId]).toEqual([
      3, 3, 3,
    ]);
  });

  it('drops members that do not rejoin before the rebalance timeout', async () => {
    const { a, b } = await stablePair();
    const cJoin = track(coordinator.join(joinInput('', { clientId: 'third' })));
    const aJoin = track(coordinator.join(joinInput(a)));
    // b keeps heartbeating (so its session stays alive) but never rejoins.
    for (let t = 0; t < REBALANCE_MS - 5_000; t += 5_000) {
      clock.advance(5_000);
      expect(coordinator.heartbeat({ groupId: GROUP, generationId: 2, memberId: b })).toBe(
        ErrorCode.REBALANCE_IN_PROGRESS,
      );
    }
    await flush();
    expect(aJoin.value).toBeUndefined();
    clock.advance(5_000);
    await flush();
    expect(aJoin.value!.generationId).toBe(3);
    expect(aJoin.value!.members.map((m) => m.memberId)).toEqual([a, cJoin.value!.memberId]);
    expect(coordinator.heartbeat({ groupId: GROUP, generationId: 3, memberId: b })).toBe(
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
  });

  it('holds SyncGroup of followers until the leader sends the assignment', async () => {
    const a = await stableSingleMember();
    const bJoin = track(coordinator.join(joinInput('', { clientId: 'other' })));
    await coordinator.join(joinInput(a));
    await flush();
    const b = bJoin.value!.memberId;
    const bSync = track(
      coordinator.sync({ groupId: GROUP, generationId: 2, memberId: b, assignments: [] }),
    );
    // b, parked, outlives its session; a keeps its own session alive meanwhile.
    clock.advance(SESSION_MS - 1_000);
    coordinator.heartbeat({ groupId: GROUP, generationId: 2, memberId: a });
    clock.advance(SESSION_MS - 1_000);
    await flush();
    expect(bSync.value).toBeUndefined();
    const aSync = await coordinator.sync({
      groupId: GROUP,
      generationId: 2,
      memberId: a,
      assignments: [
        { memberId: a, assignment: Buffer.from('p0') },
        { memberId: b, assignment: Buffer.from('p1') },
      ],
    });
    await flush();
    expect(aSync.assignment.toString()).toBe('p0');
    expect(bSync.value).toEqual({ errorCode: ErrorCode.NONE, assignment: Buffer.from('p1') });
    expect(coordinator.describe(GROUP)?.state).toBe('Stable');
  });

  it('answers 27 to Heartbeat and SyncGroup while a rebalance is prepared, and to OffsetCommit before the sync', async () => {
    const { a, b } = await stablePair();
    void coordinator.join(joinInput('', { clientId: 'third' }));
    const ref = { groupId: GROUP, generationId: 2, memberId: b };
    expect(coordinator.heartbeat(ref)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect((await coordinator.sync({ ...ref, assignments: [] })).errorCode).toBe(
      ErrorCode.REBALANCE_IN_PROGRESS,
    );
    // Committing what was processed before rejoining is still allowed (as in Kafka).
    expect(coordinator.validateOffsetCommit(ref)).toBe(ErrorCode.NONE);
    void coordinator.join(joinInput(a));
    await coordinator.join(joinInput(b));
    expect(coordinator.describe(GROUP)?.state).toBe('CompletingRebalance');
    expect(coordinator.validateOffsetCommit({ ...ref, generationId: 3 })).toBe(
      ErrorCode.REBALANCE_IN_PROGRESS,
    );
    expect(coordinator.heartbeat({ ...ref, generationId: 3 })).toBe(
      ErrorCode.REBALANCE_IN_PROGRESS,
    );
  });

  it('answers 22 to a stale generation and 25 to an unknown member', async () => {
    const { a } = await stablePair();
    expect(coordinator.heartbeat({ groupId: GROUP, generationId: 1, memberId: a })).toBe(
      ErrorCode.ILLEGAL_GENERATION,
    );
    expect(coordinator.validateOffsetCommit({ groupId: GROUP, generationId: 1, memberId: a })).toBe(
      ErrorCode.ILLEGAL_GENERATION,
    );
    const sync = await coordinator.sync({
      groupId: GROUP,
      generationId: 1,
      memberId: a,
      assignments: [],
    });
    expect(sync.errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(coordinator.heartbeat({ groupId: GROUP, generationId: 2, memberId: 'nobody' })).toBe(
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
    expect((await coordinator.join(joinInput('nobody'))).errorCode).toBe(
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
    expect(coordinator.leave(GROUP, 'nobody')).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(coordinator.heartbeat({ groupId: 'other-group', generationId: 1, memberId: a })).toBe(
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
  });

  it('answers 23 when a joiner shares no protocol (or protocol type) with the group', async () => {
    await stableSingleMember();
    const other = await coordinator.join(
      joinInput('', { protocols: [{ name: 'Sticky', metadata: Buffer.alloc(0) }] }),
    );
    expect(other.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const wrongType = await coordinator.join(joinInput('', { protocolType: 'connect' }));
    expect(wrongType.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect(coordinator.describe(GROUP)?.members).toHaveLength(1);
  });

  it("selects the leader's most preferred protocol that every member supports", async () => {
    const a = await stableSingleMember();
    const bJoin = track(
      coordinator.join(
        joinInput('', { protocols: [{ name: 'Range', metadata: Buffer.from('b-range') }] }),
      ),
    );
    const aJoin = await coordinator.join(joinInput(a));
    await flush();
    expect(aJoin.protocolName).toBe('Range');
    expect(bJoin.value!.protocolName).toBe('Range');
    expect(aJoin.members.map((m) => m.metadata.toString())).toEqual(['range', 'b-range']);
  });

  it('evicts a member whose session times out and rebalances the rest', async () => {
    const { a, b } = await stablePair();
    for (let t = 0; t < SESSION_MS + 1_000; t += 2_000) {
      clock.advance(2_000);
      expect(coordinator.heartbeat({ groupId: GROUP, generationId: 2, memberId: a })).not.toBe(
        ErrorCode.UNKNOWN_MEMBER_ID,
      );
    }
    expect(coordinator.heartbeat({ groupId: GROUP, generationId: 2, memberId: a })).toBe(
      ErrorCode.REBALANCE_IN_PROGRESS,
    );
    const rejoin = await coordinator.join(joinInput(a));
    expect(rejoin.generationId).toBe(3);
    expect(rejoin.members.map((m) => m.memberId)).toEqual([a]);
    expect(coordinator.heartbeat({ groupId: GROUP, generationId: 2, memberId: b })).toBe(
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
  });

  it('rebalances when a member leaves, and the next joiner leads when the leader leaves', async () => {
    const { a, b } = await stablePair();
    expect(coordinator.leave(GROUP, a)).toBe(ErrorCode.NONE);
    expect(coordinator.heartbeat({ groupId: GROUP, generationId: 2, memberId: b })).toBe(
      ErrorCode.REBALANCE_IN_PROGRESS,
    );
    const bJoin = await coordinator.join(joinInput(b));
    expect(bJoin.generationId).toBe(3);
    expect(bJoin.leaderId).toBe(b);
    expect(bJoin.members.map((m) => m.memberId)).toEqual([b]);
  });

  it('refuses simple commits (generation -1) to an active group, allows them once it is empty', async () => {
    const a = await stableSingleMember();
    expect(
      coordinator.validateOffsetCommit({ groupId: GROUP, generationId: -1, memberId: '' }),
    ).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    coordinator.leave(GROUP, a);
    const group = coordinator.describe(GROUP);
    expect(group?.state).toBe('Empty');
    expect(group?.generationId).toBe(2);
    expect(
      coordinator.validateOffsetCommit({ groupId: GROUP, generationId: -1, memberId: '' }),
    ).toBe(ErrorCode.NONE);
    expect(
      coordinator.validateOffsetCommit({ groupId: 'never-seen', generationId: -1, memberId: '' }),
    ).toBe(ErrorCode.NONE);
  });

  it('answers a follower that rejoins a stable group with unchanged metadata without a rebalance', async () => {
    const { b } = await stablePair();
    const again = await coordinator.join(joinInput(b, { clientId: 'other' }));
    expect(again.generationId).toBe(2);
    expect(coordinator.describe(GROUP)?.state).toBe('Stable');
  });

  it('rejects session timeouts outside the configured bounds with 26', async () => {
    const result = await coordinator.join(joinInput('', { sessionTimeoutMs: 10 }));
    expect(result.errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
  });

  it('describes members with client, host, metadata of the chosen protocol and assignment', async () => {
    const { a, b } = await stablePair();
    expect(coordinator.describe(GROUP)).toEqual({
      groupId: GROUP,
      state: 'Stable',
      generationId: 2,
      protocolType: 'consumer',
      protocolName: 'RoundRobin',
      leaderId: a,
      members: [
        {
          memberId: a,
          clientId: 'client',
          clientHost: '/127.0.0.1',
          metadata: Buffer.from('rr:client'),
          assignment: Buffer.from('for-a'),
        },
        {
          memberId: b,
          clientId: 'other',
          clientHost: '/127.0.0.1',
          metadata: Buffer.from('rr:other'),
          assignment: Buffer.from('for-b'),
        },
      ],
    });
    expect(coordinator.list()).toEqual([
      { groupId: GROUP, state: 'Stable', protocolType: 'consumer' },
    ]);
  });

  it('answers parked requests with 15 on shutdown', async () => {
    await stableSingleMember();
    const bJoin = coordinator.join(joinInput('', { clientId: 'other' }));
    coordinator.shutdown();
    expect((await bJoin).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(coordinator.describe(GROUP)).toBeUndefined();
  });
});
