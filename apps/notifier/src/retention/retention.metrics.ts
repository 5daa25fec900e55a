import { createRetentionMetrics } from '@sluice/service-runtime';

export const retentionMetrics = createRetentionMetrics('notifier', 'the alert tables');
