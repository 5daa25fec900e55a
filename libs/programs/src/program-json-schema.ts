/**
 * The published JSON Schema of the program language, generated from the zod schemas (for editors,
 * the dashboard's program editor and clients in other languages). Regenerate
 * schemas/program.schema.json with `node -r @swc-node/register libs/programs/src/program-json-schema.ts`;
 * a test fails when the committed file is stale.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ProgramSchema } from './program.schema';

export const PROGRAM_SCHEMA_FILE = join(__dirname, '..', 'schemas', 'program.schema.json');

export function programJsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://sluice.dev/schemas/program.schema.json',
    ...z.toJSONSchema(ProgramSchema, { io: 'input' }),
  };
}

export function renderProgramSchemaFile(): string {
  return `${JSON.stringify(programJsonSchema(), null, 2)}\n`;
}

if (require.main === module) {
  writeFileSync(PROGRAM_SCHEMA_FILE, renderProgramSchemaFile());
  process.stdout.write(`wrote ${PROGRAM_SCHEMA_FILE}\n`);
}
