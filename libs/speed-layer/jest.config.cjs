module.exports = {
  // eslint-disable-next-line @nx/enforce-module-boundaries -- a Jest preset is tooling config, not a project import
  ...require('../../jest.preset.cjs'),
  displayName: 'speed-layer',
  rootDir: __dirname,
};
