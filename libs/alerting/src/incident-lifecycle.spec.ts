import {
  acknowledgeIncident,
  applyAlert,
  dedupeKey,
  resolveIncident,
  tickIncident,
  type Incident,
  type IncidentAlert,
  type LifecyclePolicy,
  type NotificationKind,
} from './incident-lifecycle';
import { findActiveSilence, type SilenceWindow } from './silence-matching';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const T0 = 1_700_000_000_000;

const policy: LifecyclePolicy = {
  clearMs: 2 * MINUTE,
  staleResolveMs: 0,
  cooldownMs: 10 * MINUTE,
  renotifyMs: 30 * MINUTE,
  escalateAfterMs: 15 * MINUTE,
};

const alert = (
  state: 'firing' | 'resolved',
  overrides: Partial<IncidentAlert> = {},
): IncidentAlert => ({
  tenant: 'acme',
  device: 'boiler-1',
  metric: 'temperature',
  kind: 'threshold',
  severity: 'warning',
  state,
  message: state === 'firing' ? 'too hot' : 'ok again',
  evidence: {},
  at: T0,
  ...overrides,
});

/**
 * Drives the pure lifecycle the way the notifier does: one open incident per dedupe key, alert
 * events and periodic ticks on an injected clock, every notification recorded.
 */
class LifecycleHarness {
  now = T0;
  open: Incident | undefined;
  readonly incidents: Incident[] = [];
  readonly sent: Array<{ at: number; incident: string; kind: NotificationKind }> = [];
  lastOpenedNotificationAt: number | null = null;
  silences: SilenceWindow[] = [];
  private ids = 0;

  constructor(private readonly lifecyclePolicy: LifecyclePolicy = policy) {}

  private get silenced(): boolean {
    return (
      findActiveSilence(
        this.silences,
        {
          tenant: 'acme',
          device: 'boiler-1',
          metric: 'temperature',
          kind: 'threshold',
          deviceTags: {},
        },
        this.now,
      ) !== undefined
    );
  }

  private record(change: ReturnType<typeof applyAlert>): void {
    if (change === undefined) return;
    const existing = this.incidents.findIndex((incident) => incident.id === change.incident.id);
    if (existing === -1) this.incidents.push(change.incident);
    else this.incidents[existing] = change.incident;
    this.open = change.incident.status === 'resolved' ? undefined : change.incident;
    for (const kind of change.notifications) {
      this.sent.push({ at: this.now, incident: change.incident.id, kind });
      if (kind === 'opened') this.lastOpenedNotificationAt = this.now;
    }
  }

  event(state: 'firing' | 'resolved', overrides: Partial<IncidentAlert> = {}): void {
    const silenced = this.silenced;
    this.record(
      applyAlert(this.open, alert(state, { at: this.now, ...overrides }), {
        policy: this.lifecyclePolicy,
        now: this.now,
        silenced,
        newId: () => `inc-${++this.ids}`,
        lastOpenedNotificationAt: this.lastOpenedNotificationAt,
      }),
    );
  }

  /** Advances the clock in tick steps (the notifier ticks every few seconds). */
  advance(ms: number, stepMs = 5 * SECOND): void {
    const end = this.now + ms;
    while (this.now < end) {
      this.now = Math.min(end, this.now + stepMs);
      if (this.open !== undefined) {
        this.record(
          tickIncident(this.open, {
            policy: this.lifecyclePolicy,
            now: this.now,
            silenced: this.silenced,
            lastOpenedNotificationAt: this.lastOpenedNotificationAt,
          }),
        );
      }
    }
  }

  kinds(): NotificationKind[] {
    return this.sent.map((s) => s.kind);
  }
}

