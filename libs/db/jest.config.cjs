module.exports = {
  ...require('../testing/jest.esm-preset.cjs'),
  displayName: 'db',
  rootDir: __dirname,
};
