import { randomUUID } from 'node:crypto';

import { ErrorCode } from '../protocol/error-codes';
import { GroupClock, systemClock } from './group-clock';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable';

export interface GroupProtocol {
  name: string;
  metadata: Buffer;
}

export interface JoinGroupInput {
  groupId: string;
  /** '' for a member joining for the first time: the coordinator assigns the id. */
  memberId: string;
  clientId: string;
  /** The member's address as DescribeGroups reports it. */
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: GroupProtocol[];
}

export interface JoinGroupResult {
  errorCode: number;
  generationId: number;
  protocolName: string;
  leaderId: string;
  memberId: string;
  /** Only the leader receives the members and their metadata for the chosen protocol. */
  members: Array<{ memberId: string; metadata: Buffer }>;
}

export interface SyncGroupInput {
  groupId: string;
  generationId: number;
  memberId: string;
  assignments: Array<{ memberId: string; assignment: Buffer }>;
}

export interface SyncGroupResult {
  errorCode: number;
  assignment: Buffer;
}

export interface MemberRef {
  groupId: string;
  generationId: number;
  memberId: string;
}

export interface GroupDescription {
  groupId: string;
  state: GroupState;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leaderId: string | null;
  members: Array<{
    memberId: string;
    clientId: string;
    clientHost: string;
    /** The member's metadata for the selected protocol (empty before one is selected). */
    metadata: Buffer;
    assignment: Buffer;
  }>;
}

export interface GroupOverview {
  groupId: string;
  state: GroupState;
  protocolType: string | null;
}

/** Told about group transitions, for logs and metrics. */
export interface GroupListener {
  rebalanceStarted?(groupId: string, reason: string): void;
  generationFormed?(groupId: string, generationId: number, memberIds: string[]): void;
  memberRemoved?(groupId: string, memberId: string, reason: string): void;
}

export interface GroupCoordinatorOptions {
  clock?: GroupClock;
  /** Kafka's group.min.session.timeout.ms / group.max.session.timeout.ms defaults. */
  minSessionTimeoutMs?: number;
  maxSessionTimeoutMs?: number;
  newMemberId?: (clientId: string) => string;
  listener?: GroupListener;
}

interface Member {
  readonly id: string;
  readonly clientId: string;
  readonly clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: GroupProtocol[];
  assignment: Buffer;
  awaitingJoin: ((result: JoinGroupResult) => void) | null;
  awaitingSync: ((result: SyncGroupResult) => void) | null;
  sessionTimer: unknown;
}

interface Group {
  readonly id: string;
  state: GroupState;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leaderId: string | null;
  /** Insertion order is join order: the first remaining joiner becomes leader. */
  readonly members: Map<string, Member>;
  rebalanceTimer: unknown;
  /** When the last member left (or the group was created): offsets expire from then on. */
  emptySince: number;
}

const EMPTY = Buffer.alloc(0);

/**
 * The classic (pre-KIP-848) consumer group protocol as Kafka's GroupCoordinator implements it:
 * Empty → PreparingRebalance (join barrier) → CompletingRebalance (waiting for the leader's
 * assignment) → Stable. Pure state: no sockets, no storage, time comes from the injected clock.
 *
 * Commit validation follows Kafka too: a member of the current generation may commit while a
 * rebalance is being prepared (so it can commit what it processed before rejoining), but not
 * between the join and the leader's SyncGroup, when the new assignment is not yet known.
 */
