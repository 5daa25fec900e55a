import { useCallback, useEffect, useState } from 'react';
import { useSession } from '../session';
import type { ApiClient } from './api-client';

export type ApiState<T> =
  | { status: 'loading'; data?: T }
  | { status: 'ok'; data: T }
  | { status: 'error'; error: Error; data?: T };

/** Runs `load` on mount and when `deps` change; `reload()` runs it again keeping the old data shown. */
export function useApi<T>(
  load: (api: ApiClient, signal: AbortSignal) => Promise<T>,
  deps: unknown[],
): ApiState<T> & { reload: () => void } {
  const { api } = useSession();
  const [state, setState] = useState<ApiState<T>>({ status: 'loading' });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    setState((previous) => ({ status: 'loading', data: previous.data }));
    load(api, controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setState({ status: 'ok', data });
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setState((previous) => ({
          status: 'error',
          error: error instanceof Error ? error : new Error(String(error)),
          data: previous.data,
        }));
      },
    );
    return () => controller.abort();
  }, [api, generation, ...deps]);
  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  // A view that failed while offline loads again by itself when the network returns.
  const failed = state.status === 'error';
  useEffect(() => {
    if (!failed) return;
    window.addEventListener('online', reload);
    return () => window.removeEventListener('online', reload);
  }, [failed, reload]);
  return { ...state, reload };
}
