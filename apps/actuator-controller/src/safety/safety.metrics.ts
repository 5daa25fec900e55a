import { createCounter } from '@sluice/metrics';

let metrics: ReturnType<typeof build> | undefined;

function build() {
  return {
    refused: createCounter({
      name: 'sluice_actuator_controller_commands_refused_total',
      help: 'Program or user commands a safety rule refused, by rule',
      labelNames: ['rule'] as const,
    }),
    conflicts: createCounter({
      name: 'sluice_actuator_controller_conflicts_total',
      help: 'Conflicts recorded between programs (or a program and a manual override) on one actuator',
    }),
  };
}

/** Created once per process (the registry refuses a metric name twice). */
export function safetyMetrics(): ReturnType<typeof build> {
  metrics ??= build();
  return metrics;
}
