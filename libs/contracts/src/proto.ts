import { resolve } from 'node:path';

/**
 * Directory holding the protobuf contracts (`sluice/*.proto`): gRPC servers and clients load them
 * from here so both sides read one definition.
 */
export const PROTO_ROOT = resolve(__dirname, '../proto');
