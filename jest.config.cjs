// Root Jest entry used by `npm test`: every project's tests in one run (one summary, shared workers).
module.exports = {
  projects: [
    '<rootDir>/libs/*/jest.config.cjs',
    '<rootDir>/apps/*/jest.config.cjs',
    '<rootDir>/tools/*/jest.config.cjs',
    '<rootDir>/test/jest.config.cjs',
  ],
};
