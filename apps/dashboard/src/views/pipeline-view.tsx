import { useEffect } from 'react';
import { EndpointNotAvailableError } from '../api/api-client';
import { useApi } from '../api/use-api';
import { NotAvailable, RequestState } from '../components/request-state';
import { formatAge, formatValue } from './format';

const REFRESH_MS = 3000;

interface PipelineStatus {
  generatedAt: number;
  rateWindowSeconds: number | null;
  ingest: {
    gatewayReadingsPerSecond: number | null;
    gatewayReadingsAccepted: number;
    rawRecordsPerSecond: number | null;
  };
  topics: Array<{
    topic: string;
    partitions: number;
    records: number;
    recordsPerSecond: number | null;
  }>;
  consumerGroups: Array<{
    groupId: string;
    service: string | null;
    state: string;
    members: number;
    totalLag: number;
    topics: Array<{ topic: string; lag: number }>;
  }>;
  dlq: { topic: string; records: number; recordsPerSecond: number | null };
  metricsLinks: Array<{ service: string; url: string }>;
}

interface BatchRuns {
  hourlyWatermark?: string | number | null;
  dailyWatermark?: string | number | null;
  runs: Array<{
    id: string;
    job: string;
    status: string;
    rangeFrom: string | number;
    rangeTo: string | number;
    rowsRead?: number;
    rowsWritten?: number;
    startedAt?: string | number | null;
    durationMs?: number | null;
    error?: string | null;
  }>;
}

function rate(value: number | null): string {
  return value === null ? '…' : `${formatValue(Math.round(value * 10) / 10)}/s`;
}

function useRefresh(reload: () => void): void {
  useEffect(() => {
    const timer = setInterval(reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload]);
}

export default function PipelineView() {
  const status = useApi(
    (api, signal) => api.json<PipelineStatus>('/api/v1/pipeline/status', { signal }),
    [],
  );
  const runs = useApi(
    (api, signal) => api.json<BatchRuns>('/api/v1/batch/runs', { query: { limit: 10 }, signal }),
    [],
  );
  useRefresh(status.reload);
  useRefresh(runs.reload);
  return (
    <section aria-labelledby="pipeline-title">
      <h1 id="pipeline-title">Pipeline</h1>
      <RequestState state={status} what="Pipeline status" path="/api/v1/pipeline/status">
        {(data) => (
          <>
            <div className="cards" data-testid="pipeline-cards">
              <div className="card">
                <div className="muted">Readings accepted (this gateway)</div>
                <div className="figure" data-testid="ingest-rate">
                  {rate(data.ingest.gatewayReadingsPerSecond)}
                </div>
                <div className="muted">{data.ingest.gatewayReadingsAccepted} in total</div>
              </div>
              <div className="card">
                <div className="muted">Raw batches into Kafka</div>
                <div className="figure">{rate(data.ingest.rawRecordsPerSecond)}</div>
              </div>
              <div className="card">
                <div className="muted">Dead-letter queue ({data.dlq.topic})</div>
                <div className="figure" data-testid="dlq-count">
                  {data.dlq.records}
                </div>
                <div className="muted">{rate(data.dlq.recordsPerSecond)}</div>
              </div>
            </div>
            <h2>Consumer lag per service</h2>
            <div className="table-scroll">
              <table className="data" data-testid="consumer-lag">
                <thead>
                  <tr>
                    <th scope="col">Service</th>
                    <th scope="col">Group</th>
                    <th scope="col">Topics</th>
                    <th scope="col">Lag (records)</th>
                  </tr>
                </thead>
                <tbody>
                  {data.consumerGroups.map((group) => (
                    <tr key={group.groupId}>
                      <td>{group.service ?? '—'}</td>
                      <td>
                        <code>{group.groupId}</code>
                      </td>
                      <td>
                        {group.topics.map((topic) => `${topic.topic} (${topic.lag})`).join(', ')}
                      </td>
                      <td>
                        <strong>{group.totalLag}</strong>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <h2>Topics</h2>
            <div className="table-scroll">
              <table className="data">
                <thead>
                  <tr>
                    <th scope="col">Topic</th>
                    <th scope="col">Partitions</th>
                    <th scope="col">Records</th>
                    <th scope="col">Rate</th>
                  </tr>
                </thead>
                <tbody>
                  {data.topics.map((topic) => (
                    <tr key={topic.topic}>
                      <td>
                        <code>{topic.topic}</code>
                      </td>
                      <td>{topic.partitions}</td>
                      <td>{topic.records}</td>
                      <td>{rate(topic.recordsPerSecond)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <p>
              Raw metrics:{' '}
              {data.metricsLinks.map((link) => (
                <a key={link.url} href={link.url} target="_blank" rel="noreferrer">
                  {link.service} /metrics
                </a>
              ))}{' '}
              <span className="muted">(updated {formatAge(Date.now() - data.generatedAt)})</span>
            </p>
          </>
        )}
      </RequestState>
      <h2>Batch job runs</h2>
      {runs.status === 'error' && runs.error instanceof EndpointNotAvailableError ? (
        <NotAvailable what="Batch job runs" path="/api/v1/batch/runs" />
      ) : (
        <RequestState state={runs} what="Batch job runs" path="/api/v1/batch/runs">
          {(data) =>
            data.runs.length === 0 ? (
              <p className="muted">No batch runs yet.</p>
            ) : (
              <div className="table-scroll">
                <table className="data" data-testid="batch-runs">
                  <thead>
                    <tr>
                      <th scope="col">Job</th>
                      <th scope="col">Range</th>
                      <th scope="col">Status</th>
                      <th scope="col">Rows read / written</th>
                      <th scope="col">Duration</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.runs.map((run) => (
                      <tr key={run.id}>
                        <td>{run.job}</td>
                        <td>
                          {new Date(run.rangeFrom).toISOString().slice(0, 16)} →{' '}
                          {new Date(run.rangeTo).toISOString().slice(11, 16)}
                        </td>
                        <td>
                          <span className={`badge badge-${run.status}`}>{run.status}</span>
                          {run.error && <div className="field-error">{run.error}</div>}
                        </td>
                        <td>
                          {run.rowsRead ?? '—'} / {run.rowsWritten ?? '—'}
                        </td>
                        <td>{run.durationMs == null ? '—' : `${run.durationMs} ms`}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </RequestState>
      )}
    </section>
  );
}
