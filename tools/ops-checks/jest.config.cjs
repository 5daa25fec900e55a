module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'ops-checks',
  rootDir: __dirname,
};
