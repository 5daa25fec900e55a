export {
  callUnary,
  createGrpcClient,
  DEFAULT_UNARY_TIMEOUT_MS,
  type GrpcClientConfig,
  type UnaryCallOptions,
} from './grpc-client';
export {
  DEFAULT_GRPC_MAX_MESSAGE_BYTES,
  grpcServerOptions,
  type GrpcServerConfig,
  PROTO_LOADER_OPTIONS,
} from './grpc-options';
export { GrpcCallError } from './grpc.errors';
export { grpcCall, GrpcRefusal, type RefusalIssue } from './grpc-refusal';
