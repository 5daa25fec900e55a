import {
  checkSilence,
  DETECTOR_DEFAULTS,
  resolveDetectors,
  type AlertRulesConfig,
  type DetectorSignal,
} from '@sluice/alerting';
import { buildHeaders, encodeRecord, type AlertEvent } from '@sluice/contracts';
import type { KafkaProducer } from '@sluice/kafka';
import { createCounter } from '@sluice/metrics';
import type { Redis } from 'ioredis';

const silenceSignals = createCounter({
  name: 'sluice_aggregator_silence_signals_total',
  help: 'Device silence alerts published to alerts.v1, by state (firing, resolved)',
  labelNames: ['state'],
});

/** Redis keys (under the aggregator's key prefix). */
const Keys = {
  /** sorted set: member `tenant/device`, score = wall-clock ms of the last reading received */
  lastSeen: 'silence:last-seen',
  /** hash: `tenant/device` → JSON device tags (for rules matching by tag) */
  tags: 'silence:tags',
  /** hash: `tenant/device` → last-seen score the open silence alert was raised for */
  firing: 'silence:firing',
} as const;

export interface SilenceDetectionOptions {
  rules: AlertRulesConfig;
  alertsTopic: string;
  /** Most silent devices handled per check. */
  batchSize: number;
}

/**
 * Device silence: the time each device was last heard from is kept in Redis (updated from
 * telemetry.clean.v1); a periodic check raises a `silence` alert for devices quiet for longer than
 * their rule's `afterMs`, and the first reading of a silent device resolves it.
 *
 * Every replica can run both halves: alert ids derive from the last-seen time they are about, so
 * two replicas raising the same alert produce one id, which the notifier applies once. The alert
 * is published before the Redis state records it, so a crash in between repeats it (same id)
 * instead of losing it.
 */
export class SilenceDetectionService {
  private readonly enabled: boolean;
  private readonly shortestAfterMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly producer: Pick<KafkaProducer, 'send'>,
    private readonly options: SilenceDetectionOptions,
  ) {
    const patches = [options.rules.defaults, ...options.rules.rules.map((rule) => rule.detectors)]
      .map((detectors) => detectors.silence)
      .filter((patch) => patch !== undefined && patch !== null);
    this.enabled = patches.length > 0;
    this.shortestAfterMs = Math.min(
      ...patches.map((patch) => patch?.afterMs ?? DETECTOR_DEFAULTS.silence.afterMs),
      Number.MAX_SAFE_INTEGER,
    );
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  /** Devices heard from at `now`: record it, and resolve the silence of those that were silent. */
  async heard(
    devices: ReadonlyArray<{ tenant: string; device: string; tags: Record<string, string> }>,
    now: number,
  ): Promise<void> {
    if (!this.enabled || devices.length === 0) return;
    const members = [...new Map(devices.map((d) => [`${d.tenant}/${d.device}`, d])).values()];
    const firing = await this.redis.hmget(
      Keys.firing,
      ...members.map((d) => `${d.tenant}/${d.device}`),
    );
    const back = members.flatMap((device, i) =>
      firing[i] === null ? [] : [{ ...device, since: Number(firing[i]) }],
    );
    if (back.length > 0) {
      await this.publish(
        back.map(({ tenant, device, since }) =>
          this.event(
            tenant,
            device,
            {
              kind: 'silence',
              state: 'resolved',
              severity: 'warning',
              message: `device is sending readings again after ${Math.round((now - since) / 1000)} s`,
              evidence: { lastSeenAt: since, backAt: now, silentForMs: now - since },
            },
            since,
            now,
          ),
        ),
      );
    }
    const pipeline = this.redis.pipeline();
    pipeline.zadd(Keys.lastSeen, ...members.flatMap((d) => [now, `${d.tenant}/${d.device}`]));
    pipeline.hset(
      Keys.tags,
      ...members.flatMap((d) => [`${d.tenant}/${d.device}`, JSON.stringify(d.tags)]),
    );
    if (back.length > 0) pipeline.hdel(Keys.firing, ...back.map((d) => `${d.tenant}/${d.device}`));
    await exec(pipeline);
  }

  /** Raises alerts for devices silent at `now`; returns how many were raised. */
  async check(now: number): Promise<number> {
    if (!this.enabled) return 0;
    const quiet = await this.redis.zrangebyscore(
      Keys.lastSeen,
      '-inf',
      now - this.shortestAfterMs,
      'WITHSCORES',
      'LIMIT',
      0,
      this.options.batchSize * 4,
    );
    if (quiet.length === 0) return 0;
    const candidates: Array<{ member: string; lastSeenAt: number }> = [];
    for (let i = 0; i < quiet.length; i += 2)
      candidates.push({ member: quiet[i], lastSeenAt: Number(quiet[i + 1]) });
    const members = candidates.map((c) => c.member);
    const [firing, tags] = await Promise.all([
      this.redis.hmget(Keys.firing, ...members),
      this.redis.hmget(Keys.tags, ...members),
    ]);
    const raised: Array<{ member: string; lastSeenAt: number; event: AlertEvent }> = [];
    candidates.forEach(({ member, lastSeenAt }, i) => {
      if (firing[i] !== null || raised.length >= this.options.batchSize) return;
      const slash = member.indexOf('/');
      const tenant = member.slice(0, slash);
      const device = member.slice(slash + 1);
      const rule = resolveDetectors(this.options.rules, {
        tenant,
        deviceTags: parseTags(tags[i]),
      }).silence;
      if (rule === undefined) return;
      const signal = checkSilence(rule, { lastSeenAt, silenced: false }, now);
      if (signal?.state === 'firing')
        raised.push({
          member,
          lastSeenAt,
          event: this.event(tenant, device, signal, lastSeenAt, now),
        });
    });
    if (raised.length === 0) return 0;
    await this.publish(raised.map((r) => r.event));
    await this.redis.hset(Keys.firing, ...raised.flatMap((r) => [r.member, String(r.lastSeenAt)]));
    return raised.length;
  }

  private event(
    tenant: string,
    device: string,
    signal: DetectorSignal,
    lastSeenAt: number,
    now: number,
  ): AlertEvent {
    silenceSignals.inc({ state: signal.state });
    return {
      id: `${tenant}/${device}/_/silence/${signal.state}/${lastSeenAt}`,
      tenant,
      device,
      metric: null,
      kind: 'silence',
      severity: signal.severity,
      state: signal.state,
      message: signal.message,
      evidence: signal.evidence,
      at: now,
    };
  }

  private async publish(events: AlertEvent[]): Promise<void> {
    await this.producer.send(
      this.options.alertsTopic,
      events.map((event) => ({
        key: `${event.tenant}/${event.device}`,
        value: encodeRecord(event),
        headers: buildHeaders({ ingestTs: event.at }),
      })),
    );
  }
}

function parseTags(raw: string | null): Record<string, string> {
  if (raw === null) return {};
  try {
    return JSON.parse(raw) as Record<string, string>;
  } catch {
    return {};
  }
}

async function exec(pipeline: ReturnType<Redis['pipeline']>): Promise<void> {
  const results = await pipeline.exec();
  const failed = results?.find(([error]) => error !== null);
  if (failed?.[0]) throw failed[0];
}
