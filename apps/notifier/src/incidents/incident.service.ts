import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  acknowledgeIncident,
  applyAlert,
  dedupeKey,
  findActiveSilence,
  resolveIncident,
  routeNotification,
  tickIncident,
  type IncidentChange,
  type LifecyclePolicy,
} from '@sluice/alerting';
import type { AlertEvent } from '@sluice/contracts';
import type pg from 'pg';
import type { Channel } from '../channels/channel-config';
import { ChannelsRepository } from '../channels/channels.repository';
import { DeliveriesRepository, type NewDelivery } from '../deliveries/deliveries.repository';
import { DeliveryWorker } from '../deliveries/delivery.worker';
import { NOTIFIER_CONFIG, type NotifierConfig } from '../notifier.config';
import { SilencesRepository, type Silence } from '../silences/silences.repository';
import { incidentMetrics } from './incident.metrics';
import { IncidentsRepository } from './incidents.repository';
import {
  incidentSnapshot,
  lifecyclePolicy,
  type HistoryEntry,
  type StoredIncident,
} from './stored-incident';

/** Raised for API calls on an incident that does not exist (in the caller's tenant). */
export class IncidentNotFoundError extends Error {
  constructor(
    readonly tenant: string,
    readonly id: string,
  ) {
    super(`incident ${id} not found in tenant ${tenant}`);
    this.name = 'IncidentNotFoundError';
  }
}

/** What one transaction changed, written at its end. */
class ChangeSet {
  readonly incidents = new Map<string, StoredIncident>();
  readonly history: HistoryEntry[] = [];
  readonly deliveries: NewDelivery[] = [];
  readonly openedNotifications = new Map<string, number>();
}

/**
 * The alert lifecycle on top of PostgreSQL: applies alerts.v1 events and timers to incidents with
 * the pure lifecycle of @sluice/alerting, and writes the resulting notifications to the outbox in
 * the same transaction as the incident change (so a crash either loses both or neither).
 */
@Injectable()
export class IncidentService {
  private readonly policy: LifecyclePolicy;

  constructor(
    private readonly incidents: IncidentsRepository,
    private readonly silences: SilencesRepository,
    private readonly channels: ChannelsRepository,
    private readonly deliveries: DeliveriesRepository,
    private readonly worker: DeliveryWorker,
    @Inject(NOTIFIER_CONFIG) config: NotifierConfig,
  ) {
    this.policy = lifecyclePolicy(config);
  }

  /** Applies a batch of alert events (at-least-once: ids already applied are skipped). */
  async ingest(
    events: readonly AlertEvent[],
    now = Date.now(),
  ): Promise<{ applied: number; duplicates: number }> {
    if (events.length === 0) return { applied: 0, duplicates: 0 };
    const result = await this.incidents.transaction(async (client) => {
      const fresh = await this.incidents.markEventsSeen(client, [
        ...new Set(events.map((event) => event.id)),
      ]);
      const todo = events.filter((event) => fresh.delete(event.id));
      if (todo.length === 0) return { applied: 0, changes: undefined };
      const keys = [...new Set(todo.map((event) => dedupeKey(event)))].sort();
      const tenants = [...new Set(todo.map((event) => event.tenant))];
      // one connection runs one query at a time: sequential on purpose
      const open = await this.incidents.lockOpenByKeys(client, keys);
      const lastOpened = await this.incidents.lastOpenedNotifications(client, keys);
      const silences = await this.silences.current(client, tenants, now);
      const channels = await this.channels.forTenants(client, tenants);
      const tags = await this.tagsOf(client, todo);

      const changes = new ChangeSet();
      for (const event of todo) {
        const key = dedupeKey(event);
        const deviceTags =
          (event.device !== null && tags.get(`${event.tenant}/${event.device}`)) || {};
        const current = open.get(key);
        const change = applyAlert(current, event, {
          policy: this.policy,
          now,
          silenced: this.isSilenced(silences, { ...event, deviceTags }, now),
          newId: () => `inc_${randomUUID()}`,
          lastOpenedNotificationAt:
            changes.openedNotifications.get(key) ?? lastOpened.get(key) ?? null,
        });
        if (change === undefined) continue;
        const stored = this.record(changes, current, change, deviceTags, channels, now);
        open.set(key, stored);
      }
      await this.persist(client, changes);
      return { applied: todo.length, changes };
    });
    incidentMetrics.alerts.inc({ outcome: 'applied' }, result.applied);
    incidentMetrics.alerts.inc({ outcome: 'duplicate' }, events.length - result.applied);
    this.afterCommit(result.changes);
    return { applied: result.applied, duplicates: events.length - result.applied };
  }

  /** Advances the timers of open incidents that may be due; returns how many changed. */
  async tick(now = Date.now(), limit = 1000): Promise<number> {
    const changes = await this.incidents.transaction(async (client) => {
      const due = await this.incidents.lockDue(client, now, this.policy, limit);
      if (due.length === 0) return undefined;
      const tenants = [...new Set(due.map((incident) => incident.tenant))];
      const keys = due.map((incident) => incident.dedupeKey);
      const lastOpened = await this.incidents.lastOpenedNotifications(client, keys);
      const silences = await this.silences.current(client, tenants, now);
      const channels = await this.channels.forTenants(client, tenants);
      const set = new ChangeSet();
      for (const incident of due) {
        const change = tickIncident(incident, {
          policy: this.policy,
          now,
          silenced: this.isSilenced(silences, incident, now),
          lastOpenedNotificationAt:
            set.openedNotifications.get(incident.dedupeKey) ??
            lastOpened.get(incident.dedupeKey) ??
            null,
        });
        if (change !== undefined)
          this.record(set, incident, change, incident.deviceTags, channels, now);
      }
      await this.persist(client, set);
      return set;
    });
    this.afterCommit(changes);
    return changes?.incidents.size ?? 0;
  }

