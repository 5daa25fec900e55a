module.exports = {
  ...require('../testing/jest.esm-preset.cjs'),
  displayName: 'redis',
  rootDir: __dirname,
};
