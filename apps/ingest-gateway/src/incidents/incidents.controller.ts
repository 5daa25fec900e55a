import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { z } from 'zod';
import type { Principal } from '../auth/api-key';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { RequireScope } from '../auth/require-scope.decorator';
import { parseRequestInput } from '../http/request-input';
import { NotifierClient } from './notifier.client';

const SEVERITIES = ['info', 'warning', 'critical'] as const;
const TimeSchema = z.union([
  z.coerce.number().int().positive(),
  z.iso.datetime().transform((value) => Date.parse(value)),
]);

const IncidentsQuerySchema = z.object({
  status: z.enum(['open', 'firing', 'acknowledged', 'resolved']).optional(),
  device: z.string().optional(),
  metric: z.string().optional(),
  kind: z.string().optional(),
  severity: z.enum(SEVERITIES).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  before: TimeSchema.optional(),
  history: z.stringbool().default(false),
});

const SilenceBodySchema = z
  .object({
    device: z.string().min(1).optional(),
    metric: z.string().min(1).optional(),
    kind: z.string().min(1).optional(),
    tag: z.object({ key: z.string().min(1), value: z.string() }).optional(),
    startsAt: TimeSchema.optional(),
    endsAt: TimeSchema.optional(),
    /** Alternative to endsAt: the silence lasts this long from startsAt (or now). */
    durationMs: z.number().int().positive().optional(),
    reason: z.string().min(1).max(1000),
  })
  .refine((body) => body.endsAt !== undefined || body.durationMs !== undefined, {
    message: 'endsAt or durationMs is required',
    path: ['endsAt'],
  });

const DeliveriesQuerySchema = z.object({
  status: z.enum(['pending', 'delivered', 'dead']).optional(),
  incident: z.string().optional(),
  channel: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  before: z.string().regex(/^\d+$/, 'must be a delivery id').optional(),
});

/** Epoch ms or null (proto int64 arrive as decimal strings; 0 = unset). */
const time = (value: string | number): number | null => (Number(value) > 0 ? Number(value) : null);
const orNull = (value: string): string | null => (value === '' ? null : value);

interface IncidentMessage {
  id: string;
  dedupeKey: string;
  device: string;
  metric: string;
  kind: string;
  severity: string;
  status: string;
  message: string;
  evidenceJson: string;
  openedAt: string;
  lastFiringAt: string;
  acknowledgedAt: string;
  acknowledgedBy: string;
  resolvedAt: string;
  resolvedBy: string;
  escalatedAt: string;
  eventCount: number;
  history: Array<{ at: string; type: string; detailJson: string }>;
}

function incidentView(message: IncidentMessage, withHistory: boolean) {
  return {
    id: message.id,
    dedupeKey: message.dedupeKey,
    device: orNull(message.device),
    metric: orNull(message.metric),
    kind: message.kind,
    severity: message.severity,
    status: message.status,
    message: message.message,
    evidence: JSON.parse(message.evidenceJson || '{}') as Record<string, unknown>,
    openedAt: time(message.openedAt),
    lastFiringAt: time(message.lastFiringAt),
    acknowledgedAt: time(message.acknowledgedAt),
    acknowledgedBy: orNull(message.acknowledgedBy),
    resolvedAt: time(message.resolvedAt),
    resolvedBy: orNull(message.resolvedBy),
    escalatedAt: time(message.escalatedAt),
    eventCount: message.eventCount,
    ...(withHistory
      ? {
          history: message.history.map((entry) => ({
            at: time(entry.at),
            type: entry.type,
            detail: JSON.parse(entry.detailJson || '{}') as Record<string, unknown>,
          })),
        }
      : {}),
  };
}

interface SilenceMessage {
  id: string;
  device: string;
  metric: string;
  kind: string;
  tagKey: string;
  tagValue: string;
  startsAt: string;
  endsAt: string;
  reason: string;
  createdBy: string;
  createdAt: string;
}

function silenceView(message: SilenceMessage) {
  return {
    id: message.id,
    device: orNull(message.device),
    metric: orNull(message.metric),
    kind: orNull(message.kind),
    tag: message.tagKey ? { key: message.tagKey, value: message.tagValue } : null,
    startsAt: time(message.startsAt),
    endsAt: time(message.endsAt),
    reason: message.reason,
    createdBy: message.createdBy,
    createdAt: time(message.createdAt),
  };
}

