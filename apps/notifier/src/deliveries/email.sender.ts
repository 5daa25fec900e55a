import { notificationText, notificationTitle, type IncidentNotification } from '@sluice/alerting';
import nodemailer, { type Transporter } from 'nodemailer';
import { DeliveryError } from './delivery.errors';

/** Email over SMTP (nodemailer), one transport (connection pool) per process. */
export class EmailSender {
  private readonly transport: Transporter | undefined;

  constructor(
    smtpUrl: string | undefined,
    private readonly from: string,
    timeoutMs: number,
  ) {
    this.transport =
      smtpUrl === undefined
        ? undefined
        : nodemailer.createTransport(smtpUrl, {
            pool: true,
            maxConnections: 4,
            connectionTimeout: timeoutMs,
            greetingTimeout: timeoutMs,
            socketTimeout: timeoutMs,
          } as Parameters<typeof nodemailer.createTransport>[1]);
  }

  /**
   * The Message-ID is derived from the idempotency key, so a resend after a crash is the same
   * message to the receiving server (and to mail clients, which collapse duplicates by it).
   */
  async send(to: readonly string[], notification: IncidentNotification): Promise<void> {
    if (this.transport === undefined) {
      throw new DeliveryError('email', 'SMTP_URL is not configured', true);
    }
    try {
      await this.transport.sendMail({
        from: this.from,
        to: [...to],
        subject: notificationTitle(notification),
        text: notificationText(notification),
        messageId: `<${notification.idempotencyKey.replace(/[^A-Za-z0-9._-]/g, '.')}@sluice.notifier>`,
        headers: { 'X-Sluice-Idempotency-Key': notification.idempotencyKey },
      });
    } catch (error) {
      const code = (error as { responseCode?: number }).responseCode;
      // 5xx SMTP replies (bad mailbox, refused) are permanent; connection problems and 4xx are not
      throw new DeliveryError(
        'email',
        error instanceof Error ? error.message : String(error),
        code === undefined || code < 500,
      );
    }
  }

  close(): void {
    this.transport?.close();
  }
}
