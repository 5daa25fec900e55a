import { useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiRequestError } from '../api/api-client';
import { ErrorNotice } from '../components/request-state';
import { useSession } from '../session';

interface UploadJob {
  id: string;
  status: 'running' | 'succeeded' | 'failed';
  fileName: string | null;
  bytesTotal: number | null;
  bytesRead: number;
  progress: number | null;
  rowsRead: number;
  rowsAccepted: number;
  rowsRejected: number;
  readingsAccepted: number;
  error: string | null;
}

interface UploadErrors {
  errors: Array<{ row: number; message: string; path?: string; column?: string }>;
}

const POLL_MS = 500;

/**
 * CSV upload: the browser's upload progress (XMLHttpRequest, which fetch cannot report), then the
 * job's own progress as the gateway streams rows into Kafka, then the result CSV as a download.
 */
export default function UploadsView() {
  const { api } = useSession();
  const [file, setFile] = useState<File | null>(null);
  const [format, setFormat] = useState<'long' | 'wide'>('long');
  const [sent, setSent] = useState<number | null>(null);
  const [job, setJob] = useState<UploadJob | null>(null);
  const [rowErrors, setRowErrors] = useState<UploadErrors['errors']>([]);
  const [error, setError] = useState<Error | null>(null);
  const [resultUrl, setResultUrl] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => () => void (resultUrl && URL.revokeObjectURL(resultUrl)), [resultUrl]);

  useEffect(() => {
    if (job === null || job.status !== 'running') return;
    const timer = setTimeout(() => {
      api
        .json<UploadJob>(`/api/v1/uploads/${job.id}`)
        .then(setJob)
        .catch((failure: unknown) => setError(failure as Error));
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [api, job]);

  useEffect(() => {
    if (job === null || job.status === 'running') return;
    if (job.rowsRejected > 0) {
      api
        .json<UploadErrors>(`/api/v1/uploads/${job.id}/errors`, { query: { limit: 20 } })
        .then((body) => setRowErrors(body.errors))
        .catch((failure: unknown) => setError(failure as Error));
    }
    if (job.status === 'succeeded') {
      api
        .request(`/api/v1/uploads/${job.id}/result`)
        .then((response) => response.blob())
        .then((blob) => setResultUrl(URL.createObjectURL(blob)))
        .catch((failure: unknown) => setError(failure as Error));
    }
  }, [api, job?.id, job?.status]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (file === null) {
      setError(new Error('Choose a CSV file first.'));
      return;
    }
    setError(null);
    setJob(null);
    setRowErrors([]);
    setResultUrl(null);
    setSent(0);
    const request = new XMLHttpRequest();
    request.open('POST', api.url('/api/v1/uploads', { format }));
    request.setRequestHeader('authorization', `Bearer ${api.apiKey}`);
    request.setRequestHeader('content-type', 'text/csv');
    request.upload.onprogress = (progress) => {
      if (progress.lengthComputable) setSent(progress.loaded / progress.total);
    };
    request.onload = () => {
      setSent(1);
      let body: { id?: string; error?: { code: string; message: string; details?: [] } };
      try {
        body = JSON.parse(request.responseText);
      } catch {
        body = {};
      }
      if (request.status === 202 && body.id) {
        setJob({
          id: body.id,
          status: 'running',
          fileName: file.name,
          bytesTotal: file.size,
          bytesRead: 0,
          progress: 0,
          rowsRead: 0,
          rowsAccepted: 0,
          rowsRejected: 0,
          readingsAccepted: 0,
          error: null,
        });
      } else if (request.status === 404 && body.error === undefined) {
        setError(new Error('CSV upload is not available on this server (no /api/v1/uploads).'));
      } else {
        setError(
          new ApiRequestError(
            request.status,
            body.error?.code ?? 'http_error',
            body.error?.message ?? `${request.status} ${request.statusText}`,
            body.error?.details ?? [],
          ),
        );
      }
    };
    request.onerror = () => setError(new Error('The upload could not reach the server.'));
    request.send(file);
  };

  const jobProgress = job === null ? null : job.status === 'running' ? job.progress : 1;
  return (
    <section aria-labelledby="uploads-title">
      <h1 id="uploads-title">CSV upload</h1>
      <p className="muted">
        Long format: one reading per row (<code>time,device,metric,value[,unit]</code>). Wide: one
        column per metric.
      </p>
      <form className="form-grid" onSubmit={submit}>
        <div className="field">
          <label htmlFor="csv-file">CSV file</label>
          <input
            id="csv-file"
            ref={input}
            type="file"
            accept=".csv,text/csv"
            onChange={(event) => setFile(event.target.files?.[0] ?? null)}
          />
        </div>
        <div className="field">
          <label htmlFor="csv-format">Format</label>
          <select
            id="csv-format"
            value={format}
            onChange={(event) => setFormat(event.target.value as 'long' | 'wide')}
          >
            <option value="long">long</option>
            <option value="wide">wide</option>
          </select>
        </div>
        <div>
          <button type="submit" disabled={job?.status === 'running'}>
            Upload
          </button>
        </div>
      </form>
      {error && <ErrorNotice error={error} />}
      {error instanceof ApiRequestError &&
        error.details.map((detail) => (
          <p key={detail.path} className="field-error">
            {detail.path}: {detail.message}
          </p>
        ))}
      {sent !== null && (
        <div className="form-grid" data-testid="upload-progress">
          <label htmlFor="upload-sent">Sent to the server</label>
          <progress id="upload-sent" max={1} value={sent} />
          <label htmlFor="upload-processed">Processed into the pipeline</label>
          <progress
            id="upload-processed"
            max={1}
            value={jobProgress ?? undefined}
            data-testid="job-progress"
          />
        </div>
      )}
      {job && (
        <div
          className={`notice ${job.status === 'failed' ? 'notice-error' : 'notice-ok'}`}
          role="status"
          data-testid="upload-status"
          data-status={job.status}
        >
          <strong>{job.status}</strong>: {job.rowsRead} rows read, {job.rowsAccepted} accepted,{' '}
          {job.rowsRejected} rejected, {job.readingsAccepted} readings in the pipeline.
          {job.error && <div>{job.error}</div>}
          {resultUrl && (
            <div>
              <a
                href={resultUrl}
                download={`upload-${job.id}-result.csv`}
                data-testid="result-download"
              >
                Download the result (CSV)
              </a>
            </div>
          )}
        </div>
      )}
      {rowErrors.length > 0 && (
        <div className="table-scroll">
          <table className="data" aria-label="Rejected rows">
            <thead>
              <tr>
                <th scope="col">Row</th>
                <th scope="col">Problem</th>
              </tr>
            </thead>
            <tbody>
              {rowErrors.map((rowError) => (
                <tr key={`${rowError.row}-${rowError.message}`}>
                  <td>{rowError.row}</td>
                  <td>{rowError.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
