import { metricsRegistry } from '@sluice/metrics';
import { observeIngestLatency } from './ingest-latency';

async function stageCount(stage: string): Promise<number> {
  const text = await metricsRegistry.metrics();
  const pattern = new RegExp(
    `^sluice_pipeline_ingest_latency_seconds_count\\{stage="${stage}"\\} (\\d+)$`,
    'm',
  );
  const line = pattern.exec(text);
  return line ? Number(line[1]) : 0;
}

describe('observeIngestLatency', () => {
  it('observes now minus the sluice-ingest-ts header in seconds, per stage', async () => {
    expect(observeIngestLatency('stored', { 'sluice-ingest-ts': '1000' }, 1_250)).toBe(true);
    expect(observeIngestLatency('stored', 2_000, 2_000)).toBe(true);
    expect(await stageCount('stored')).toBe(2);
    expect(await stageCount('clean')).toBe(0);
    const text = await metricsRegistry.metrics();
    expect(text).toMatch(/^sluice_pipeline_ingest_latency_seconds_sum\{stage="stored"\} 0\.25$/m);
    expect(text).toMatch(
      /^sluice_pipeline_ingest_latency_seconds_bucket\{le="0\.25",stage="stored"\} 2$/m,
    );
  });

  it('skips records without an ingest time instead of counting them as zero', async () => {
    expect(observeIngestLatency('clean', {}, 5_000)).toBe(false);
    expect(observeIngestLatency('clean', { 'sluice-ingest-ts': 'garbage' })).toBe(false);
    expect(observeIngestLatency('clean', undefined)).toBe(false);
    expect(await stageCount('clean')).toBe(0);
  });

  it('clamps clock skew (ingest time in the future) to 0', async () => {
    observeIngestLatency('ws_delivered', 10_000, 9_000);
    expect(await metricsRegistry.metrics()).toMatch(
      /^sluice_pipeline_ingest_latency_seconds_sum\{stage="ws_delivered"\} 0$/m,
    );
  });
});
