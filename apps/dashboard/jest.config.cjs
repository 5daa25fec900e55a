// Unit specs of the dashboard's plain TypeScript (stream merging, reconnect backoff, batching).
// Components are covered by the browser tests in test/browser/.
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'dashboard',
  rootDir: __dirname,
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
};
