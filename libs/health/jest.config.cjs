module.exports = {
  ...require('../testing/jest.esm-preset.cjs'),
  displayName: 'health',
  rootDir: __dirname,
};
