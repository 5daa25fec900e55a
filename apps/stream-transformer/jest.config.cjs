module.exports = {
  ...require('../../libs/testing/jest.esm-preset.cjs'),
  displayName: 'stream-transformer',
  rootDir: __dirname,
};
