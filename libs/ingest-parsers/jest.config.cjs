module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'ingest-parsers',
  rootDir: __dirname,
};
