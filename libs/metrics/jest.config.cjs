module.exports = {
  ...require('../testing/jest.esm-preset.cjs'),
  displayName: 'metrics',
  rootDir: __dirname,
};
