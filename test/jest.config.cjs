// Cross-service suites: they start real pipelines (child processes). Their long per-test timeout
// is set in the spec files with jest.setTimeout, because `testTimeout` is a global option that the
// root multi-project run (npm test) ignores in project configs.
module.exports = {
  ...require('../jest.preset.cjs'),
  displayName: 'e2e',
  rootDir: __dirname,
  // ops/: operations acceptance suites (Prometheus scraping, graceful shutdown under load)
  testMatch: ['**/*.e2e.spec.ts', '<rootDir>/ops/**/*.int.spec.ts'],
};
