import { createCounter, createHistogram } from '@sluice/metrics';

export const commandsIssued = createCounter({
  name: 'sluice_actuator_controller_commands_issued_total',
  help: 'Commands persisted, by issuer kind (program, user) and initial status (pending, rejected)',
  labelNames: ['issuer', 'status'] as const,
});

export const commandsPublished = createCounter({
  name: 'sluice_actuator_controller_commands_published_total',
  help: 'Command sends to actuator.commands.v1 (and MQTT/gRPC watchers), by attempt kind (first, retry)',
  labelNames: ['attempt'] as const,
});

export const commandsCompleted = createCounter({
  name: 'sluice_actuator_controller_commands_completed_total',
  help: 'Commands that reached a final status (acknowledged, failed, expired)',
  labelNames: ['status'] as const,
});

export const readingToCommandSeconds = createHistogram({
  name: 'sluice_actuator_controller_reading_to_command_seconds',
  help: 'From the gateway accepting a reading (ingest timestamp header) to the command it caused being published',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
});

export const commandAckSeconds = createHistogram({
  name: 'sluice_actuator_controller_command_ack_seconds',
  help: 'From a command being first sent to its acknowledgement',
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
});

export const alertsRaised = createCounter({
  name: 'sluice_actuator_controller_alerts_total',
  help: 'Alerts published to alerts.v1, by kind (program, actuator_unacknowledged)',
  labelNames: ['kind'] as const,
});
