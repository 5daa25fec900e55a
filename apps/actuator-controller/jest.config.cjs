module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'actuator-controller',
  rootDir: __dirname,
};