export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private readonly clock: GroupClock;
  private readonly minSessionTimeoutMs: number;
  private readonly maxSessionTimeoutMs: number;
  private readonly newMemberId: (clientId: string) => string;
  private readonly listener: GroupListener;
  private readonly startedAt: number;

  constructor(opts: GroupCoordinatorOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.startedAt = this.clock.now();
    this.minSessionTimeoutMs = opts.minSessionTimeoutMs ?? 6_000;
    this.maxSessionTimeoutMs = opts.maxSessionTimeoutMs ?? 1_800_000;
    this.newMemberId = opts.newMemberId ?? ((clientId) => `${clientId}-${randomUUID()}`);
    this.listener = opts.listener ?? {};
  }

  join(input: JoinGroupInput): Promise<JoinGroupResult> {
    if (input.groupId === '')
      return Promise.resolve(joinError(ErrorCode.INVALID_GROUP_ID, input.memberId));
    if (
      input.sessionTimeoutMs < this.minSessionTimeoutMs ||
      input.sessionTimeoutMs > this.maxSessionTimeoutMs
    ) {
      return Promise.resolve(joinError(ErrorCode.INVALID_SESSION_TIMEOUT, input.memberId));
    }
    const group = this.groups.get(input.groupId) ?? this.createGroup(input.groupId);

    if (input.memberId === '') {
      if (!supportsProtocols(group, input, null)) {
        return Promise.resolve(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, ''));
      }
      const member: Member = {
        id: this.newMemberId(input.clientId),
        clientId: input.clientId,
        clientHost: input.clientHost,
        sessionTimeoutMs: input.sessionTimeoutMs,
        rebalanceTimeoutMs: input.rebalanceTimeoutMs,
        protocolType: input.protocolType,
        protocols: input.protocols,
        assignment: EMPTY,
        awaitingJoin: null,
        awaitingSync: null,
        sessionTimer: null,
      };
      group.members.set(member.id, member);
      group.leaderId ??= member.id;
      const parked = this.parkJoin(member);
      if (group.state === 'PreparingRebalance') this.checkJoinBarrier(group);
      else this.prepareRebalance(group, `member ${member.id} joined`);
      return parked;
    }

    const member = group.members.get(input.memberId);
    if (!member) return Promise.resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, input.memberId));
    if (!supportsProtocols(group, input, member)) {
      return Promise.resolve(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, input.memberId));
    }
    const unchanged = sameProtocols(member.protocols, input.protocols);
    switch (group.state) {
      case 'PreparingRebalance': {
        updateMember(member, input);
        const parked = this.parkJoin(member);
        this.checkJoinBarrier(group);
        return parked;
      }
      case 'CompletingRebalance':
        // A member whose join response got lost simply gets it again.
        if (unchanged) return Promise.resolve(this.joinResult(group, member));
        break;
      case 'Stable':
        // A follower re-joining with unchanged metadata learns the current generation; the
        // leader re-joining (or anyone changing metadata) means a new assignment is wanted.
        if (unchanged && member.id !== group.leaderId) {
          this.scheduleSessionExpiry(group, member);
          return Promise.resolve(this.joinResult(group, member));
        }
        break;
      case 'Empty':
        return Promise.resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, input.memberId));
    }
    updateMember(member, input);
    const parked = this.parkJoin(member);
    this.prepareRebalance(group, `member ${member.id} rejoined`);
    return parked;
  }

  sync(input: SyncGroupInput): Promise<SyncGroupResult> {
    const group = this.groups.get(input.groupId);
    const member = group?.members.get(input.memberId);
    if (!group || !member) return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    if (input.generationId !== group.generationId) {
      return Promise.resolve(syncError(ErrorCode.ILLEGAL_GENERATION));
    }
    switch (group.state) {
      case 'Empty':
        return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      case 'PreparingRebalance':
        return Promise.resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      case 'Stable':
        this.scheduleSessionExpiry(group, member);
        return Promise.resolve({ errorCode: ErrorCode.NONE, assignment: member.assignment });
      case 'CompletingRebalance':
        break;
    }
    const parked = new Promise<SyncGroupResult>((resolve) => {
      member.awaitingSync?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      member.awaitingSync = resolve;
    });
    // A member parked on the barrier is alive by definition; its session restarts on the answer.
    this.cancelSessionExpiry(member);
    if (member.id === group.leaderId) {
      const byMember = new Map(input.assignments.map((a) => [a.memberId, a.assignment]));
      group.state = 'Stable';
      for (const m of group.members.values()) {
        m.assignment = byMember.get(m.id) ?? EMPTY;
        const answer = m.awaitingSync;
        if (answer) {
          m.awaitingSync = null;
          this.scheduleSessionExpiry(group, m);
          answer({ errorCode: ErrorCode.NONE, assignment: m.assignment });
        }
      }
    }
    return parked;
  }

  heartbeat(input: MemberRef): number {
    const group = this.groups.get(input.groupId);
    const member = group?.members.get(input.memberId);
    if (!group || !member) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (input.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    this.scheduleSessionExpiry(group, member);
    // Members of a group being rebalanced learn it here and re-join.
    return group.state === 'Stable' ? ErrorCode.NONE : ErrorCode.REBALANCE_IN_PROGRESS;
  }

  leave(groupId: string, memberId: string): number {
    const group = this.groups.get(groupId);
    const member = group?.members.get(memberId);
    if (!group || !member) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.removeMember(group, member, 'left the group');
    return ErrorCode.NONE;
  }

  /**
   * Whether an OffsetCommit may be applied. Generation -1 is a "simple" commit from a client
   * that uses the broker only to store offsets: allowed while the group has no members.
   * A valid commit counts as a heartbeat, as in Kafka.
   */
  validateOffsetCommit(input: MemberRef): number {
    const group = this.groups.get(input.groupId);
    if (!group) return input.generationId < 0 ? ErrorCode.NONE : ErrorCode.ILLEGAL_GENERATION;
    if (input.generationId < 0 && group.state === 'Empty') return ErrorCode.NONE;
    if (group.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
    const member = group.members.get(input.memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (input.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (!member.awaitingJoin) this.scheduleSessionExpiry(group, member);
    return ErrorCode.NONE;
  }

  describe(groupId: string): GroupDescription | undefined {
    const group = this.groups.get(groupId);
    if (!group) return undefined;
    return {
      groupId,
      state: group.state,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leaderId: group.leaderId,
      members: [...group.members.values()].map((m) => ({
        memberId: m.id,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: protocolMetadata(m, group.protocolName),
        assignment: m.assignment,
      })),
    };
  }

  list(): GroupOverview[] {
    return [...this.groups.values()].map((g) => ({
      groupId: g.id,
      state: g.state,
      protocolType: g.protocolType,
    }));
  }

  /**
   * Forgets a group that has had no members since before `emptyBeforeMs` (its offsets expire); it
   * no longer shows in ListGroups. A group this coordinator has not seen counts as empty since the
   * coordinator started. Returns false, keeping the group, otherwise.
   */
  forgetIfEmptySince(groupId: string, emptyBeforeMs: number): boolean {
    const group = this.groups.get(groupId);
    if (group === undefined) return this.startedAt < emptyBeforeMs;
    if (group.members.size > 0 || group.state !== 'Empty' || group.emptySince >= emptyBeforeMs)
      return false;
    this.clearTimer(group.rebalanceTimer);
    this.groups.delete(groupId);
    return true;
  }

  /** Answers every parked request (the coordinator is going away) and clears all timers. */
  shutdown(): void {
    for (const group of this.groups.values()) {
      this.clearTimer(group.rebalanceTimer);
      group.rebalanceTimer = null;
      for (const m of group.members.values()) {
        this.cancelSessionExpiry(m);
        m.awaitingJoin?.(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, m.id));
        m.awaitingSync?.(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
        m.awaitingJoin = null;
        m.awaitingSync = null;
      }
    }
    this.groups.clear();
  }

  private createGroup(id: string): Group {
    const group: Group = {
      id,
      state: 'Empty',
      generationId: 0,
      protocolType: null,
      protocolName: null,
      leaderId: null,
      members: new Map(),
      rebalanceTimer: null,
      emptySince: this.clock.now(),
    };
    this.groups.set(id, group);
    return group;
  }

  private parkJoin(member: Member): Promise<JoinGroupResult> {
    this.cancelSessionExpiry(member);
    return new Promise((resolve) => {
      // A duplicate join (the client gave up on the first) makes the older one retry.
      member.awaitingJoin?.(joinError(ErrorCode.REBALANCE_IN_PROGRESS, member.id));
      member.awaitingJoin = resolve;
    });
  }

  private prepareRebalance(group: Group, reason: string): void {
    if (group.state === 'CompletingRebalance') {
      // The assignment being waited for belongs to a generation that will never be stable.
      for (const m of group.members.values()) {
        m.assignment = EMPTY;
        const answer = m.awaitingSync;
        if (answer) {
          m.awaitingSync = null;
          this.scheduleSessionExpiry(group, m);
          answer(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        }
      }
    }
    group.state = 'PreparingRebalance';
    this.listener.rebalanceStarted?.(group.id, reason);
    if (group.rebalanceTimer === null) {
      const timeout = Math.max(0, ...[...group.members.values()].map((m) => m.rebalanceTimeoutMs));
      group.rebalanceTimer = this.clock.setTimer(timeout, () => this.completeJoin(group));
    }
    this.checkJoinBarrier(group);
  }

  private checkJoinBarrier(group: Group): void {
    for (const m of group.members.values()) if (!m.awaitingJoin) return;
    this.completeJoin(group);
  }

  /** Closes the join barrier: stragglers are dropped, the next generation starts. */
  private completeJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance') return;
    this.clearTimer(group.rebalanceTimer);
    group.rebalanceTimer = null;
    for (const m of [...group.members.values()]) {
      if (!m.awaitingJoin) this.dropMember(group, m, 'did not rejoin before the rebalance timeout');
    }
    group.generationId += 1;
    const protocolName = group.members.size > 0 ? selectProtocol(group) : null;
    if (protocolName === null) {
      for (const m of group.members.values()) {
        m.awaitingJoin?.(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, m.id));
        m.awaitingJoin = null;
      }
      group.members.clear();
      group.state = 'Empty';
      group.protocolType = null;
      group.protocolName = null;
      group.leaderId = null;
      return;
    }
    group.state = 'CompletingRebalance';
    group.protocolName = protocolName;
    group.protocolType = group.members.values().next().value?.protocolType ?? null;
    this.listener.generationFormed?.(group.id, group.generationId, [...group.members.keys()]);
    for (const m of group.members.values()) {
      const answer = m.awaitingJoin;
      m.awaitingJoin = null;
      this.scheduleSessionExpiry(group, m);
      answer?.(this.joinResult(group, m));
    }
  }

  private joinResult(group: Group, member: Member): JoinGroupResult {
    const protocolName = group.protocolName ?? '';
    const isLeader = member.id === group.leaderId;
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolName,
      leaderId: group.leaderId ?? '',
      memberId: member.id,
      members: isLeader
        ? [...group.members.values()].map((m) => ({
            memberId: m.id,
            metadata: protocolMetadata(m, protocolName),
          }))
        : [],
    };
  }

  private scheduleSessionExpiry(group: Group, member: Member): void {
    this.cancelSessionExpiry(member);
    member.sessionTimer = this.clock.setTimer(member.sessionTimeoutMs, () => {
      member.sessionTimer = null;
      if (group.members.get(member.id) !== member) return;
      // Parked members are alive: they are waiting on us, not the other way round.
      if (member.awaitingJoin || member.awaitingSync) return;
      this.removeMember(group, member, 'session timed out');
    });
  }

  private cancelSessionExpiry(member: Member): void {
    this.clearTimer(member.sessionTimer);
    member.sessionTimer = null;
  }

  private removeMember(group: Group, member: Member, reason: string): void {
    this.dropMember(group, member, reason);
    switch (group.state) {
      case 'Stable':
      case 'CompletingRebalance':
        this.prepareRebalance(group, `member ${member.id} ${reason}`);
        break;
      case 'PreparingRebalance':
        this.checkJoinBarrier(group);
        break;
      case 'Empty':
        break;
    }
  }

  /** Takes a member out without starting a rebalance (the caller decides). */
  private dropMember(group: Group, member: Member, reason: string): void {
    this.cancelSessionExpiry(member);
    group.members.delete(member.id);
    if (group.members.size === 0) group.emptySince = this.clock.now();
    member.awaitingJoin?.(joinError(ErrorCode.UNKNOWN_MEMBER_ID, member.id));
    member.awaitingSync?.(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    member.awaitingJoin = null;
    member.awaitingSync = null;
    if (group.leaderId === member.id) {
      group.leaderId = group.members.keys().next().value ?? null;
    }
    this.listener.memberRemoved?.(group.id, member.id, reason);
  }

  private clearTimer(handle: unknown): void {
    if (handle !== null) this.clock.clearTimer(handle);
  }
}

function joinError(errorCode: number, memberId: string): JoinGroupResult {
  return { errorCode, generationId: -1, protocolName: '', leaderId: '', memberId, members: [] };
}

function syncError(errorCode: number): SyncGroupResult {
  return { errorCode, assignment: EMPTY };
}

function protocolMetadata(member: Member, protocolName: string | null): Buffer {
  return member.protocols.find((p) => p.name === protocolName)?.metadata ?? EMPTY;
}

function updateMember(member: Member, input: JoinGroupInput): void {
  member.sessionTimeoutMs = input.sessionTimeoutMs;
  member.rebalanceTimeoutMs = input.rebalanceTimeoutMs;
  member.protocolType = input.protocolType;
  member.protocols = input.protocols;
}

function sameProtocols(a: GroupProtocol[], b: GroupProtocol[]): boolean {
  return (
    a.length === b.length &&
    a.every((p, i) => p.name === b[i].name && p.metadata.equals(b[i].metadata))
  );
}

/**
 * A joiner fits the group if it names the group's protocol type and at least one protocol that
 * every other member also supports (Kafka's INCONSISTENT_GROUP_PROTOCOL rule).
 */
function supportsProtocols(group: Group, input: JoinGroupInput, self: Member | null): boolean {
  if (input.protocolType === '' || input.protocols.length === 0) return false;
  const others = [...group.members.values()].filter((m) => m !== self);
  if (others.length === 0) return true;
  if (others.some((m) => m.protocolType !== input.protocolType)) return false;
  return input.protocols.some((p) =>
    others.every((m) => m.protocols.some((q) => q.name === p.name)),
  );
}

/** The first protocol in the leader's preference order that every member supports. */
function selectProtocol(group: Group): string | null {
  const leader = group.leaderId === null ? undefined : group.members.get(group.leaderId);
  if (!leader) return null;
  const members = [...group.members.values()];
  const chosen = leader.protocols.find((p) =>
    members.every((m) => m.protocols.some((q) => q.name === p.name)),
  );
  return chosen?.name ?? null;
}
