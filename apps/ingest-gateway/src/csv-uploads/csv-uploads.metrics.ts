import { createCounter, createGauge } from '@sluice/metrics';

export const uploadJobsFinished = createCounter({
  name: 'sluice_gateway_upload_jobs_total',
  help: 'CSV upload jobs finished, by outcome (succeeded, failed)',
  labelNames: ['outcome'] as const,
});

export const uploadJobsRunning = createGauge({
  name: 'sluice_gateway_upload_jobs_running',
  help: 'CSV upload jobs this gateway is reading now (bounded by UPLOAD_MAX_CONCURRENT)',
});

export const uploadBytesRead = createCounter({
  name: 'sluice_gateway_upload_bytes_total',
  help: 'Bytes of CSV uploads read',
});

export const uploadRows = createCounter({
  name: 'sluice_gateway_upload_rows_total',
  help: 'CSV data rows read by upload jobs, by outcome (accepted, rejected)',
  labelNames: ['outcome'] as const,
});
