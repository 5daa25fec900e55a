import { Inject, Injectable } from '@nestjs/common';
import { REDIS } from '@sluice/redis';
import type { Redis } from 'ioredis';
import {
  ACTUATOR_CONTROLLER_CONFIG,
  type ActuatorControllerConfig,
} from '../actuator-controller.config';
import { ProgramCatalog } from '../programs/program-catalog';
import { safetyMetrics } from './safety.metrics';
import { SafetyRepository, type ConflictInput, type KillSwitchRow } from './safety.repository';

export interface CommandCandidate {
  tenant: string;
  actuator: string;
  /** Program id (program commands). */
  programId: string;
  priority: number;
  command: string;
  params: Readonly<Record<string, string | number | boolean>>;
}

export type SafetyVerdict =
  | { allowed: true; notBefore: number }
  | {
      allowed: false;
      rule: 'kill_switch' | 'manual_override' | 'lower_priority' | 'rate_limited';
      detail: string;
    };

interface Wish {
  priority: number;
  command: string;
  params: Record<string, string | number | boolean>;
}

/** What the rules read about an actuator once the candidate's own wish is registered. */
interface ActuatorFacts {
  wish: Wish;
  override: string | null;
  /** Program id → its standing wish (JSON), the candidate's included. */
  wishes: Record<string, string>;
  lastSent: string | null;
}

const MINUTE_MS = 60_000;

/**
 * Registers a program's wish for an actuator and reads what the rules need about it, atomically:
 * KEYS override, wishes, last sent; ARGV program id, wish (JSON), wishes TTL (ms). Returns the
 * override (or nil), the wishes as a flat field/value list and the last send time (or nil).
 */
const STANDING_FACTS_LUA = `
local override = redis.call('GET', KEYS[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return { override, redis.call('HGETALL', KEYS[2]), redis.call('GET', KEYS[3]) }
`;

/** Counts a command in the actuator's minute: KEYS counter; ARGV TTL (ms). Returns the count. */
const COUNT_COMMAND_LUA = `
local count = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return count
`;

/** The scripts above as client commands (one EVALSHA each instead of a MULTI of 5 or 2). */
interface SafetyRedis extends Redis {
  sluiceStandingFacts(
    override: string,
    wishes: string,
    lastSent: string,
    programId: string,
    wish: string,
    ttlMs: number,
  ): Promise<[string | null, string[], string | null]>;
  sluiceCountCommand(counter: string, ttlMs: number): Promise<number>;
}

function sameWish(
  a: Pick<Wish, 'command' | 'params'>,
  b: Pick<Wish, 'command' | 'params'>,
): boolean {
  if (a.command !== b.command) return false;
  const keys = Object.keys(a.params);
  return (
    keys.length === Object.keys(b.params).length &&
    keys.every((key) => a.params[key] === b.params[key])
  );
}

/**
 * The rules between a program's decision and an actuator, applied in this order: the tenant's kill
 * switch, a user's manual override (holds the actuator for its hold time), priority between
 * programs that want different things for one actuator (higher priority wins, ties go to the
 * smaller program id, the conflict is recorded), the per-actuator rate limit, and the minimum dwell
 * time (a command sooner than that after the previous one waits instead of being dropped).
 *
 * The fast-changing facts live in Redis so every replica sees them: each program's standing wish
 * per actuator, override holds, per-minute send counters and the last send time.
 */
