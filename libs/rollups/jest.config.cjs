module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'rollups',
  rootDir: __dirname,
};
