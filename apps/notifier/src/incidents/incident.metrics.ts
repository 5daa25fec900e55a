import { createCounter } from '@sluice/metrics';

export const incidentMetrics = {
  alerts: createCounter({
    name: 'sluice_notifier_alerts_applied_total',
    help: 'alerts.v1 events applied to incidents, by outcome (applied, duplicate, invalid)',
    labelNames: ['outcome'],
  }),
  incidents: createCounter({
    name: 'sluice_notifier_incidents_total',
    help: 'Incident lifecycle transitions (opened, acknowledged, resolved)',
    labelNames: ['transition'],
  }),
  notifications: createCounter({
    name: 'sluice_notifier_notifications_created_total',
    help: 'Incident notifications created (each fans out to the routed channels), by kind',
    labelNames: ['notification'],
  }),
};
