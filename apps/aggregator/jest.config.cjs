module.exports = {
  ...require('../../libs/testing/jest.esm-preset.cjs'),
  displayName: 'aggregator',
  rootDir: __dirname,
};
