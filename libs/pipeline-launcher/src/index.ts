export * from './service-catalog';
export * from './free-port';
export * from './managed-process';
export * from './preflight';
export * from './readiness';
export * from './pipeline';
