import { z } from 'zod';
import {
  DeviceIdSchema,
  formatIssues,
  type CleanReading,
  type IncidentNotificationRecord,
} from '@sluice/contracts';
import type { ApiErrorDetail } from '../http/api-error';

/** Messages a client sends on /ws. */
export const ClientMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('auth'), apiKey: z.string().min(1) }),
  z.object({ type: z.literal('subscribe'), devices: z.array(DeviceIdSchema).min(1).max(1000) }),
  z.object({ type: z.literal('unsubscribe'), devices: z.array(DeviceIdSchema).min(1).max(1000) }),
  z.object({ type: z.literal('ping') }),
  /** Incident notifications of the client's tenant (opened, acknowledged, resolved, ...). */
  z.object({ type: z.literal('subscribe-alerts') }),
  z.object({ type: z.literal('unsubscribe-alerts') }),
]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;

/** Messages the gateway sends on /ws. */
export type ServerMessage =
  | { type: 'authenticated'; tenant: string }
  | { type: 'subscribed'; devices: string[] }
  | { type: 'readings'; device: string; readings: CleanReading[] }
  /** Frames this client missed because it read too slowly (sent once it catches up). */
  | { type: 'dropped'; frames: number }
  | { type: 'pong' }
  | { type: 'alerts-subscribed'; subscribed: boolean }
  /** An incident changed (in-app notification from the notifier via notifications.v1). */
  | {
      type: 'incident';
      notification: IncidentNotificationRecord['notification'];
      incident: IncidentNotificationRecord['incident'];
    }
  | { type: 'error'; code: string; message: string; details: ApiErrorDetail[] };

export type ParsedClientMessage =
  | { ok: true; message: ClientMessage }
  | { ok: false; error: Extract<ServerMessage, { type: 'error' }> };

export function parseClientMessage(raw: string): ParsedClientMessage {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    return {
      ok: false,
      error: {
        type: 'error',
        code: 'invalid_json',
        message: 'message is not valid JSON',
        details: [
          { path: '(message)', message: error instanceof Error ? error.message : String(error) },
        ],
      },
    };
  }
  const parsed = ClientMessageSchema.safeParse(json);
  if (parsed.success) return { ok: true, message: parsed.data };
  return {
    ok: false,
    error: {
      type: 'error',
      code: 'invalid_message',
      message:
        'expected {"type":"auth"|"subscribe"|"unsubscribe"|"subscribe-alerts"|"unsubscribe-alerts"|"ping", ...}',
      details: formatIssues(parsed.error),
    },
  };
}
