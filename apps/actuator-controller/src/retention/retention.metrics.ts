import { createCounter, createGauge } from '@sluice/metrics';

export const retentionMetrics = {
  rowsDeleted: createCounter({
    name: 'sluice_actuator_controller_retention_rows_deleted_total',
    help: 'Rows deleted by the retention of the command tables, by table',
    labelNames: ['table'],
  }),
  lastSuccess: createGauge({
    name: 'sluice_actuator_controller_retention_last_success_timestamp_seconds',
    help: 'When this process last completed a retention pass (Unix time in seconds)',
  }),
};
