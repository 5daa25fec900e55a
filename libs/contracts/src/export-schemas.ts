/**
 * Writes libs/contracts/schemas/<topic>.schema.json from the zod contracts (`npm run contracts:schemas`).
 * The files are committed so consumers outside this repository can read them; a test fails when
 * they are stale.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { topicJsonSchemas } from './json-schemas';

export const SCHEMAS_DIR = join(__dirname, '..', 'schemas');

export function renderSchemaFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [topic, schema] of Object.entries(topicJsonSchemas())) {
    files[`${topic}.schema.json`] = `${JSON.stringify(schema, null, 2)}\n`;
  }
  return files;
}

if (require.main === module) {
  for (const [name, content] of Object.entries(renderSchemaFiles())) {
    writeFileSync(join(SCHEMAS_DIR, name), content);
    process.stdout.write(`wrote schemas/${name}\n`);
  }
}
