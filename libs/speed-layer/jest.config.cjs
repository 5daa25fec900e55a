module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'speed-layer',
  rootDir: __dirname,
};
