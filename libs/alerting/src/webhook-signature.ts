import { createHmac, timingSafeEqual } from 'node:crypto';

/** Headers of every webhook request (generic and Slack) the notifier sends. */
export const WebhookHeaders = {
  signature: 'x-sluice-signature',
  timestamp: 'x-sluice-timestamp',
  idempotencyKey: 'idempotency-key',
  event: 'x-sluice-event',
} as const;

/**
 * `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`. The timestamp is signed with the body
 * so a captured request cannot be replayed later with a fresh timestamp (receivers reject old
 * timestamps), the same scheme Stripe and Slack use.
 */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Receiver-side check, constant-time; `toleranceMs` bounds the accepted timestamp age. */
export function verifyWebhookSignature(input: {
  secret: string;
  signature: string | undefined;
  timestamp: string | undefined;
  body: string;
  now?: number;
  toleranceMs?: number;
}): boolean {
  if (input.signature === undefined || input.timestamp === undefined) return false;
  const timestamp = Number(input.timestamp);
  if (!Number.isInteger(timestamp)) return false;
  const now = input.now ?? Date.now();
  if (Math.abs(now - timestamp) > (input.toleranceMs ?? 5 * 60_000)) return false;
  const expected = Buffer.from(signWebhook(input.secret, timestamp, input.body));
  const actual = Buffer.from(input.signature);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
