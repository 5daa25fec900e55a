module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'ingest-gateway',
  rootDir: __dirname,
};
