export {
  spawnService,
  WORKSPACE_ROOT,
  type ServiceExit,
  type SpawnedService,
} from './spawn-service';
export { processCpuSeconds } from './process-cpu';
export { createTestSchema, dropTestSchema } from './test-schema';
export { uniqueName } from './unique-name';
export { waitFor, WaitForTimeoutError, type WaitForOptions } from './wait-for';
export { startTestBroker, type TestBroker } from './test-broker';
