module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'stream-transformer',
  rootDir: __dirname,
};
