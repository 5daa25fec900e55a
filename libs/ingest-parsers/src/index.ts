export * from './parse-result';
export { MAX_EPOCH_MS, type EpochUnit } from './epoch-time';
export * from './line-protocol/line-protocol.errors';
export * from './line-protocol/line-protocol.options';
export * from './line-protocol/line-protocol.parser';
