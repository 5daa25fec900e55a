// Shared Jest settings: SWC transpiles TypeScript (with decorator metadata for NestJS) and
// `@sluice/<lib>` resolves to the lib's source, mirroring the tsconfig path alias.
//
// NestJS 12 and node-pg-migrate 8 ship only ES modules, and Jest on Node 20 cannot require() ES
// modules, so SWC also compiles those packages to CommonJS (it lowers import.meta too).
const path = require('node:path');

const root = __dirname;

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
  testEnvironment: 'node',
  // Jest's 5 s default also bounds hooks; the integration suites' afterAll stops services, drains
  // consumers and drops schemas, which took longer than 5 s on a loaded 2-core CI machine and
  // failed a suite whose tests had all passed. A hang still fails, after 30 s.
  testTimeout: 30_000,
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
    '^.+\\.m?js$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY_PACKAGES.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  moduleNameMapper: {
    '^@sluice/(.*)$': path.join(root, 'libs/$1/src/index.ts'),
  },
  testMatch: ['**/*.spec.ts', '**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
};
