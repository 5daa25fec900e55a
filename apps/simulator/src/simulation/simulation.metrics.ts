import {
  LATENCY_BUCKETS_SECONDS,
  createCounter,
  createGauge,
  createHistogram,
} from '@sluice/metrics';

export const readingsGenerated = createCounter({
  name: 'sluice_simulator_readings_generated_total',
  help: 'Readings sampled from the simulated fleet',
});

export const readingsAccepted = createCounter({
  name: 'sluice_simulator_readings_accepted_total',
  help: 'Readings the gateway accepted (202)',
});

export const readingsRejected = createCounter({
  name: 'sluice_simulator_readings_rejected_total',
  help: 'Readings the gateway refused for good (4xx other than 429), by status',
  labelNames: ['status'] as const,
});

export const readingsDropped = createCounter({
  name: 'sluice_simulator_readings_dropped_total',
  help: 'Readings discarded because the buffer was full or the simulator stopped with them unsent',
});

export const publishRetries = createCounter({
  name: 'sluice_simulator_publish_retries_total',
  help: 'Retried gateway requests (429, 5xx, network errors), by reason',
  labelNames: ['reason'] as const,
});

export const publishDuration = createHistogram({
  name: 'sluice_simulator_publish_duration_seconds',
  help: 'Duration of accepted POST /api/v1/readings requests',
  buckets: [...LATENCY_BUCKETS_SECONDS],
});

export const readingsBuffered = createGauge({
  name: 'sluice_simulator_readings_buffered',
  help: 'Readings waiting to be posted',
});

export const actuatorsOn = createGauge({
  name: 'sluice_simulator_actuators_on',
  help: 'Simulated actuators currently switched on, by kind',
  labelNames: ['actuator'] as const,
});
