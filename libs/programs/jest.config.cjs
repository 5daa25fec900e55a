module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'programs',
  rootDir: __dirname,
};
