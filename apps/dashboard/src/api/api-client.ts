/**
 * The dashboard's only door to the gateway's REST API: adds the API key, turns error bodies
 * (`{error:{code,message,details}}`) into typed errors, and tells a missing endpoint (a server
 * without that capability yet) apart from a missing resource.
 */
export interface ApiErrorDetail {
  path: string;
  message: string;
  value?: unknown;
}

export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ApiErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'ApiRequestError';
  }
}

/** The server has no such route: the capability is not deployed on this server. */
export class EndpointNotAvailableError extends Error {
  constructor(readonly path: string) {
    super(`${path} is not available on this server`);
    this.name = 'EndpointNotAvailableError';
  }
}

/** The request never got an answer (offline, server down). */
export class NetworkError extends Error {
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(`could not reach the server for ${path}`, { cause });
    this.name = 'NetworkError';
  }
}

const API_KEY_STORAGE = 'sluice.apiKey';

export function storedApiKey(): string | null {
  try {
    return localStorage.getItem(API_KEY_STORAGE);
  } catch {
    return null;
  }
}

export function storeApiKey(key: string | null): void {
  if (key === null) localStorage.removeItem(API_KEY_STORAGE);
  else localStorage.setItem(API_KEY_STORAGE, key);
}

export interface RequestOptions {
  method?: string;
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export class ApiClient {
  constructor(
    readonly apiKey: string,
    private readonly baseUrl = '',
  ) {}

  url(path: string, query?: RequestOptions['query']): string {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined) search.set(name, String(value));
    }
    const qs = search.toString();
    return `${this.baseUrl}${path}${qs === '' ? '' : `?${qs}`}`;
  }

  async request(path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.apiKey}`,
      ...options.headers,
    };
    let body = options.body;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    let response: Response;
    try {
      response = await fetch(this.url(path, options.query), {
        method: options.method ?? 'GET',
        headers,
        body,
        signal: options.signal,
        cache: 'no-store',
      });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') throw error;
      throw new NetworkError(path, error);
    }
    if (response.ok) return response;
    throw await toError(path, response);
  }

  async json<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.request(path, options);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  async text(path: string, options: RequestOptions = {}): Promise<string> {
    return (await this.request(path, options)).text();
  }
}

async function toError(path: string, response: Response): Promise<Error> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } })
    ?.error;
  if (error !== undefined && typeof error === 'object' && typeof error.code === 'string') {
    return new ApiRequestError(
      response.status,
      error.code,
      typeof error.message === 'string' ? error.message : response.statusText,
      Array.isArray(error.details) ? (error.details as ApiErrorDetail[]) : [],
    );
  }
  // The framework's own 404 (no `error.code`) means no route: the endpoint is not deployed here.
  if (response.status === 404) return new EndpointNotAvailableError(path);
  return new ApiRequestError(
    response.status,
    'http_error',
    `${response.status} ${response.statusText}`,
  );
}
