module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'alerting',
  rootDir: __dirname,
};
