import { createHistogram, LATENCY_BUCKETS_SECONDS } from '@sluice/metrics';

// One histogram for every PostgreSQL operation of the process; `operation` is a fixed name chosen
// by the repository ('readings_copy', 'devices_lookup'), never built from data, so the label set
// stays bounded.
const dbOperationSeconds = createHistogram({
  name: 'sluice_postgres_operation_duration_seconds',
  help: 'Duration of PostgreSQL operations by repository operation and outcome',
  labelNames: ['operation', 'outcome'],
  buckets: [...LATENCY_BUCKETS_SECONDS],
});

/** Runs `fn` and records its duration under `operation` with outcome `ok` or `error`. */
export async function observeDbOperation<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  const end = dbOperationSeconds.startTimer({ operation });
  try {
    const result = await fn();
    end({ outcome: 'ok' });
    return result;
  } catch (error) {
    end({ outcome: 'error' });
    throw error;
  }
}
