module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'pipeline-launcher',
  rootDir: __dirname,
};
