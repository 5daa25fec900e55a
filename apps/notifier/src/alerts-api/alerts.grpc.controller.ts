import { randomUUID } from 'node:crypto';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { ALERT_SEVERITIES } from '@sluice/alerting';
import { redactChannel, validateChannelInput, type Channel } from '../channels/channel-config';
import { ChannelsRepository } from '../channels/channels.repository';
import {
  DeliveriesRepository,
  type Delivery,
  type DeliveryStatus,
} from '../deliveries/deliveries.repository';
import { DeliveryWorker } from '../deliveries/delivery.worker';
import { IncidentNotFoundError, IncidentService } from '../incidents/incident.service';
import { IncidentsRepository } from '../incidents/incidents.repository';
import type { HistoryEntry, StoredIncident } from '../incidents/stored-incident';
import { grpcCall, NotifierError } from '../notifier.errors';
import { SilencesRepository, type Silence } from '../silences/silences.repository';

const SERVICE = 'AlertsService';
const MAX_LIMIT = 1000;
const INCIDENT_STATUSES = ['firing', 'acknowledged', 'resolved', 'open'] as const;
const DELIVERY_STATUSES = ['pending', 'delivered', 'dead'] as const;

const orNull = (value: string): string | null => (value === '' ? null : value);
const int = (value: string | number | undefined): number => Number(value ?? 0);
const limitOf = (limit: number): number => Math.min(limit > 0 ? limit : 100, MAX_LIMIT);

function oneOf<T extends string>(
  field: string,
  value: string,
  allowed: readonly T[],
): T | undefined {
  if (value === '') return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new NotifierError('invalid_argument', `invalid ${field}`, [
    { path: field, message: `must be one of ${allowed.join(', ')}` },
  ]);
}

function incidentRecord(incident: StoredIncident, history: HistoryEntry[] = []) {
  return {
    id: incident.id,
    tenant: incident.tenant,
    dedupeKey: incident.dedupeKey,
    device: incident.device ?? '',
    metric: incident.metric ?? '',
    kind: incident.kind,
    severity: incident.severity,
    status: incident.status,
    message: incident.message,
    evidenceJson: JSON.stringify(incident.evidence),
    openedAt: incident.openedAt,
    lastFiringAt: incident.lastFiringAt,
    acknowledgedAt: incident.acknowledgedAt ?? 0,
    acknowledgedBy: incident.acknowledgedBy ?? '',
    resolvedAt: incident.resolvedAt ?? 0,
    resolvedBy: incident.resolvedBy ?? '',
    escalatedAt: incident.escalatedAt ?? 0,
    eventCount: incident.eventCount,
    history: history.map((entry) => ({
      at: entry.at,
      type: entry.type,
      detailJson: JSON.stringify(entry.detail),
    })),
  };
}

function silenceRecord(silence: Silence) {
  return {
    id: silence.id,
    tenant: silence.tenant,
    device: silence.device ?? '',
    metric: silence.metric ?? '',
    kind: silence.kind ?? '',
    tagKey: silence.tagKey ?? '',
    tagValue: silence.tagValue ?? '',
    startsAt: silence.startsAt,
    endsAt: silence.endsAt,
    reason: silence.reason,
    createdBy: silence.createdBy,
    createdAt: silence.createdAt,
  };
}

function channelRecord(channel: Channel) {
  return {
    id: channel.id,
    tenant: channel.tenant,
    channelJson: JSON.stringify(redactChannel(channel)),
  };
}

function deliveryRecord(delivery: Delivery) {
  return {
    id: delivery.id,
    idempotencyKey: delivery.idempotencyKey,
    tenant: delivery.tenant,
    incidentId: delivery.incidentId ?? '',
    channelId: delivery.channelId ?? '',
    channelType: delivery.channelType,
    notification: delivery.notification,
    status: delivery.status,
    attempts: delivery.attempts,
    nextAttemptAt: delivery.nextAttemptAt,
    lastError: delivery.lastError ?? '',
    createdAt: delivery.createdAt,
    deliveredAt: delivery.deliveredAt ?? 0,
  };
}

/** `sluice.alerts.v1.AlertsService`: what the gateway's incident, silence, channel and delivery APIs call. */
@Controller()
export class AlertsGrpcController {
  constructor(
    private readonly incidentService: IncidentService,
    private readonly incidents: IncidentsRepository,
    private readonly silences: SilencesRepository,
    private readonly channels: ChannelsRepository,
    private readonly deliveries: DeliveriesRepository,
    private readonly worker: DeliveryWorker,
  ) {}

