import { z } from 'zod';
import { DeviceIdSchema, EpochMsSchema, TenantIdSchema } from './identifiers';

/** `actuator.commands.v1`: key = `tenant/actuator`. Agents apply a command id at most once. */
export const ActuatorCommandSchema = z.object({
  id: z.string().min(1),
  tenant: TenantIdSchema,
  actuator: DeviceIdSchema,
  action: z.enum(['set_state', 'set_level', 'pulse']),
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  issuer: z.object({ kind: z.enum(['program', 'user']), id: z.string() }),
  reason: z.string(),
  issuedAt: EpochMsSchema,
  expiresAt: EpochMsSchema,
});
export type ActuatorCommand = z.infer<typeof ActuatorCommandSchema>;

/** `actuator.events.v1`: acknowledgements and state reports from actuators. Key `tenant/actuator`. */
export const ActuatorEventSchema = z.object({
  tenant: TenantIdSchema,
  actuator: DeviceIdSchema,
  kind: z.enum(['ack', 'nack', 'state']),
  commandId: z.string().nullable(),
  state: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  at: EpochMsSchema,
});
export type ActuatorEvent = z.infer<typeof ActuatorEventSchema>;
