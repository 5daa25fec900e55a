import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ApiKeyAuthService } from './api-key-auth.service';
import { AuthError } from './auth.errors';
import { extractApiKey, hasScope, type ApiKeyScope, type Principal } from './api-key';
import { REQUIRED_SCOPE } from './require-scope.decorator';

export type AuthenticatedRequest = FastifyRequest & { principal: Principal };

/** Authenticates routes marked with @RequireScope and attaches the principal to the request. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: ApiKeyAuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const scope = this.reflector.getAllAndOverride<ApiKeyScope | undefined>(REQUIRED_SCOPE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (scope === undefined) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = await this.auth.authenticate(extractApiKey(request.headers));
    if (!hasScope(principal, scope)) throw AuthError.missingScope(scope);
    request.principal = principal;
    return true;
  }
}