const channelView = (message: { channelJson: string }) =>
  JSON.parse(message.channelJson) as Record<string, unknown>;

interface DeliveryMessage {
  id: string;
  idempotencyKey: string;
  incidentId: string;
  channelId: string;
  channelType: string;
  notification: string;
  status: string;
  attempts: number;
  nextAttemptAt: string;
  lastError: string;
  createdAt: string;
  deliveredAt: string;
}

function deliveryView(message: DeliveryMessage) {
  return {
    id: message.id,
    idempotencyKey: message.idempotencyKey,
    incidentId: orNull(message.incidentId),
    channelId: orNull(message.channelId),
    channelType: message.channelType,
    notification: message.notification,
    status: message.status,
    attempts: message.attempts,
    nextAttemptAt: message.status === 'pending' ? time(message.nextAttemptAt) : null,
    lastError: orNull(message.lastError),
    createdAt: time(message.createdAt),
    deliveredAt: time(message.deliveredAt),
  };
}

const by = (principal: Principal): string => `key:${principal.keyId}`;

/**
 * Incidents, silences, channels and the delivery log (gRPC to the notifier). Times are epoch ms.
 * - `GET /api/v1/incidents?status=open|firing|acknowledged|resolved&device=&metric=&kind=&severity=&limit=&before=&history=true`
 *   → `{incidents:[{id, dedupeKey, device, metric, kind, severity, status, message, evidence, openedAt,
 *   lastFiringAt, acknowledgedAt, acknowledgedBy, resolvedAt, resolvedBy, escalatedAt, eventCount, history?}]}`
 *   newest first (`before` = openedAt of the last one for the next page)
 * - `POST /api/v1/incidents/:id/acknowledge`, `POST /api/v1/incidents/:id/resolve` (write) → the incident
 * - `GET /api/v1/silences?expired=true` → `{silences:[{id, device, metric, kind, tag:{key,value}|null,
 *   startsAt, endsAt, reason, createdBy, createdAt}]}`
 * - `POST /api/v1/silences` (write) `{device?, metric?, kind?, tag?:{key,value}, startsAt?, endsAt | durationMs, reason}` → 201 silence
 * - `DELETE /api/v1/silences/:id` (write) → 204
 * - `GET /api/v1/channels` → `{channels:[{id, tenant, name, type, config, enabled, minSeverity, escalation, createdAt, updatedAt}]}`
 *   (webhook secrets shown as "***"; send "***" back to keep the stored one)
 * - `POST /api/v1/channels` (admin) `{name, type: webhook|slack|email, config, enabled?, minSeverity?, escalation?}` → 201;
 *   config: webhook `{url, secret?}`, slack `{url}`, email `{to:[...]}`
 * - `PUT /api/v1/channels/:id` (admin, same body) → channel; `DELETE /api/v1/channels/:id` (admin) → 204
 * - `POST /api/v1/channels/:id/test` (write) → the test delivery (status delivered|pending|dead, lastError)
 * - `GET /api/v1/deliveries?status=pending|delivered|dead&incident=&channel=&limit=&before=` → `{deliveries:[{id,
 *   idempotencyKey, incidentId, channelId, channelType, notification, status, attempts, nextAttemptAt,
 *   lastError, createdAt, deliveredAt}]}` newest first
 * - `POST /api/v1/deliveries/:id/resend` (write) → the delivery, queued again (same idempotency key)
 */
@Controller('api/v1')
export class IncidentsController {
  constructor(private readonly notifier: NotifierClient) {}

  @Get('incidents')
  @RequireScope('read')
  async incidents(
    @CurrentPrincipal() principal: Principal,
    @Query() query: Record<string, unknown>,
  ) {
    const filter = parseRequestInput(IncidentsQuerySchema, query, 'query');
    const reply = await this.notifier.call<{ incidents: IncidentMessage[] }>('ListIncidents', {
      tenant: principal.tenant,
      status: filter.status ?? '',
      device: filter.device ?? '',
      metric: filter.metric ?? '',
      kind: filter.kind ?? '',
      severity: filter.severity ?? '',
      limit: filter.limit,
      before: filter.before ?? 0,
      includeHistory: filter.history,
    });
    return { incidents: reply.incidents.map((incident) => incidentView(incident, filter.history)) };
  }

