import { createCounter, createGauge } from '@sluice/metrics';

export const mqttMessages = createCounter({
  name: 'sluice_gateway_mqtt_messages_total',
  help: 'MQTT telemetry messages handled by the bridge, by outcome (accepted, dlq) — each acked to the broker after',
  labelNames: ['outcome'] as const,
});

export const mqttRetries = createCounter({
  name: 'sluice_gateway_mqtt_publish_retries_total',
  help: 'MQTT messages held unacked and retried because Kafka or the registry was unavailable',
});

export const mqttConnected = createGauge({
  name: 'sluice_gateway_mqtt_connected',
  help: '1 while the MQTT bridge is connected to its broker',
});
