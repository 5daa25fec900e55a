import { useState, type FormEvent } from 'react';
import { ApiClient, ApiRequestError, NetworkError } from '../api/api-client';

/**
 * Sign-in with a tenant API key (read scope at least). The key is checked against the gateway and
 * kept in localStorage under `sluice.apiKey`; "Sign out" removes it.
 */
export function SignInView({ onSignedIn }: { onSignedIn: (key: string) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [checking, setChecking] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const trimmed = key.trim();
    if (trimmed === '') {
      setError('Enter an API key.');
      return;
    }
    setChecking(true);
    setError(null);
    try {
      await new ApiClient(trimmed).json('/api/v1/devices', { query: { limit: 1 } });
      onSignedIn(trimmed);
    } catch (failure) {
      if (failure instanceof ApiRequestError && failure.status === 401) {
        setError('This key is unknown or revoked.');
      } else if (failure instanceof ApiRequestError && failure.status === 403) {
        setError('This key may not read devices (it needs the read scope).');
      } else if (failure instanceof NetworkError) {
        setError('The server cannot be reached.');
      } else {
        setError(failure instanceof Error ? failure.message : String(failure));
      }
    } finally {
      setChecking(false);
    }
  };

  return (
    <section className="sign-in">
      <h1>Sign in</h1>
      <p className="muted">
        Use an API key of your tenant. It is stored in this browser only (localStorage) until you
        sign out.
      </p>
      <form onSubmit={submit} noValidate>
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autoComplete="current-password"
          value={key}
          onChange={(event) => setKey(event.target.value)}
          aria-invalid={error !== null}
          aria-describedby={error ? 'api-key-error' : undefined}
        />
        {error && (
          <p id="api-key-error" className="field-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={checking}>
          {checking ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </section>
  );
}
