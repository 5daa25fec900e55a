export * from './buckets';
export * from './statistics';
export * from './headline-rules';
export * from './energy';
export * from './tariffs';
export * from './series-merge';