@Injectable()
export class SafetyService {
  private readonly metrics = safetyMetrics();
  private readonly scripts: SafetyRedis;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly repository: SafetyRepository,
    private readonly catalog: ProgramCatalog,
    @Inject(ACTUATOR_CONTROLLER_CONFIG) private readonly config: ActuatorControllerConfig,
  ) {
    redis.defineCommand('sluiceStandingFacts', { numberOfKeys: 3, lua: STANDING_FACTS_LUA });
    redis.defineCommand('sluiceCountCommand', { numberOfKeys: 1, lua: COUNT_COMMAND_LUA });
    this.scripts = redis as SafetyRedis;
  }

  /**
   * Verdicts for program commands, in order (later candidates see earlier wishes). Two Redis round
   * trips per call whatever the number of candidates: the commands of all candidates are written
   * back to back on the one connection, which Redis runs in that order, so the outcome is the one
   * of checking them one after another.
   */
  async checkProgramCommands(
    candidates: readonly CommandCandidate[],
    now: number,
  ): Promise<SafetyVerdict[]> {
    const facts = await Promise.all(
      candidates.map((candidate) =>
        this.catalog.isKilled(candidate.tenant) ? undefined : this.standingFacts(candidate),
      ),
    );
    const conflicts: ConflictInput[] = [];
    const verdicts = candidates.map((candidate, index) =>
      this.ruleOnPrograms(candidate, facts[index], now, conflicts),
    );
    const withinLimit = await Promise.all(
      verdicts.map((verdict, index) =>
        verdict.allowed ? this.withinRateLimit(candidates[index], now) : true,
      ),
    );
    const final = verdicts.map((verdict, index): SafetyVerdict =>
      withinLimit[index]
        ? verdict
        : { allowed: false, rule: 'rate_limited', detail: this.rateDetail() },
    );
    for (const verdict of final)
      if (!verdict.allowed) this.metrics.refused.inc({ rule: verdict.rule });
    await this.repository.recordConflicts(conflicts);
    this.metrics.conflicts.inc(conflicts.length);
    return final;
  }

  /** A user's command obeys only the rate limit (the kill switch stops programs, not people). */
  async checkUserCommand(tenant: string, actuator: string, now: number): Promise<SafetyVerdict> {
    if (!(await this.withinRateLimit({ tenant, actuator }, now))) {
      this.metrics.refused.inc({ rule: 'rate_limited' });
      return { allowed: false, rule: 'rate_limited', detail: this.rateDetail() };
    }
    return { allowed: true, notBefore: now };
  }

  /** A manual command holds the actuator against every program until `now + holdMs`. */
  async holdForUser(
    tenant: string,
    actuator: string,
    command: { id: string; command: string; params: Record<string, string | number | boolean> },
    issuedBy: string,
    holdMs: number,
    now: number,
  ): Promise<number> {
    const until = now + holdMs;
    if (holdMs > 0) {
      await this.redis.set(
        overrideKey(tenant, actuator),
        JSON.stringify({
          until,
          by: issuedBy,
          commandId: command.id,
          command: command.command,
          params: command.params,
        }),
        'PX',
        holdMs,
      );
    }
    await this.repository.saveOverride(tenant, actuator, command.id, issuedBy, until);
    return until;
  }

  /** Remembers when these actuators were last sent a command (dwell rule), in one round trip. */
  async noteSent(
    targets: ReadonlyArray<{ tenant: string; actuator: string }>,
    at: number,
  ): Promise<void> {
    const dwell = this.config.SAFETY_MIN_DWELL_MS;
    if (dwell <= 0 || targets.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const { tenant, actuator } of targets)
      pipeline.set(lastSentKey(tenant, actuator), String(at), 'PX', dwell * 2);
    const results = await pipeline.exec();
    for (const [error] of results ?? []) if (error) throw error;
  }

  async setKillSwitch(
    tenant: string,
    active: boolean,
    reason: string | null,
    changedBy: string,
  ): Promise<KillSwitchRow> {
    const row = await this.repository.setKillSwitch(tenant, active, reason, changedBy);
    await this.catalog.refresh();
    return row;
  }

  /** Registers the candidate's wish and reads what the rules need about its actuator, atomically. */
  private async standingFacts(candidate: CommandCandidate): Promise<ActuatorFacts> {
    const { tenant, actuator } = candidate;
    const wish: Wish = {
      priority: candidate.priority,
      command: candidate.command,
      params: { ...candidate.params },
    };
    const [override, wishList, lastSent] = await this.scripts.sluiceStandingFacts(
      overrideKey(tenant, actuator),
      wishesKey(tenant, actuator),
      lastSentKey(tenant, actuator),
      candidate.programId,
      JSON.stringify(wish),
      7 * 24 * 60 * MINUTE_MS,
    );
    const wishes: Record<string, string> = {};
    for (let i = 0; i < wishList.length; i += 2) wishes[wishList[i]] = wishList[i + 1];
    return { wish, override, wishes, lastSent };
  }

  /** Kill switch, manual override, priority and dwell; `facts` undefined = the tenant is killed. */
  private ruleOnPrograms(
    candidate: CommandCandidate,
    facts: ActuatorFacts | undefined,
    now: number,
    conflicts: ConflictInput[],
  ): SafetyVerdict {
    const { tenant, actuator } = candidate;
    if (facts === undefined) {
      return {
        allowed: false,
        rule: 'kill_switch',
        detail: `kill switch of tenant ${tenant} is on`,
      };
    }
    const { wish, override, wishes, lastSent } = facts;

    if (override !== null) {
      const hold = JSON.parse(override) as {
        until: number;
        by: string;
        command: string;
        params: Record<string, unknown>;
      };
      conflicts.push({
        tenant,
        actuator,
        winnerKind: 'user',
        winnerId: hold.by,
        winnerPriority: null,
        winnerCommand: { command: hold.command, params: hold.params },
        loserProgram: candidate.programId,
        loserPriority: candidate.priority,
        loserCommand: { command: candidate.command, params: candidate.params },
        rule: 'manual_override',
      });
      return {
        allowed: false,
        rule: 'manual_override',
        detail: `manual command by ${hold.by} holds ${actuator} until ${new Date(hold.until).toISOString()}`,
      };
    }

    // the highest-priority enabled program that wants this actuator decides it
    let winner: { id: string; wish: Wish } = { id: candidate.programId, wish };
    const rivals: Array<{ id: string; wish: Wish }> = [];
    for (const [programId, json] of Object.entries(wishes)) {
      if (programId === candidate.programId || !this.catalog.get(`${tenant}/${programId}`))
        continue;
      const other = { id: programId, wish: JSON.parse(json) as Wish };
      rivals.push(other);
      if (
        other.wish.priority > winner.wish.priority ||
        (other.wish.priority === winner.wish.priority && programId < winner.id)
      ) {
        winner = other;
      }
    }
    if (winner.id !== candidate.programId && !sameWish(winner.wish, wish)) {
      conflicts.push(conflictOf(tenant, actuator, winner, { id: candidate.programId, wish }));
      return {
        allowed: false,
        rule: 'lower_priority',
        detail: `program ${winner.id} (priority ${winner.wish.priority}) wants ${describeWish(winner.wish)}`,
      };
    }
    for (const rival of rivals) {
      if (!sameWish(rival.wish, wish))
        conflicts.push(conflictOf(tenant, actuator, { id: candidate.programId, wish }, rival));
    }

    const dwell = this.config.SAFETY_MIN_DWELL_MS;
    const notBefore =
      lastSent !== null && dwell > 0 ? Math.max(now, Number(lastSent) + dwell) : now;
    return { allowed: true, notBefore };
  }

  private async withinRateLimit(
    target: { tenant: string; actuator: string },
    now: number,
  ): Promise<boolean> {
    const key = `ac:rate:${target.tenant}:${target.actuator}:${Math.floor(now / MINUTE_MS)}`;
    const count = await this.scripts.sluiceCountCommand(key, 2 * MINUTE_MS);
    return count <= this.config.SAFETY_MAX_COMMANDS_PER_MINUTE;
  }

  private rateDetail(): string {
    return `more than ${this.config.SAFETY_MAX_COMMANDS_PER_MINUTE} commands to this actuator in one minute`;
  }
}

function conflictOf(
  tenant: string,
  actuator: string,
  winner: { id: string; wish: Wish },
  loser: { id: string; wish: Wish },
): ConflictInput {
  return {
    tenant,
    actuator,
    winnerKind: 'program',
    winnerId: winner.id,
    winnerPriority: winner.wish.priority,
    winnerCommand: { command: winner.wish.command, params: winner.wish.params },
    loserProgram: loser.id,
    loserPriority: loser.wish.priority,
    loserCommand: { command: loser.wish.command, params: loser.wish.params },
    rule: 'priority',
  };
}

function describeWish(wish: Wish): string {
  return `${wish.command} ${JSON.stringify(wish.params)}`;
}

function overrideKey(tenant: string, actuator: string): string {
  return `ac:override:${tenant}:${actuator}`;
}

function wishesKey(tenant: string, actuator: string): string {
  return `ac:wishes:${tenant}:${actuator}`;
}

function lastSentKey(tenant: string, actuator: string): string {
  return `ac:last-sent:${tenant}:${actuator}`;
}
