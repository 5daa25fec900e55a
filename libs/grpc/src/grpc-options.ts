import { PROTO_ROOT } from '@sluice/contracts';
import { type GrpcOptions, Transport } from '@nestjs/microservices';
import type { Options as ProtoLoaderOptions } from '@grpc/proto-loader';

/** One loader configuration for servers and clients, so both decode messages the same way. */
export const PROTO_LOADER_OPTIONS: ProtoLoaderOptions = {
  keepCase: false,
  // int64 as decimal strings: JavaScript numbers lose precision above 2^53 (offsets, epoch ns)
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

export interface GrpcServerConfig {
  /** host:port to bind, e.g. `0.0.0.0:9180`. */
  url: string;
  /** Proto files relative to PROTO_ROOT, e.g. `sluice/serving.proto`. */
  protoFiles: string[];
  /** Protobuf packages whose services the app implements, e.g. `sluice.serving.v1`. */
  packages: string[];
  /** Largest message accepted, in bytes (gRPC's default of 4 MiB is too small for export pages). */
  maxReceiveMessageBytes?: number;
}

export const DEFAULT_GRPC_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** Options for NestJS's gRPC transport (`app.connectMicroservice`), loading Sluice's protos. */
export function grpcServerOptions(config: GrpcServerConfig): GrpcOptions {
  const maxBytes = config.maxReceiveMessageBytes ?? DEFAULT_GRPC_MAX_MESSAGE_BYTES;
  return {
    transport: Transport.GRPC,
    options: {
      url: config.url,
      package: config.packages,
      protoPath: config.protoFiles,
      loader: {
        ...PROTO_LOADER_OPTIONS,
        includeDirs: [PROTO_ROOT],
      } as GrpcOptions['options']['loader'],
      maxReceiveMessageLength: maxBytes,
      maxSendMessageLength: maxBytes,
      // in-flight calls finish on app.close() instead of being cut (graceful shutdown)
      gracefulShutdown: true,
    },
  };
}