  async acknowledge(
    tenant: string,
    id: string,
    by: string,
    now = Date.now(),
  ): Promise<StoredIncident> {
    return this.manual(tenant, id, now, (incident) => acknowledgeIncident(incident, { now, by }));
  }

  async resolve(tenant: string, id: string, by: string, now = Date.now()): Promise<StoredIncident> {
    return this.manual(tenant, id, now, (incident) =>
      resolveIncident(incident, { now, by, reason: 'manual' }),
    );
  }

  private async manual(
    tenant: string,
    id: string,
    now: number,
    transition: (incident: StoredIncident) => IncidentChange | undefined,
  ): Promise<StoredIncident> {
    const { incident, changes } = await this.incidents.transaction(async (client) => {
      const current = await this.incidents.lockById(client, tenant, id);
      if (current === undefined) throw new IncidentNotFoundError(tenant, id);
      const change = transition(current);
      // acknowledging an acknowledged incident, resolving a resolved one: nothing to do
      if (change === undefined) return { incident: current, changes: undefined };
      const set = new ChangeSet();
      const channels = await this.channels.forTenants(client, [tenant]);
      const stored = this.record(set, current, change, current.deviceTags, channels, now);
      await this.persist(client, set);
      return { incident: stored, changes: set };
    });
    this.afterCommit(changes);
    return incident;
  }

  private isSilenced(
    silences: readonly Silence[],
    subject: {
      tenant: string;
      device: string | null;
      metric: string | null;
      kind: string;
      deviceTags: Record<string, string>;
    },
    now: number,
  ): boolean {
    return findActiveSilence(silences, subject, now) !== undefined;
  }

  private async tagsOf(
    client: pg.PoolClient,
    events: readonly AlertEvent[],
  ): Promise<Map<string, Record<string, string>>> {
    const byTenant = new Map<string, Set<string>>();
    for (const event of events) {
      if (event.device === null) continue;
      const devices = byTenant.get(event.tenant) ?? new Set<string>();
      devices.add(event.device);
      byTenant.set(event.tenant, devices);
    }
    const out = new Map<string, Record<string, string>>();
    for (const [tenant, devices] of byTenant) {
      const tags = await this.incidents.deviceTags(client, tenant, [...devices]);
      for (const [device, deviceTags] of tags) out.set(`${tenant}/${device}`, deviceTags);
    }
    return out;
  }

  /** Adds one lifecycle change to the change set: the incident, its history and its deliveries. */
  private record(
    set: ChangeSet,
    previous: StoredIncident | undefined,
    change: IncidentChange,
    deviceTags: Record<string, string>,
    channels: readonly Channel[],
    now: number,
  ): StoredIncident {
    let seq = previous?.id === change.incident.id ? previous.notificationSeq : 0;
    const incident = change.incident;
    const tenantChannels = channels.filter((channel) => channel.tenant === incident.tenant);
    for (const notification of change.notifications) {
      seq += 1;
      const base = `${incident.id}:${seq}:${notification}`;
      const payload = {
        idempotencyKey: base,
        notification,
        incident: incidentSnapshot(incident),
        sentAt: now,
      };
      // the in-app feed gets every notification; configured channels as routed
      set.deliveries.push({
        idempotencyKey: `${base}:in-app`,
        tenant: incident.tenant,
        incidentId: incident.id,
        channelId: null,
        channelType: 'websocket',
        notification,
        payload: { ...payload, idempotencyKey: `${base}:in-app` },
      });
      for (const channel of routeNotification(tenantChannels, {
        notification,
        severity: incident.severity,
        escalated: incident.escalatedAt !== null,
      })) {
        const idempotencyKey = `${base}:${channel.id}`;
        set.deliveries.push({
          idempotencyKey,
          tenant: incident.tenant,
          incidentId: incident.id,
          channelId: channel.id,
          channelType: channel.type,
          notification,
          payload: { ...payload, idempotencyKey },
        });
      }
      if (notification === 'opened') set.openedNotifications.set(incident.dedupeKey, now);
      incidentMetrics.notifications.inc({ notification });
    }
    if (previous === undefined || previous.id !== incident.id)
      incidentMetrics.incidents.inc({ transition: 'opened' });
    if (previous !== undefined && previous.status !== incident.status) {
      incidentMetrics.incidents.inc({ transition: incident.status });
    }
    const stored: StoredIncident = {
      ...incident,
      deviceTags: previous?.id === incident.id ? previous.deviceTags : deviceTags,
      notificationSeq: seq,
    };
    set.incidents.set(stored.id, stored);
    for (const entry of change.history)
      set.history.push({ incidentId: stored.id, at: now, ...entry });
    return stored;
  }

  private async persist(client: pg.PoolClient, set: ChangeSet): Promise<void> {
    await this.incidents.save(
      client,
      [...set.incidents.values()],
      set.history,
      set.openedNotifications,
    );
    await this.deliveries.enqueue(client, set.deliveries);
  }

  private afterCommit(set: ChangeSet | undefined): void {
    if (set !== undefined && set.deliveries.length > 0) this.worker.wake();
  }
}
