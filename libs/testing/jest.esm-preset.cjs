// Root Jest preset + transpiling ESM-only packages in node_modules to CommonJS.
// NestJS 12 and node-pg-migrate 8 ship only ES modules; Jest on Node < 24.9 cannot require() ES
// modules, so SWC compiles them to CommonJS (it lowers import.meta.url/dirname too). Candidate to
// move into the root jest.preset.cjs; until then every project with Nest code uses this one.
const base = require('../../jest.preset.cjs');

const ESM_ONLY_PACKAGES = [
  '@nestjs',
  'node-pg-migrate',
  'file-type',
  'load-esm',
  'strtok3',
  'token-types',
  'uint8array-extras',
  '@tokenizer',
  '@borewit',
];

module.exports = {
  ...base,
  transform: {
    ...base.transform,
    '^.+\\.m?js$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' },
        module: { type: 'commonjs' },
      },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY_PACKAGES.join('|')})/)`],
};
