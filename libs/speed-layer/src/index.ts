export * from './speed-layer.keys';
export * from './speed-layer.settings';
export * from './speed-layer.errors';
export * from './apply-batch';
export * from './read-speed-layer';
export * from './window-closer';
export * from './too-late-outbox';
export * from './replay-fences';
