import type { WindowAggregate } from '@sluice/contracts';
import type { Redis } from 'ioredis';
import { keyPrefixOf, speedLayerCommands } from './speed-layer.commands';
import { SpeedLayerError } from './speed-layer.errors';
import { SpeedLayerKeys } from './speed-layer.keys';
import { parseWindowHash } from './read-speed-layer';

export interface ClaimOptions {
  nowMs: number;
  allowedLatenessMs: number;
  /**
   * Extra wait past the lateness before closing, covering clock skew between aggregator replicas
   * and batches still in flight; the apply script refuses readings by the same lateness rule.
   */
  graceMs: number;
  /** How long a claimed window stays invisible to other closers before it is offered again. */
  leaseMs: number;
  limit: number;
}

export interface ClaimedWindow {
  /** The open-windows member, to acknowledge after publishing. */
  member: string;
  aggregate: WindowAggregate;
}

/**
 * Claims windows whose end + lateness + grace has passed: marks them closed and leases them.
 * Protocol: claim → publish → acknowledgeClosedWindows. A crash before the acknowledgement
 * republishes the same (now immutable) window after the lease, so delivery is at-least-once with
 * identical content; consumers dedupe by (tenant, device, metric, windowStart).
 */
export async function claimClosedWindows(
  redis: Redis,
  options: ClaimOptions,
): Promise<ClaimedWindow[]> {
  const dueScore = options.nowMs - options.allowedLatenessMs - options.graceMs;
  let reply: Array<string | string[]>;
  try {
    reply = await speedLayerCommands(redis).sluiceSpeedClaim(
      SpeedLayerKeys.openWindows(),
      dueScore,
      options.limit,
      dueScore + options.leaseMs,
      keyPrefixOf(redis),
    );
  } catch (error) {
    throw new SpeedLayerError('claimClosedWindows', `windows ending before ${dueScore}`, error);
  }
  const claimed: ClaimedWindow[] = [];
  for (let i = 0; i < reply.length; i += 2) {
    const fields = reply[i + 1] as string[];
    const hash: Record<string, string> = {};
    for (let f = 0; f < fields.length; f += 2) hash[fields[f]] = fields[f + 1];
    const { closed: _closed, ...aggregate } = parseWindowHash(hash);
    claimed.push({ member: reply[i] as string, aggregate });
  }
  return claimed;
}

/** Removes published windows from the open set (the windows themselves expire with retention). */
export async function acknowledgeClosedWindows(
  redis: Redis,
  members: ReadonlyArray<string>,
): Promise<void> {
  if (members.length === 0) return;
  try {
    await redis.zrem(SpeedLayerKeys.openWindows(), ...members);
  } catch (error) {
    throw new SpeedLayerError('acknowledgeClosedWindows', `${members.length} windows`, error);
  }
}
