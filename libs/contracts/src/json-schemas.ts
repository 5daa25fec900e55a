import { z } from 'zod';
import { ActuatorCommandSchema, ActuatorEventSchema } from './actuators';
import { WindowAggregateSchema } from './aggregates';
import { AlertEventSchema } from './alerts';
import { IncidentNotificationSchema } from './notifications';
import { CleanReadingBatchSchema, DlqRecordSchema, RawReadingBatchSchema } from './telemetry';
import { Topics, type TopicName } from './topics';

/** The zod schema of each topic's record value: the single source for TS types and JSON Schemas. */
export const TopicSchemas: Record<TopicName, z.ZodType> = {
  [Topics.telemetryRaw]: RawReadingBatchSchema,
  [Topics.telemetryClean]: CleanReadingBatchSchema,
  [Topics.telemetryDlq]: DlqRecordSchema,
  [Topics.aggregates1m]: WindowAggregateSchema,
  [Topics.alerts]: AlertEventSchema,
  [Topics.actuatorCommands]: ActuatorCommandSchema,
  [Topics.actuatorEvents]: ActuatorEventSchema,
  [Topics.notifications]: IncidentNotificationSchema,
};

/** JSON Schema (draft 2020-12) of every topic, for consumers outside this repository. */
export function topicJsonSchemas(): Record<TopicName, Record<string, unknown>> {
  const out = {} as Record<TopicName, Record<string, unknown>>;
  for (const [topic, schema] of Object.entries(TopicSchemas) as Array<[TopicName, z.ZodType]>) {
    out[topic] = {
      $id: `https://sluice.dev/schemas/${topic}.json`,
      title: topic,
      ...z.toJSONSchema(schema, { io: 'input' }),
    };
  }
  return out;
}
