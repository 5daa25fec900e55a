import { createHistogram, LATENCY_BUCKETS_SECONDS } from '@sluice/metrics';

// One histogram for every Redis operation of the process; `operation` is a fixed name chosen by
// the caller ('speed_layer_apply', 'latest_read'), never built from data, so labels stay bounded.
const redisOperationSeconds = createHistogram({
  name: 'sluice_redis_operation_duration_seconds',
  help: 'Duration of Redis operations (commands, pipelines, scripts) by operation and outcome',
  labelNames: ['operation', 'outcome'],
  buckets: [...LATENCY_BUCKETS_SECONDS],
});

/** Runs `fn` and records its duration under `operation` with outcome `ok` or `error`. */
export async function observeRedisOperation<T>(
  operation: string,
  fn: () => Promise<T>,
): Promise<T> {
  const end = redisOperationSeconds.startTimer({ operation });
  try {
    const result = await fn();
    end({ outcome: 'ok' });
    return result;
  } catch (error) {
    end({ outcome: 'error' });
    throw error;
  }
}
