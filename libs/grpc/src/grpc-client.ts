import {
  type CallOptions,
  type Client,
  credentials as grpcCredentials,
  type ChannelCredentials,
  loadPackageDefinition,
  Metadata,
  type ServiceClientConstructor,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { join } from 'node:path';
import { PROTO_ROOT } from '@sluice/contracts';
import { DEFAULT_GRPC_MAX_MESSAGE_BYTES, PROTO_LOADER_OPTIONS } from './grpc-options';
import { GrpcCallError } from './grpc.errors';

export interface GrpcClientConfig {
  /** Proto file relative to PROTO_ROOT (or absolute), e.g. `sluice/serving.proto`. */
  protoFile: string;
  /** Fully qualified service name, e.g. `sluice.serving.v1.ServingService`. */
  service: string;
  /** host:port of the server. */
  address: string;
  credentials?: ChannelCredentials;
}

const constructors = new Map<string, ServiceClientConstructor>();

function serviceConstructor(protoFile: string, service: string): ServiceClientConstructor {
  const cacheKey = `${protoFile}#${service}`;
  const cached = constructors.get(cacheKey);
  if (cached) return cached;
  const path = protoFile.startsWith('/') ? protoFile : join(PROTO_ROOT, protoFile);
  const loaded = loadPackageDefinition(loadSync(path, PROTO_LOADER_OPTIONS));
  const found = service
    .split('.')
    .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], loaded);
  if (typeof found !== 'function') {
    throw new Error(`gRPC service ${service} is not defined in ${path}`);
  }
  const constructor = found as ServiceClientConstructor;
  constructors.set(cacheKey, constructor);
  return constructor;
}

/** A gRPC client for one Sluice service; close it with `client.close()` on shutdown. */
export function createGrpcClient(config: GrpcClientConfig): Client {
  const Constructor = serviceConstructor(config.protoFile, config.service);
  return new Constructor(config.address, config.credentials ?? grpcCredentials.createInsecure(), {
    'grpc.max_receive_message_length': DEFAULT_GRPC_MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': DEFAULT_GRPC_MAX_MESSAGE_BYTES,
  });
}

export interface UnaryCallOptions {
  /** The call fails with DEADLINE_EXCEEDED after this long (default 10 s): never wait forever. */
  timeoutMs?: number;
  metadata?: Record<string, string>;
}

export const DEFAULT_UNARY_TIMEOUT_MS = 10_000;

type UnaryMethod = (
  request: unknown,
  metadata: Metadata,
  options: CallOptions,
  callback: (error: ServiceError | null, response: unknown) => void,
) => unknown;

/** Calls a unary method and resolves with its response, or rejects with a GrpcCallError. */
export function callUnary<Response>(
  client: Client,
  method: string,
  request: unknown,
  options: UnaryCallOptions = {},
): Promise<Response> {
  const fn = (client as unknown as Record<string, UnaryMethod | undefined>)[method];
  if (typeof fn !== 'function') {
    return Promise.reject(new Error(`gRPC client has no method ${method}`));
  }
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(options.metadata ?? {})) metadata.set(key, value);
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_UNARY_TIMEOUT_MS);
  return new Promise<Response>((resolve, reject) => {
    fn.call(client, request, metadata, { deadline }, (error, response) => {
      if (error) reject(new GrpcCallError(method, error.code, error.details || error.message));
      else resolve(response as Response);
    });
  });
}
