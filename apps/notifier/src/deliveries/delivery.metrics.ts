import { createCounter, createHistogram, LATENCY_BUCKETS_SECONDS } from '@sluice/metrics';

export const deliveryMetrics = {
  /** Names and labels fixed by docs/operations/metrics.md (dashboards and alert rules use them). */
  attempts: createCounter({
    name: 'sluice_notifier_notifications_total',
    help: 'Delivery attempts by channel (websocket, webhook, slack, email) and outcome (delivered, failed)',
    labelNames: ['channel', 'outcome'],
  }),
  deadLettered: createCounter({
    name: 'sluice_notifier_deliveries_dead_lettered_total',
    help: 'Deliveries moved to the dead-letter list after their last failed attempt (or a permanent error)',
    labelNames: ['channel'],
  }),
  attemptDuration: createHistogram({
    name: 'sluice_notifier_delivery_attempt_duration_seconds',
    help: 'Time of one delivery attempt (HTTP request, SMTP send, Kafka produce)',
    labelNames: ['channel'],
    buckets: [...LATENCY_BUCKETS_SECONDS],
  }),
  duration: createHistogram({
    name: 'sluice_notifier_delivery_duration_seconds',
    help: 'Time to deliver one notification, retries included: outbox insert to successful delivery',
    labelNames: ['channel'],
    buckets: [...LATENCY_BUCKETS_SECONDS],
  }),
};
