import {
  signWebhook,
  slackMessage,
  WebhookHeaders,
  type IncidentNotification,
} from '@sluice/alerting';
import { DeliveryError } from './delivery.errors';

/** Status codes worth retrying: timeouts, rate limits and server-side failures. */
function retryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/**
 * POSTs a notification to a webhook (generic JSON, signed when the channel has a secret) or a
 * Slack incoming webhook (Slack's `text` + `blocks` shape). Both carry the idempotency key header.
 */
export async function sendHttpNotification(input: {
  kind: 'webhook' | 'slack';
  url: string;
  secret?: string;
  notification: IncidentNotification;
  timeoutMs: number;
  now: number;
}): Promise<void> {
  const body = JSON.stringify(
    input.kind === 'slack' ? slackMessage(input.notification) : input.notification,
  );
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'sluice-notifier',
    [WebhookHeaders.idempotencyKey]: input.notification.idempotencyKey,
    [WebhookHeaders.event]: input.notification.notification,
    [WebhookHeaders.timestamp]: String(input.now),
  };
  if (input.secret !== undefined) {
    headers[WebhookHeaders.signature] = signWebhook(input.secret, input.now, body);
  }
  let response: Response;
  try {
    response = await fetch(input.url, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(input.timeoutMs),
      redirect: 'error',
    });
  } catch (error) {
    const cause =
      error instanceof Error
        ? ((error.cause as Error | undefined)?.message ?? error.message)
        : String(error);
    throw new DeliveryError(input.kind, `POST ${redactUrl(input.url)}: ${cause}`, true);
  }
  // drain the body so the connection can be reused
  const text = await response.text().catch(() => '');
  if (!response.ok) {
    throw new DeliveryError(
      input.kind,
      `POST ${redactUrl(input.url)} answered ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`,
      retryableStatus(response.status),
    );
  }
}

/** Slack webhook URLs are secrets (the path is the token): log the origin only. */
function redactUrl(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid url)';
  }
}
