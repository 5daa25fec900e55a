import { createRetentionMetrics } from '@sluice/service-runtime';

export const retentionMetrics = createRetentionMetrics('actuator_controller', 'the command tables');
