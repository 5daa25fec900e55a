import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * The one registry of the process. Every Sluice metric registers here (not on prom-client's
 * global registry) so /metrics shows exactly what the catalog documents, and default process
 * metrics (CPU, memory, event loop lag, GC) are collected exactly once.
 */
export const metricsRegistry = new Registry();

collectDefaultMetrics({ register: metricsRegistry });

/** Adds `service="<name>"` to every series of this process. Call once at start. */
export function setServiceLabel(service: string): void {
  metricsRegistry.setDefaultLabels({ service });
}
