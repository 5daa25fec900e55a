module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'kafka-broker',
  rootDir: __dirname,
};
