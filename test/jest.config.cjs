// Cross-service suites: they start real pipelines (child processes), so they run one at a time.
module.exports = {
  ...require('../jest.preset.cjs'),
  displayName: 'e2e',
  rootDir: __dirname,
  testMatch: ['**/*.e2e.spec.ts'],
  testTimeout: 300_000,
  maxWorkers: 1,
};