describe('incident lifecycle', () => {
  it('groups alerts by dedupe key: tenant, device, metric and kind', () => {
    expect(dedupeKey(alert('firing'))).toBe('acme/boiler-1/temperature/threshold');
    expect(dedupeKey(alert('firing', { device: null, metric: null, kind: 'consumer_lag' }))).toBe(
      'acme/_system/_/consumer_lag',
    );
  });

  it('turns a flapping condition into one incident and one notification', () => {
    const h = new LifecycleHarness({ ...policy, renotifyMs: 0, escalateAfterMs: 0 });
    for (let i = 0; i < 20; i++) {
      h.event('firing');
      h.advance(30 * SECOND);
      h.event('resolved');
      h.advance(30 * SECOND); // clears for less than clearMs (2 min) each time
    }
    expect(h.incidents).toHaveLength(1);
    expect(h.kinds()).toEqual(['opened']);
    expect(h.incidents[0].eventCount).toBe(40);
  });

  it('resolves automatically once the condition stayed clear for clearMs, and notifies that', () => {
    const h = new LifecycleHarness();
    h.event('firing');
    h.advance(10 * SECOND);
    h.event('resolved');
    const clearedAt = h.now;
    h.advance(2 * MINUTE - 5 * SECOND);
    expect(h.open?.status).toBe('firing');
    h.advance(5 * SECOND);
    expect(h.open).toBeUndefined();
    expect(h.incidents[0]).toMatchObject({
      status: 'resolved',
      resolvedAt: clearedAt + 2 * MINUTE,
      resolvedBy: null,
    });
    expect(h.kinds()).toEqual(['opened', 'resolved']);
  });

  it('holds the next incident of the same key within the cooldown, and never notifies one that ended inside it', () => {
    const h = new LifecycleHarness({ ...policy, renotifyMs: 0, escalateAfterMs: 0 });
    h.event('firing');
    h.event('resolved');
    h.advance(2 * MINUTE); // resolved at T0+2min
    h.event('firing'); // second incident 2 min after the first notification: inside the 10 min cooldown
    expect(h.incidents).toHaveLength(2);
    expect(h.kinds()).toEqual(['opened', 'resolved']);
    h.event('resolved');
    h.advance(2 * MINUTE); // ends while held: nobody was told it opened, so no "resolved" either
    expect(h.kinds()).toEqual(['opened', 'resolved']);

    h.event('firing'); // third incident at T0+4min, still in the cooldown
    h.advance(6 * MINUTE); // the cooldown ends at T0+10min: the held notification goes out then
    const opened = h.sent.filter((s) => s.kind === 'opened');
    expect(opened.map((s) => s.at - T0)).toEqual([0, 10 * MINUTE]);
    expect(opened[1].incident).toBe('inc-3');
  });

  it('re-notifies at the configured interval while firing unacknowledged, and stops after acknowledge', () => {
    const h = new LifecycleHarness({ ...policy, escalateAfterMs: 0 });
    h.event('firing');
    h.advance(95 * MINUTE);
    expect(h.sent.map((s) => `${s.kind}@${(s.at - T0) / MINUTE}`)).toEqual([
      'opened@0',
      'renotify@30',
      'renotify@60',
      'renotify@90',
    ]);
    const change = acknowledgeIncident(h.open!, { now: h.now, by: 'alice' });
    expect(change?.notifications).toEqual(['acknowledged']);
    h.open = change!.incident;
    h.advance(120 * MINUTE);
    expect(h.kinds().filter((k) => k === 'renotify')).toHaveLength(3);
  });

  it('escalates once after escalateAfterMs unacknowledged, not before and not when acknowledged in time', () => {
    const late = new LifecycleHarness({ ...policy, renotifyMs: 0 });
    late.event('firing');
    late.advance(15 * MINUTE - 5 * SECOND);
    expect(late.kinds()).toEqual(['opened']);
    late.advance(60 * MINUTE);
    expect(late.sent.map((s) => `${s.kind}@${(s.at - T0) / MINUTE}`)).toEqual([
      'opened@0',
      'escalated@15',
    ]);

    const acked = new LifecycleHarness({ ...policy, renotifyMs: 0 });
    acked.event('firing');
    acked.advance(10 * MINUTE);
    acked.open = acknowledgeIncident(acked.open!, { now: acked.now, by: 'bob' })!.incident;
    acked.advance(60 * MINUTE);
    expect(acked.kinds()).toEqual(['opened']);
  });

  it('suppresses notifications during a silence and sends the owed one once the silence expires', () => {
    const h = new LifecycleHarness({ ...policy, renotifyMs: 0, escalateAfterMs: 0 });
    h.silences = [
      {
        id: 's1',
        tenant: 'acme',
        device: 'boiler-1',
        metric: null,
        kind: null,
        tagKey: null,
        tagValue: null,
        startsAt: T0,
        endsAt: T0 + 20 * MINUTE,
        reason: 'maintenance',
      },
    ];
    h.event('firing');
    h.advance(20 * MINUTE - 5 * SECOND);
    expect(h.incidents).toHaveLength(1);
    expect(h.sent).toEqual([]);
    h.advance(5 * SECOND);
    expect(h.sent).toEqual([{ at: T0 + 20 * MINUTE, incident: 'inc-1', kind: 'opened' }]);
  });

  it('a silenced incident that ends inside its silence is never notified at all', () => {
    const h = new LifecycleHarness();
    h.silences = [
      {
        id: 's',
        tenant: 'acme',
        device: null,
        metric: 'temperature',
        kind: null,
        tagKey: null,
        tagValue: null,
        startsAt: T0,
        endsAt: T0 + 60 * MINUTE,
        reason: 'test',
      },
    ];
    h.event('firing');
    h.event('resolved');
    h.advance(5 * MINUTE);
    expect(h.incidents[0].status).toBe('resolved');
    expect(h.sent).toEqual([]);
  });

  it('resolves stale incidents whose detector never reports the clear', () => {
    const h = new LifecycleHarness({
      ...policy,
      staleResolveMs: 10 * MINUTE,
      renotifyMs: 0,
      escalateAfterMs: 0,
    });
    h.event('firing');
    h.advance(5 * MINUTE);
    h.event('firing');
    h.advance(10 * MINUTE);
    expect(h.incidents[0]).toMatchObject({ status: 'resolved' });
    expect(h.kinds()).toEqual(['opened', 'resolved']);
  });

  it('a resolved event without an open incident changes nothing; manual resolve works once', () => {
    expect(
      applyAlert(undefined, alert('resolved'), {
        policy,
        now: T0,
        silenced: false,
        newId: () => 'x',
        lastOpenedNotificationAt: null,
      }),
    ).toBeUndefined();
    const opened = applyAlert(undefined, alert('firing'), {
      policy,
      now: T0,
      silenced: false,
      newId: () => 'x',
      lastOpenedNotificationAt: null,
    })!.incident;
    const resolved = resolveIncident(opened, { now: T0 + 1, by: 'carol', reason: 'manual' })!;
    expect(resolved.incident).toMatchObject({ status: 'resolved', resolvedBy: 'carol' });
    expect(resolved.notifications).toEqual(['resolved']);
    expect(
      resolveIncident(resolved.incident, { now: T0 + 2, by: 'carol', reason: 'again' }),
    ).toBeUndefined();
  });

  it('raises the incident severity when a more severe alert of the same key arrives', () => {
    const h = new LifecycleHarness();
    h.event('firing');
    h.event('firing', { severity: 'critical' });
    h.event('firing', { severity: 'info' });
    expect(h.open?.severity).toBe('critical');
  });
});