  @GrpcMethod(SERVICE, 'ListIncidents')
  listIncidents(request: {
    tenant: string;
    status: string;
    device: string;
    metric: string;
    kind: string;
    severity: string;
    limit: number;
    before: string;
    includeHistory: boolean;
  }) {
    return grpcCall(async () => {
      const incidents = await this.incidents.list(request.tenant, {
        status: oneOf('status', request.status, INCIDENT_STATUSES),
        severity: oneOf('severity', request.severity, ALERT_SEVERITIES),
        device: orNull(request.device) ?? undefined,
        metric: orNull(request.metric) ?? undefined,
        kind: orNull(request.kind) ?? undefined,
        limit: limitOf(request.limit),
        before: int(request.before) > 0 ? int(request.before) : undefined,
      });
      const history = request.includeHistory
        ? await this.incidents.history(incidents.map((i) => i.id))
        : [];
      return {
        incidents: incidents.map((incident) =>
          incidentRecord(
            incident,
            history.filter((entry) => entry.incidentId === incident.id),
          ),
        ),
      };
    });
  }

  @GrpcMethod(SERVICE, 'AcknowledgeIncident')
  acknowledge(request: { tenant: string; id: string; by: string }) {
    return grpcCall(async () =>
      incidentRecord(
        await this.incidentAction(() =>
          this.incidentService.acknowledge(request.tenant, request.id, request.by || 'api'),
        ),
      ),
    );
  }

  @GrpcMethod(SERVICE, 'ResolveIncident')
  resolve(request: { tenant: string; id: string; by: string }) {
    return grpcCall(async () =>
      incidentRecord(
        await this.incidentAction(() =>
          this.incidentService.resolve(request.tenant, request.id, request.by || 'api'),
        ),
      ),
    );
  }

  private async incidentAction(action: () => Promise<StoredIncident>): Promise<StoredIncident> {
    try {
      return await action();
    } catch (error) {
      if (error instanceof IncidentNotFoundError)
        throw new NotifierError('not_found', error.message);
      throw error;
    }
  }

  @GrpcMethod(SERVICE, 'ListSilences')
  listSilences(request: { tenant: string; includeExpired: boolean }) {
    return grpcCall(async () => ({
      silences: (await this.silences.list(request.tenant, request.includeExpired, Date.now())).map(
        silenceRecord,
      ),
    }));
  }

  @GrpcMethod(SERVICE, 'CreateSilence')
  createSilence(request: {
    tenant: string;
    device: string;
    metric: string;
    kind: string;
    tagKey: string;
    tagValue: string;
    startsAt: string;
    endsAt: string;
    reason: string;
    createdBy: string;
  }) {
    return grpcCall(async () => {
      const now = Date.now();
      const startsAt = int(request.startsAt) > 0 ? int(request.startsAt) : now;
      const endsAt = int(request.endsAt);
      const issues: Array<{ path: string; message: string }> = [];
      if (endsAt <= startsAt)
        issues.push({ path: 'endsAt', message: 'must be after startsAt (and in the future)' });
      if (endsAt <= now) issues.push({ path: 'endsAt', message: 'must be in the future' });
      if (request.reason.trim() === '') issues.push({ path: 'reason', message: 'is required' });
      if (request.tagKey === '' && request.tagValue !== '')
        issues.push({ path: 'tag.key', message: 'is required with tag.value' });
      if (issues.length > 0) throw new NotifierError('invalid_argument', 'invalid silence', issues);
      const silence = await this.silences.create({
        tenant: request.tenant,
        device: orNull(request.device),
        metric: orNull(request.metric),
        kind: orNull(request.kind),
        tagKey: orNull(request.tagKey),
        tagValue: request.tagKey === '' ? null : request.tagValue,
        startsAt,
        endsAt,
        reason: request.reason,
        createdBy: request.createdBy || 'api',
      });
      return silenceRecord(silence);
    });
  }

  @GrpcMethod(SERVICE, 'DeleteSilence')
  deleteSilence(request: { tenant: string; id: string }) {
    return grpcCall(async () => {
      if (!(await this.silences.delete(request.tenant, request.id))) {
        throw new NotifierError('not_found', `silence ${request.id} not found`);
      }
      return { deleted: true };
    });
  }

  @GrpcMethod(SERVICE, 'ListChannels')
  listChannels(request: { tenant: string }) {
    return grpcCall(async () => ({
      channels: (await this.channels.list(request.tenant)).map(channelRecord),
    }));
  }

  @GrpcMethod(SERVICE, 'CreateChannel')
  createChannel(request: { tenant: string; channelJson: string }) {
    return grpcCall(async () =>
      channelRecord(
        await this.channels.create(request.tenant, this.channelInput(request.channelJson)),
      ),
    );
  }

