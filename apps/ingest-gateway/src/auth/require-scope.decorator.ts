import { SetMetadata } from '@nestjs/common';
import type { ApiKeyScope } from './api-key';

export const REQUIRED_SCOPE = 'sluice:required-scope';

/** Marks a route as needing an API key with this scope (enforced by ApiKeyGuard). */
export const RequireScope = (scope: ApiKeyScope) => SetMetadata(REQUIRED_SCOPE, scope);
