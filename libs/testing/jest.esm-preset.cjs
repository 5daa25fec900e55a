// Superseded: the root jest.preset.cjs now compiles the ESM-only packages (NestJS 12,
// node-pg-migrate 8) itself. Kept as an alias so jest configs that still point here keep working;
// new configs should require the root preset directly.
module.exports = require('../../jest.preset.cjs');
