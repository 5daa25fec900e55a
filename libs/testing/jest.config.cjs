module.exports = {
  ...require('./jest.esm-preset.cjs'),
  displayName: 'testing',
  rootDir: __dirname,
};
