import { ApiError } from '../http/api-error';
import type { ApiKeyScope } from './api-key';

const KEY_HINT = 'send it as "Authorization: Bearer <key>" or "X-API-Key: <key>"';

/** Authentication and authorisation failures. Messages never contain the key itself. */
export class AuthError extends ApiError {
  static missingKey(): AuthError {
    return new AuthError(401, 'unauthorized', `API key required: ${KEY_HINT}`, 'Authorization');
  }

  static unknownKey(): AuthError {
    return new AuthError(401, 'unauthorized', 'API key not recognised', 'Authorization');
  }

  static revokedKey(): AuthError {
    return new AuthError(401, 'unauthorized', 'API key has been revoked', 'Authorization');
  }

  static missingScope(scope: ApiKeyScope): AuthError {
    return new AuthError(403, 'forbidden', `API key lacks the "${scope}" scope`, 'Authorization');
  }

  static otherTenant(requested: string, path: string): AuthError {
    return new AuthError(
      403,
      'forbidden',
      `API key does not belong to tenant "${requested}"`,
      path,
      requested,
    );
  }

  static deviceNotAllowed(device: string, path: string): AuthError {
    return new AuthError(
      403,
      'forbidden',
      `API key is not allowed to access device "${device}"`,
      path,
      device,
    );
  }

  private constructor(
    status: 401 | 403,
    code: string,
    message: string,
    path: string,
    value?: string,
  ) {
    super(status, code, message, [{ path, message, ...(value === undefined ? {} : { value }) }]);
    this.name = 'AuthError';
  }
}
