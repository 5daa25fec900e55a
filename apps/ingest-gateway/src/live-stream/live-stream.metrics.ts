import {
  LATENCY_BUCKETS_SECONDS,
  createCounter,
  createGauge,
  createHistogram,
} from '@sluice/metrics';

export const wsClients = createGauge({
  name: 'sluice_gateway_ws_clients',
  help: 'Open WebSocket connections on /ws',
});

export const wsFramesSent = createCounter({
  name: 'sluice_gateway_ws_frames_sent_total',
  help: 'Readings frames sent to WebSocket clients',
});

export const wsFramesDropped = createCounter({
  name: 'sluice_gateway_ws_frames_dropped_total',
  help: 'Readings frames not sent because the client’s send buffer was full (slow client)',
});

export const wsSlowClientsClosed = createCounter({
  name: 'sluice_gateway_ws_slow_clients_closed_total',
  help: 'WebSocket clients disconnected (1013) after dropping too many consecutive frames',
});

export const liveFeedActive = createGauge({
  name: 'sluice_gateway_live_feed_active',
  help: '1 while the live feed consumes telemetry.clean.v1 (some client is subscribed to a device), else 0',
});

export const liveRecordsInvalid = createCounter({
  name: 'sluice_gateway_live_records_invalid_total',
  help: 'telemetry.clean.v1 records the live feed could not decode (skipped)',
});

export const liveDeliveryLatency = createHistogram({
  name: 'sluice_gateway_live_delivery_latency_seconds',
  help: 'Time from gateway ingest (sluice-ingest-ts header) to a readings frame handed to a WebSocket',
  buckets: [...LATENCY_BUCKETS_SECONDS],
});