  @GrpcMethod(SERVICE, 'UpdateChannel')
  updateChannel(request: { tenant: string; id: string; channelJson: string }) {
    return grpcCall(async () => {
      const existing = await this.channels.get(request.tenant, request.id);
      if (existing === undefined)
        throw new NotifierError('not_found', `channel ${request.id} not found`);
      const input = this.channelInput(request.channelJson, existing);
      const updated = await this.channels.update(request.tenant, request.id, input);
      if (updated === undefined)
        throw new NotifierError('not_found', `channel ${request.id} not found`);
      return channelRecord(updated);
    });
  }

  /** Validates a channel body; a webhook secret sent back redacted ("***") keeps the stored one. */
  private channelInput(json: string, existing?: Channel) {
    let body: unknown;
    try {
      body = JSON.parse(json);
    } catch {
      throw new NotifierError('invalid_argument', 'channel is not valid JSON', [
        { path: '(body)', message: 'not JSON' },
      ]);
    }
    const config = (body as { config?: Record<string, unknown> } | null)?.config;
    if (
      existing !== undefined &&
      config?.secret === '***' &&
      typeof existing.config.secret === 'string'
    ) {
      config.secret = existing.config.secret;
    }
    const result = validateChannelInput(body);
    if (!result.ok) throw new NotifierError('invalid_argument', 'invalid channel', result.issues);
    return result.value;
  }

  @GrpcMethod(SERVICE, 'DeleteChannel')
  deleteChannel(request: { tenant: string; id: string }) {
    return grpcCall(async () => {
      if (!(await this.channels.delete(request.tenant, request.id))) {
        throw new NotifierError('not_found', `channel ${request.id} not found`);
      }
      return { deleted: true };
    });
  }

  @GrpcMethod(SERVICE, 'TestChannel')
  testChannel(request: { tenant: string; id: string }) {
    return grpcCall(async () => {
      const channel = await this.channels.get(request.tenant, request.id);
      if (channel === undefined)
        throw new NotifierError('not_found', `channel ${request.id} not found`);
      const now = Date.now();
      const idempotencyKey = `test:${randomUUID()}:${channel.id}`;
      const [id] = await this.deliveries.enqueueNow([
        {
          idempotencyKey,
          tenant: request.tenant,
          incidentId: null,
          channelId: channel.id,
          channelType: channel.type,
          notification: 'test',
          payload: {
            idempotencyKey,
            notification: 'opened',
            sentAt: now,
            incident: {
              id: 'test',
              tenant: request.tenant,
              device: null,
              metric: null,
              kind: 'test',
              severity: 'info',
              status: 'firing',
              message: `Test notification for channel "${channel.name}"`,
              evidence: {},
              openedAt: now,
              acknowledgedAt: null,
              acknowledgedBy: null,
              resolvedAt: null,
            },
          },
        },
      ]);
      await this.worker.deliverNow([id]);
      const delivery = await this.deliveries.get(request.tenant, id);
      if (delivery === undefined) throw new NotifierError('not_found', `delivery ${id} vanished`);
      return deliveryRecord(delivery);
    });
  }

  @GrpcMethod(SERVICE, 'ListDeliveries')
  listDeliveries(request: {
    tenant: string;
    status: string;
    incidentId: string;
    channelId: string;
    limit: number;
    beforeId: string;
  }) {
    return grpcCall(async () => {
      if (request.beforeId !== '' && !/^\d+$/.test(request.beforeId)) {
        throw new NotifierError('invalid_argument', 'invalid before', [
          { path: 'before', message: 'must be a delivery id' },
        ]);
      }
      const deliveries = await this.deliveries.list(request.tenant, {
        status: oneOf<DeliveryStatus>('status', request.status, DELIVERY_STATUSES),
        incidentId: orNull(request.incidentId) ?? undefined,
        channelId: orNull(request.channelId) ?? undefined,
        limit: limitOf(request.limit),
        beforeId: orNull(request.beforeId) ?? undefined,
      });
      return { deliveries: deliveries.map(deliveryRecord) };
    });
  }

  @GrpcMethod(SERVICE, 'ResendDelivery')
  resendDelivery(request: { tenant: string; id: string }) {
    return grpcCall(async () => {
      if (!/^\d+$/.test(request.id))
        throw new NotifierError('not_found', `delivery ${request.id} not found`);
      const delivery = await this.deliveries.requeue(request.tenant, request.id);
      if (delivery === undefined)
        throw new NotifierError('not_found', `delivery ${request.id} not found`);
      this.worker.wake();
      return deliveryRecord(delivery);
    });
  }
}