  @Post('incidents/:id/acknowledge')
  @HttpCode(200)
  @RequireScope('write')
  async acknowledge(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    const reply = await this.notifier.call<IncidentMessage>('AcknowledgeIncident', {
      tenant: principal.tenant,
      id,
      by: by(principal),
    });
    return incidentView(reply, false);
  }

  @Post('incidents/:id/resolve')
  @HttpCode(200)
  @RequireScope('write')
  async resolve(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    const reply = await this.notifier.call<IncidentMessage>('ResolveIncident', {
      tenant: principal.tenant,
      id,
      by: by(principal),
    });
    return incidentView(reply, false);
  }

  @Get('silences')
  @RequireScope('read')
  async silences(
    @CurrentPrincipal() principal: Principal,
    @Query('expired') expired: string | undefined,
  ) {
    const reply = await this.notifier.call<{ silences: SilenceMessage[] }>('ListSilences', {
      tenant: principal.tenant,
      includeExpired: expired === 'true' || expired === '1',
    });
    return { silences: reply.silences.map(silenceView) };
  }

  @Post('silences')
  @HttpCode(201)
  @RequireScope('write')
  async createSilence(@CurrentPrincipal() principal: Principal, @Body() body: unknown) {
    const input = parseRequestInput(SilenceBodySchema, body, 'body');
    const startsAt = input.startsAt ?? Date.now();
    const reply = await this.notifier.call<SilenceMessage>('CreateSilence', {
      tenant: principal.tenant,
      device: input.device ?? '',
      metric: input.metric ?? '',
      kind: input.kind ?? '',
      tagKey: input.tag?.key ?? '',
      tagValue: input.tag?.value ?? '',
      startsAt,
      endsAt: input.endsAt ?? startsAt + (input.durationMs ?? 0),
      reason: input.reason,
      createdBy: by(principal),
    });
    return silenceView(reply);
  }

  @Delete('silences/:id')
  @HttpCode(204)
  @RequireScope('write')
  async deleteSilence(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    await this.notifier.call('DeleteSilence', { tenant: principal.tenant, id });
  }

  @Get('channels')
  @RequireScope('read')
  async channels(@CurrentPrincipal() principal: Principal) {
    const reply = await this.notifier.call<{ channels: Array<{ channelJson: string }> }>(
      'ListChannels',
      {
        tenant: principal.tenant,
      },
    );
    return { channels: reply.channels.map(channelView) };
  }

  @Post('channels')
  @HttpCode(201)
  @RequireScope('admin')
  async createChannel(@CurrentPrincipal() principal: Principal, @Body() body: unknown) {
    return channelView(
      await this.notifier.call<{ channelJson: string }>('CreateChannel', {
        tenant: principal.tenant,
        id: '',
        channelJson: JSON.stringify(body ?? {}),
      }),
    );
  }

  @Put('channels/:id')
  @RequireScope('admin')
  async updateChannel(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    return channelView(
      await this.notifier.call<{ channelJson: string }>('UpdateChannel', {
        tenant: principal.tenant,
        id,
        channelJson: JSON.stringify(body ?? {}),
      }),
    );
  }

  @Delete('channels/:id')
  @HttpCode(204)
  @RequireScope('admin')
  async deleteChannel(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    await this.notifier.call('DeleteChannel', { tenant: principal.tenant, id });
  }

  @Post('channels/:id/test')
  @HttpCode(200)
  @RequireScope('write')
  async testChannel(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return deliveryView(
      await this.notifier.call<DeliveryMessage>(
        'TestChannel',
        { tenant: principal.tenant, id },
        30_000,
      ),
    );
  }

  @Get('deliveries')
  @RequireScope('read')
  async deliveries(
    @CurrentPrincipal() principal: Principal,
    @Query() query: Record<string, unknown>,
  ) {
    const filter = parseRequestInput(DeliveriesQuerySchema, query, 'query');
    const reply = await this.notifier.call<{ deliveries: DeliveryMessage[] }>('ListDeliveries', {
      tenant: principal.tenant,
      status: filter.status ?? '',
      incidentId: filter.incident ?? '',
      channelId: filter.channel ?? '',
      limit: filter.limit,
      beforeId: filter.before ?? '',
    });
    return { deliveries: reply.deliveries.map(deliveryView) };
  }

  @Post('deliveries/:id/resend')
  @HttpCode(200)
  @RequireScope('write')
  async resend(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return deliveryView(
      await this.notifier.call<DeliveryMessage>('ResendDelivery', { tenant: principal.tenant, id }),
    );
  }
}
