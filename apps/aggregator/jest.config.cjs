module.exports = {
  // eslint-disable-next-line @nx/enforce-module-boundaries -- a Jest preset is tooling config, not a project import
  ...require('../../libs/testing/jest.esm-preset.cjs'),
  displayName: 'aggregator',
  rootDir: __dirname,
};
