import type { ReactNode } from 'react';
import { EndpointNotAvailableError, NetworkError } from '../api/api-client';
import type { ApiState } from '../api/use-api';

/** Shown instead of a view whose API this server does not have (never fake data). */
export function NotAvailable({ what, path }: { what: string; path: string }) {
  return (
    <div className="notice notice-unavailable" role="status" data-testid="not-available">
      <strong>{what} is not available on this server.</strong>{' '}
      <span>
        The gateway has no <code>{path}</code> endpoint; it appears once the service providing it is
        deployed.
      </span>
    </div>
  );
}

export function ErrorNotice({ error }: { error: Error }) {
  const message =
    error instanceof NetworkError
      ? 'The server cannot be reached (offline?). Retrying when the network returns.'
      : error.message;
  return (
    <div className="notice notice-error" role="alert">
      {message}
    </div>
  );
}

/** Loading / not-available / error / data, the same way in every view. */
export function RequestState<T>({
  state,
  what,
  path,
  children,
}: {
  state: ApiState<T>;
  what: string;
  path: string;
  children: (data: T) => ReactNode;
}) {
  if (state.status === 'error' && state.error instanceof EndpointNotAvailableError) {
    return <NotAvailable what={what} path={path} />;
  }
  return (
    <>
      {state.status === 'error' && <ErrorNotice error={state.error} />}
      {state.data !== undefined ? (
        children(state.data)
      ) : state.status === 'loading' ? (
        <p className="muted" aria-live="polite">
          Loading…
        </p>
      ) : null}
    </>
  );
}
