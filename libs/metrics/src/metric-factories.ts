import {
  Counter,
  Gauge,
  Histogram,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
} from 'prom-client';
import { metricsRegistry } from './metrics.registry';

/** A metric name is already registered with another type or other label names. */
export class MetricRegistrationError extends Error {
  override readonly name = 'MetricRegistrationError';

  constructor(
    readonly metricName: string,
    readonly problem: string,
  ) {
    super(`Cannot register metric "${metricName}": ${problem}`);
  }
}

type WithoutRegisters<C> = Omit<C, 'registers'>;
type MetricClass<M> = abstract new (...args: never[]) => M;

// Several modules (and test files sharing a process) declare the same metric; prom-client throws
// on a second registration, so the factories return the existing instance when it is compatible
// and fail loudly when it is not (same name, different meaning is a bug).
function getOrCreate<M extends object>(
  kind: MetricClass<M>,
  kindName: string,
  name: string,
  labelNames: readonly string[] | undefined,
  create: () => M,
): M {
  const existing = metricsRegistry.getSingleMetric(name);
  if (existing === undefined) return create();
  if (!(existing instanceof kind)) {
    throw new MetricRegistrationError(
      name,
      `already registered with another type than ${kindName}`,
    );
  }
  const existingLabels = (existing as { labelNames?: readonly string[] }).labelNames ?? [];
  const wanted = labelNames ?? [];
  if ([...existingLabels].sort().join(',') !== [...wanted].sort().join(',')) {
    throw new MetricRegistrationError(
      name,
      `already registered with labels [${existingLabels.join(', ')}], not [${wanted.join(', ')}]`,
    );
  }
  return existing;
}

export function createCounter<T extends string>(
  config: WithoutRegisters<CounterConfiguration<T>>,
): Counter<T> {
  return getOrCreate(
    Counter,
    'counter',
    config.name,
    config.labelNames,
    () => new Counter<T>({ ...config, registers: [metricsRegistry] }),
  );
}

export function createGauge<T extends string>(
  config: WithoutRegisters<GaugeConfiguration<T>>,
): Gauge<T> {
  return getOrCreate(
    Gauge,
    'gauge',
    config.name,
    config.labelNames,
    () => new Gauge<T>({ ...config, registers: [metricsRegistry] }),
  );
}

export function createHistogram<T extends string>(
  config: WithoutRegisters<HistogramConfiguration<T>>,
): Histogram<T> {
  return getOrCreate(
    Histogram,
    'histogram',
    config.name,
    config.labelNames,
    () => new Histogram<T>({ ...config, registers: [metricsRegistry] }),
  );
}
