module.exports = {
  ...require('../testing/jest.esm-preset.cjs'),
  displayName: 'service-runtime',
  rootDir: __dirname,
};
