import { ALERT_SEVERITIES } from '@sluice/alerting';
import { z } from 'zod';

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });

/** Per-type configuration of a channel; validated when a channel is created or updated. */
export const ChannelConfigSchemas = {
  webhook: z
    .object({
      url: httpUrl,
      /** HMAC-SHA256 key of the `x-sluice-signature` header; without it requests are unsigned. */
      secret: z.string().min(16, 'must be at least 16 characters').optional(),
    })
    .strict(),
  slack: z.object({ url: httpUrl }).strict(),
  email: z
    .object({
      to: z
        .array(z.email({ error: 'must be an email address' }))
        .min(1)
        .max(50),
    })
    .strict(),
} as const;

export type ChannelType = keyof typeof ChannelConfigSchemas;
export const CHANNEL_TYPES = Object.keys(ChannelConfigSchemas) as ChannelType[];

export const ChannelInputSchema = z.object({
  name: z.string().min(1).max(200),
  type: z.enum(CHANNEL_TYPES as [ChannelType, ...ChannelType[]]),
  config: z.record(z.string(), z.unknown()),
  enabled: z.boolean().default(true),
  minSeverity: z.enum(ALERT_SEVERITIES).default('info'),
  escalation: z.boolean().default(false),
});
export type ChannelInput = z.infer<typeof ChannelInputSchema>;

export interface Channel extends ChannelInput {
  id: string;
  tenant: string;
  createdAt: number;
  updatedAt: number;
}

/** Validation problems as {path, message}, paths rooted at the request body (`config.url`). */
export function validateChannelInput(
  input: unknown,
):
  | { ok: true; value: ChannelInput }
  | { ok: false; issues: Array<{ path: string; message: string }> } {
  const base = ChannelInputSchema.safeParse(input);
  if (!base.success) {
    return {
      ok: false,
      issues: base.error.issues.map((issue) => ({
        path: issue.path.join('.') || '(body)',
        message: issue.message,
      })),
    };
  }
  const config = ChannelConfigSchemas[base.data.type].safeParse(base.data.config);
  if (!config.success) {
    return {
      ok: false,
      issues: config.error.issues.map((issue) => ({
        path: ['config', ...issue.path].join('.'),
        message: issue.message,
      })),
    };
  }
  return { ok: true, value: { ...base.data, config: config.data } };
}

/** A channel as APIs show it: the webhook secret is never echoed back. */
export function redactChannel(channel: Channel): Channel {
  if (channel.type !== 'webhook' || channel.config.secret === undefined) return channel;
  return { ...channel, config: { ...channel.config, secret: '***' } };
}
